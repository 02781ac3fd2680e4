"""Stride-band energy, stride-band excess and stride-peak excess (``upsamplelab.metrics``) hold their defining
properties: exact values on pure patterns, invariances, ~0 between two halves of real data, a bootstrap interval
that covers the value, and the metric registry the training modules and the report read."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from upsamplelab.data import FashionMNISTDataModule
from upsamplelab.metrics import (power_spectrum, stride_band_energy, stride_band_excess, stride_band_excess_ci,
                                 stride_peak_excess, stride_peak_excess_ci, stride_peak_score, stride_periods)
from upsamplelab.metrics.registry import ARTIFACT_METRICS, FIDELITY_METRICS, METRICS, best_mode, metric_label
from upsamplelab.metrics.stride_band import highpass_gain, stride_band_mask
from upsamplelab.metrics.stride_peak import stride_frequencies


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def yx(h: int, w: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w or h, dtype=torch.float64),
                          indexing="ij")


def smooth_sign_field(n: int, size: int, sigma: float = 6.0, seed: int = 0) -> torch.Tensor:
    """(n, 1, size, size) zero-mean unit-RMS Gaussian-smoothed noise (it changes sign across the image)."""
    f = torch.fft.fftfreq(size, dtype=torch.float64)
    kernel = torch.exp(-2 * math.pi ** 2 * sigma ** 2 * (f[:, None] ** 2 + f[None, :] ** 2))
    s = torch.fft.ifft2(torch.fft.fft2(torch.randn(n, 1, size, size, generator=gen(seed),
                                                   dtype=torch.float64)) * kernel).real
    s = s - s.mean(dim=(-2, -1), keepdim=True)
    return s / s.square().mean(dim=(-2, -1), keepdim=True).sqrt()


@pytest.fixture(scope="module")
def fashion() -> torch.Tensor:
    """1,200 real Fashion-MNIST test images, 32 px, float64."""
    return FashionMNISTDataModule(image_size=32).real_images("test", 1200).double()


def k3s2_pattern(size: int) -> torch.Tensor:
    """The zero-mean, unit-RMS 1-2-4 overlap pattern of a K3/S2 transposed conv, size x size."""
    p = torch.tensor([[4.0, 2.0], [2.0, 1.0]], dtype=torch.float64).repeat(size // 2, size // 2)
    p = p - p.mean()
    return p / p.square().mean().sqrt()


@pytest.mark.parametrize("shape", [(1, 1, 32, 32), (2, 3, 20, 36)])
def test_a_nyquist_cosine_has_all_its_energy_in_the_band(shape):
    y, x = yx(*shape[-2:])
    for wave in (torch.cos(math.pi * x), torch.cos(math.pi * y), torch.cos(math.pi * (x + y))):
        energy = stride_band_energy(wave.expand(shape) + 5.0)
        assert energy.shape == shape[:1] and energy.dtype == torch.float32
        torch.testing.assert_close(energy, torch.ones(shape[0]))


def test_energy_is_a_share_for_any_size():
    images = torch.randn(4, 2, 33, 31, generator=gen())
    energy = stride_band_energy(images)
    assert ((energy > 0) & (energy < 1)).all()


def test_a_period_4_cosine_is_in_the_period_4_band_only():
    y, x = yx(32)
    wave = torch.cos(math.pi * x / 2)[None, None]                    # 8 cycles per 32 px
    assert stride_band_energy(wave, period=4).item() == pytest.approx(1.0, abs=1e-12)
    assert stride_band_energy(wave, period=2).item() == pytest.approx(0.0, abs=1e-12)


def test_a_constant_image_has_zero_energy():
    assert stride_band_energy(torch.full((3, 3, 16, 16), 0.7)).tolist() == [0.0, 0.0, 0.0]
    assert stride_band_excess(torch.zeros(2, 1, 8, 8), torch.zeros(2, 1, 8, 8)) == 0.0


def test_highpass_gain_is_the_triangle_filter():
    """T(f) is the DFT of the circular [1, 2, 1] / 4 (period 2) and [1, 2, 3, 4, 3, 2, 1] / 16 (period 4)."""
    for period, taps in ((2, [1, 2, 1]), (4, [1, 2, 3, 4, 3, 2, 1])):
        kernel = torch.zeros(16, dtype=torch.float64)
        half = len(taps) // 2
        for i, t in enumerate(taps):
            kernel[(i - half) % 16] = t / period ** 2
        torch.testing.assert_close(highpass_gain(16, period), torch.fft.fft(kernel).real)
    assert stride_band_mask(32, 2, 1).nonzero().flatten().tolist() == [15, 16, 17]
    assert stride_band_mask(32, 4, 0).nonzero().flatten().tolist() == [8, 16, 24]


def test_energy_is_invariant_to_pattern_sign_offset_scale_and_circular_shift(fashion):
    images = fashion[:16]
    pattern = k3s2_pattern(32)[None, None]
    field = smooth_sign_field(16, 32) * pattern
    assert torch.equal(stride_band_energy(field), stride_band_energy(-field))          # a pure pattern field
    reference = stride_band_energy(images).double()
    for transformed in (3.0 * images - 7.0, -0.01 * images + 0.5, images.roll((5, -11), dims=(-2, -1))):
        torch.testing.assert_close(stride_band_energy(transformed).double(), reference, rtol=1e-5, atol=1e-7)
    std = images.std(dim=(1, 2, 3), keepdim=True)
    plus, minus = (stride_band_energy(images + sign * 0.2 * std * field).mean() for sign in (1, -1))
    assert plus.item() == pytest.approx(minus.item(), rel=0.05)


def test_band_excess_is_zero_between_halves_of_real_data_and_positive_with_a_sign_varying_pattern(fashion):
    a, b = fashion[:600], fashion[600:]
    assert abs(stride_band_excess(a, b)) < 0.05
    std = a.std(dim=(1, 2, 3), keepdim=True)
    artifact = a + 0.1 * std * smooth_sign_field(600, 32) * k3s2_pattern(32)
    assert stride_band_excess(artifact, b) > 0.15
    blurred = F.interpolate(F.avg_pool2d(a, 2), scale_factor=2, mode="bilinear")
    assert stride_band_excess(blurred, b) < 0


def test_band_excess_interval_covers_the_value(fashion):
    a, b = fashion[:600], fashion[600:]
    ci = stride_band_excess_ci(a, b, n_boot=200)
    assert ci.value == pytest.approx(stride_band_excess(a, b), abs=1e-12)
    assert ci.low < ci.value < ci.high and ci.high - ci.low < 0.1
    assert ci == stride_band_excess_ci(a, b, n_boot=200)                       # seeded


def test_stride_periods_and_frequencies():
    assert stride_periods(1) == (2,) and stride_periods(3) == (2, 4, 8)
    assert stride_frequencies(32, (2, 4, 8)) == (4, 8, 12, 16)
    assert stride_frequencies(32, (8,)) == (4, 8, 12, 16)
    assert stride_frequencies(64, (2, 4)) == (16, 32)


def test_peak_excess_sees_stride_peaks_and_not_a_poorer_spectrum(fashion):
    """A blurred spectrum falls faster but has no peaks: it reads <= 0; narrow sign-varying stride patterns read
    > 0; two halves of the real data read ~0."""
    a, b = fashion[:600], fashion[600:]
    assert abs(stride_peak_excess(a, b)) < 0.01
    blurred = F.avg_pool2d(F.pad(a, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    assert stride_peak_excess(blurred, b) < 0
    y, x = yx(32)
    std = a.std(dim=(1, 2, 3), keepdim=True)
    waves = sum(torch.cos(2 * math.pi * y / p) + torch.cos(2 * math.pi * x / p) for p in (2, 4, 8))
    assert stride_peak_excess(a + 0.1 * std * smooth_sign_field(600, 32, sigma=10) * waves, b) > 0.03
    ci = stride_peak_excess_ci(a, b, n_boot=200)
    assert ci.low < ci.value < ci.high


def test_peak_score_of_a_single_image_and_the_spectrum_it_is_built_on():
    y, x = yx(32)
    flat = torch.randn(64, 1, 32, 32, generator=gen(1), dtype=torch.float64)
    peaked = flat + 2 * torch.cos(math.pi * x / 2)                                   # a line at f = 8
    assert (stride_peak_score(peaked) > stride_peak_score(flat)).all()
    power = power_spectrum(flat)
    torch.testing.assert_close(power.sum(dim=(1, 2)), (flat - flat.mean(dim=(2, 3), keepdim=True)).square()
                               .sum(dim=(1, 2, 3)))                                  # Parseval


@pytest.mark.parametrize("call, message", [
    (lambda: stride_band_energy(torch.zeros(8, 8)), r"\(N, C, H, W\)"),
    (lambda: stride_band_energy(torch.zeros(1, 1, 8, 8), period=1), "period must be an int >= 2"),
    (lambda: stride_band_energy(torch.zeros(1, 1, 8, 8), period=True), "period must be an int >= 2"),
    (lambda: stride_band_energy(torch.zeros(1, 1, 8, 8), width=-1), "width must be an int >= 0"),
    (lambda: stride_band_energy(torch.zeros(1, 1, 7, 16), period=4), "at least 2 \\* period = 8"),
    (lambda: stride_band_energy(torch.zeros(1, 1, 16, 16), width=4), "width=4 merges"),
    (lambda: stride_peak_excess(torch.zeros(2, 1, 28, 28), torch.zeros(2, 1, 28, 28)), "divide the image size"),
    (lambda: stride_peak_excess(torch.zeros(2, 1, 32, 32), torch.zeros(2, 1, 16, 16), (2,)), "differ in size"),
    (lambda: stride_peak_score(torch.zeros(2, 1, 32, 32), periods=(1, 2)), "ints >= 2"),
    (lambda: stride_peak_score(torch.zeros(2, 32, 32)), r"\(N, C, H, W\)"),
    (lambda: stride_periods(0), "n_layers must be an int >= 1"),
    (lambda: stride_band_excess_ci(torch.zeros(2, 1, 8, 8), torch.zeros(2, 1, 8, 8), level=1.5), "level"),
])
def test_bad_input_is_refused_with_the_argument_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_registry_labels_directions_and_artifact_functions():
    assert ARTIFACT_METRICS[:2] == ("stride_band_excess", "stride_peak_excess")
    assert set(ARTIFACT_METRICS) >= {"phase_energy", "spectral_distance"}
    assert {"fid", "kid_mean", "kid_std", "isc_mean", "isc_std"} <= set(FIDELITY_METRICS)
    assert best_mode("stride_peak_excess") == "min" and best_mode("miou") == "max" and best_mode("d_loss") is None
    assert metric_label("stride_band_excess") == "stride-band excess" and metric_label("unlisted") == "unlisted"
    images = torch.rand(8, 1, 32, 32, generator=gen())
    for name in ARTIFACT_METRICS:
        assert math.isfinite(METRICS[name].artifact(images, images, (2, 4, 8)))
    assert METRICS["stride_band_excess"].artifact(images, images, (2,)) == 0.0


def test_upsampling_periods_follow_the_models_upsamplers():
    from upsamplelab.lightning.base import upsampling_periods
    from upsamplelab.models import FCN, DCGANGenerator
    assert upsampling_periods(DCGANGenerator("convT_k3", ngf=4, image_size=32)) == (2, 4, 8)
    assert upsampling_periods(DCGANGenerator("resize_conv_nearest", ngf=4, image_size=64)) == (2, 4, 8, 16)
    assert upsampling_periods(FCN("bilinear_convT", depth=3)) == (8,)
    assert upsampling_periods(torch.nn.Conv2d(1, 1, 3)) == (2,)


@pytest.mark.slow
@pytest.mark.parametrize("overrides", [
    ["model=dcgan", "data=digits", "model.generator.ngf=8", "model.discriminator.ndf=8", "upsampler=convT_k3"],
    ["model=unet", "data=shapes", "data.image_size=32", "model.net.base_width=4", "upsampler=convT_k2"],
    ["model=autoencoder", "data=digits", "model.net.widths=[8,16]", "upsampler=resize_conv_nearest"],
])
def test_every_task_logs_the_stride_metrics(make_cfg, tmp_path, overrides):
    """GAN samples vs real, probability maps vs one-hot truth, reconstructions vs inputs: val/<metric> for every
    artifact metric of the registry, at every validation, finite."""
    from conftest import column, read_metrics
    from upsamplelab.train import train
    train(make_cfg(*overrides, "debug=limit", "trainer.max_epochs=1", "test=false", "metrics.fid_samples=16",
                   "metrics.real_samples=16"))
    rows = read_metrics(tmp_path)
    for name in ARTIFACT_METRICS:
        values = column(rows, f"val/{name}")
        assert len(values) == 1 and math.isfinite(values[0]), (name, values)


def test_at_init_stride_band_energy_separates_prone_from_free_upsamplers():
    """Constant input through non-negative weights: the checkerboard-prone upsamplers' interiors put > 0.8 of their
    high-pass power in the Nyquist row and column, the checkerboard-free ones < 0.25."""
    from upsamplelab.analysis.at_init import at_init_scores
    from upsamplelab.nn import upsampler_info
    names = ["convT_k3", "convT_k4", "pixel_shuffle", "resize_conv_nearest", "bilinear_convT", "pixel_shuffle_icnr"]
    for name, by_net in at_init_scores(names, score="stride_band_energy").items():
        if upsampler_info(name).checkerboard_free_at_init:
            assert max(by_net.values()) < 0.25, (name, by_net)
        else:
            assert min(by_net.values()) > 0.8, (name, by_net)


def test_the_sweep_report_has_the_stride_metrics(tmp_path):
    """Logged val/stride_* columns reach summary.csv (mean over seeds), report.md's table (by their registry
    labels) and the per-epoch figure of the leading artifact metric."""
    import csv as csv_module

    from test_report import completed, write_job
    from upsamplelab.report import build_report
    sweep = tmp_path / "sweep"
    for num, (upsampler, seed, band) in enumerate([("convT_k3", 0, 0.05), ("convT_k3", 1, 0.07),
                                                   ("resize_conv_nearest", 0, -0.1)]):
        job = write_job(sweep, num, upsampler, seed, [20.0, 10.0], completed(100, 50))
        lines = (job / "metrics.csv").read_text().splitlines()
        rows = [lines[0] + ",val/stride_band_excess,val/stride_peak_excess"]
        rows += [line + (f",{band * (i // 2 + 1) / 2},{band / 2}" if i % 2 else ",,")
                 for i, line in enumerate(lines[1:])]
        (job / "metrics.csv").write_text("\n".join(rows) + "\n")
    report = build_report(sweep, echo=lambda _: None).read_text()
    with open(sweep / "summary.csv", newline="") as f:
        summary = {row["upsampler"]: row for row in csv_module.DictReader(f)}
    assert float(summary["convT_k3"]["stride_band_excess_final_mean"]) == pytest.approx(0.06)
    assert float(summary["convT_k3"]["stride_band_excess_best_mean"]) == pytest.approx(0.03)    # lower is better
    assert float(summary["resize_conv_nearest"]["stride_peak_excess_final_mean"]) == pytest.approx(-0.05)
    assert "stride-band excess final" in report and "stride-peak excess best" in report
    assert (sweep / "gan_stride_band_excess_curves.png").is_file()
