"""The benchmark: its hand-written baseline computes what the framework computes, and ``--quick`` reports
consistent numbers for every section but FID (its timings: test_fidelity), written under ./outputs/ by default."""
from __future__ import annotations

import copy
import json

import pytest
import pytorch_lightning as pl
import torch

from upsamplelab.bench import cli
from upsamplelab.bench.device import Device
from upsamplelab.bench.families import FAMILIES
from upsamplelab.bench.goals import check
from upsamplelab.bench.table import markdown
from upsamplelab.bench.raw_loop import RawLoop
from upsamplelab.lightning.performance import CHANNELS_LAST_FASTER

TASKS = {"autoencoder": ["model=autoencoder", "data=digits", "model.net.widths=[8,16]"],
         "unet": ["model=unet", "data=shapes", "model.net.base_width=4", "data.num_samples=200", "data.val_size=40"]}


@pytest.mark.parametrize("task,precision", [*((t, "32") for t in TASKS), ("autoencoder", "bf16-mixed")])
def test_raw_loop_trains_exactly_like_the_framework(make_cfg, task, precision):
    """Same initial weights, same batches (the same seeded permutation), same loss and optimiser, the same autocast:
    after 5 steps the raw loop's parameters equal those the Trainer produced, so the benchmark compares like with
    like."""
    from upsamplelab.app.config import instantiate_task
    cfg = make_cfg(*TASKS[task], "data.batch_size=16", "upsampler=convT_k2")
    datamodule, module = instantiate_task(cfg)
    datamodule.setup("fit")
    twin = copy.deepcopy(module)
    trainer = pl.Trainer(accelerator="cpu", max_epochs=1, limit_train_batches=5, limit_val_batches=0, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         precision=precision)
    trainer.fit(module, datamodule=datamodule)
    images, targets = datamodule.part("train")
    loop = RawLoop(twin, images, targets, batch_size=16, channels_last=module.uses_channels_last, seed=0,
                   device=Device("cpu", precision))
    for _ in range(5):
        loop.timed_step()
    for (name, p), q in zip(module.named_parameters(), twin.parameters()):
        torch.testing.assert_close(q, p, rtol=1e-5, atol=1e-6, msg=name)


@pytest.mark.slow
def test_quick_bench(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROJECT_ROOT", raising=False)
    md = tmp_path / "bench.md"
    result = cli.main(["--quick", "--no-fid", "--markdown", str(md), "--override", "trainer.log_every_n_steps=1"])
    (out,) = (tmp_path / "outputs" / "bench").glob("*.json")                     # the default: under ./outputs/
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    assert result["overrides"] == ["trainer.log_every_n_steps=1"]
    assert result["machine"]["cores"] >= 1 and result["machine"]["torch"]

    rows = result["models"]
    assert [(r["family"], r["upsampler"]) for r in rows] == [("dcgan32_ngf16", u) for u in cli.QUICK_UPSAMPLERS]
    for r in rows:
        assert r["channels_last"] is CHANNELS_LAST_FASTER["cpu"][r["upsampler_family"]]     # model.channels_last=auto
        assert r["overhead"] == pytest.approx(r["raw_images_per_s"] / r["framework_images_per_s"] - 1)
        assert r["channels_last_speedup"] == pytest.approx(
            r["raw_channels_last_images_per_s"] / r["raw_nchw_images_per_s"])
    (family,) = result["families"]
    data_path = family["data_path"]
    assert data_path["in_memory_images_per_s"] == pytest.approx(data_path["ratio"] * data_path["indexing_images_per_s"])
    assert family["batch_size"] == FAMILIES["dcgan32_ngf16"].batch_size and family["sampling_images_per_s"] > 0

    assert "fid" not in result
    goals = {g["goal"].split(":")[0]: g for g in result["goals"]}
    assert goals["dcgan32_ngf16"]["met"] == (max(r["overhead"] for r in rows) <= 0.08)
    printed = capsys.readouterr().out
    assert "Training throughput" in printed and "Goals" in printed and str(out.relative_to(tmp_path)) in printed
    table = md.read_text()
    assert table.count("| dcgan32_ngf16 | `") == 2 and f"{rows[0]['overhead']:+.1%}" in table


@pytest.mark.slow
def test_bench_fid_section_times_both_inception_backends_on_the_same_images():
    """``bench_fid`` (the FID section ``--no-fid`` leaves out of the quick bench above): FID cold/warm with the backend
    ``auto`` picks on the CPU, and both backends on the same 16 images, their features equal to float32 rounding."""
    fid = cli.bench_fid(8, 24, "cpu", quick=True)
    assert (fid["num_fake"], fid["num_real"], fid["extractor"], fid["inception_backend"]) == (
        8, 24, "inception-v3-bundled", "onnxruntime")                  # metrics.inception_backend=auto on the CPU
    assert fid["speedup"] == pytest.approx(fid["cold_s"] / fid["warm_s"])
    backends = fid["inception_backends"]
    assert (backends["num_images"], backends["rounds"], set(backends["images_per_s"])) == (
        16, 2, {"torch", "onnxruntime"})
    assert backends["speedup"] == pytest.approx(backends["images_per_s"]["onnxruntime"]
                                                / backends["images_per_s"]["torch"])
    assert backends["max_relative_difference"] < 1e-5
    goals = {g["goal"].split(":")[0]: g for g in check([], [], fid, device_type="cpu")}
    assert goals["Inception on the CPU"]["met"] == (backends["speedup"] >= 1.8)
    table = markdown({"command": "python -m upsamplelab.bench", "wall_time_s": 0.0, "machine": cli.machine(),
                      "device": "cpu", "precision": "32", "models": [], "families": [], "fid": fid,
                      "goals": list(goals.values())})
    assert f"| onnxruntime | {backends['images_per_s']['onnxruntime']:.1f} | {backends['speedup']:.2f}× |" in table


def test_bench_rejects_unknown_names():
    with pytest.raises(SystemExit, match=r"--families: unknown \['dcgan128'\]; allowed: dcgan32, "):
        cli.main(["--families", "dcgan128"])
    with pytest.raises(SystemExit, match=r"--upsamplers: unknown \['nope'\]"):
        cli.main(["--upsamplers", "nope"])
    with pytest.raises(SystemExit, match="--steps must be >= 1, got 0"):
        cli.main(["--steps", "0"])


def test_bench_refuses_cuda_where_there_is_none(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(SystemExit, match="--device cuda: no CUDA device is visible"):
        cli.main(["--device", "cuda"])
    with pytest.raises(ValueError, match=r"--precision must be one of \['32', 'bf16-mixed'\], got '16-mixed'"):
        Device("cpu", "16-mixed")
