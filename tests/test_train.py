"""Training through the Hydra configs: every task runs, learns, checkpoints and evaluates (under DDP: test_ddp.py)."""
from __future__ import annotations


import pytest
import torch

from conftest import column, read_metrics
from hydra_files import save_hydra_files
from upsamplelab.eval import evaluate
from upsamplelab.train import train

TASKS = {
    "gan": ["model=dcgan", "data=digits", "model.generator.ngf=8", "model.discriminator.ndf=8"],
    "unet": ["model=unet", "data=shapes", "model.net.base_width=4"],
    "fcn": ["model=fcn", "data=shapes", "model.net.base_width=4"],
    "autoencoder": ["model=autoencoder", "data=digits", "model.net.widths=[8,16]"],
}
UPSAMPLERS = {"gan": ["convT_k3", "resize_conv_nearest", "pixel_shuffle_icnr"],
              "unet": ["convT_k2", "resize_conv_bilinear", "pixel_shuffle"],
              "fcn": ["bilinear_convT", "resize_conv_nearest", "pixel_shuffle_icnr"],
              "autoencoder": ["convT_k3", "convT_k4", "resize_conv_nearest"]}


@pytest.mark.parametrize("task,upsampler", [(t, u) for t, us in UPSAMPLERS.items() for u in us])
def test_fast_dev_run(make_cfg, task, upsampler):
    cfg = make_cfg(*TASKS[task], f"upsampler={upsampler}", "debug=fdr")
    metrics = train(cfg)
    assert metrics and all(torch.isfinite(torch.tensor(v)) for v in metrics.values())
    assert any(k.startswith("test/") for k in metrics)
    if task in ("unet", "fcn"):                                     # the configured boundary metrics reach the test
        assert {"test/boundary_f1", "test/boundary_iou"} <= set(metrics)


def test_autoencoder_learns(make_cfg, tmp_path):
    cfg = make_cfg(*TASKS["autoencoder"], "upsampler=resize_conv_nearest", "trainer.max_epochs=4",
                   "data.batch_size=32", "trainer.log_every_n_steps=5")
    train(cfg)
    rows = read_metrics(tmp_path)
    loss, psnr = column(rows, "train/loss"), column(rows, "val/psnr")
    assert len(psnr) == 4 and len(loss) >= 10
    assert loss[-1] < 0.5 * loss[0], loss
    assert psnr[-1] > psnr[0] + 3.0, psnr                   # dB
    assert sorted((tmp_path / "reconstructions").glob("epoch_*.png"))


def test_unet_segments_shapes(make_cfg, tmp_path):
    cfg = make_cfg(*TASKS["unet"], "upsampler=convT_k2", "model.net.base_width=8", "data.image_size=32",
                   "data.num_samples=1000", "model.optimizer.lr=0.005", "trainer.max_epochs=5")
    metrics = train(cfg)
    assert metrics["test/miou"] > 0.45, metrics                 # 4 classes; 0.22 after one step
    assert sorted((tmp_path / "predictions").glob("epoch_*.png"))


def test_gan_trains_and_samples_change(make_cfg, tmp_path):
    cfg = make_cfg(*TASKS["gan"], "upsampler=convT_k4", "trainer.max_epochs=2", "trainer.log_every_n_steps=5")
    train(cfg)
    rows = read_metrics(tmp_path)
    d_loss = column(rows, "train/d_loss")
    assert d_loss and all(torch.isfinite(torch.tensor(d_loss)))
    grids = sorted((tmp_path / "samples").glob("epoch_*.png"))
    assert len(grids) == 2
    from torchvision.io import read_image
    first, last = (read_image(str(p)).float() for p in grids)
    assert (first - last).abs().mean() > 1.0                 # samples from the fixed noise changed


def test_eval_reproduces_validation_metric(make_cfg, tmp_path):
    cfg = make_cfg(*TASKS["autoencoder"], "upsampler=convT_k3", "trainer.max_epochs=1", "test=false")
    train(cfg)
    val_psnr = column(read_metrics(tmp_path), "val/psnr")[-1]
    ckpt = tmp_path / "checkpoints" / "last.ckpt"
    save_hydra_files(cfg, tmp_path)
    eval_cfg = make_cfg(f"ckpt_path={ckpt}", config_name="eval")   # data/model come from the run's config
    metrics = evaluate(eval_cfg)
    assert metrics["val/psnr"] == pytest.approx(val_psnr, rel=1e-5)
    assert "test/psnr" in metrics


@pytest.mark.parametrize("overrides,message", [
    (["model=unet", "data=fashion_seg", "data.image_size=28", "model.net.depth=5"],
     r"data.image_size=28 is not divisible by 2\*\*model.net.depth = 32 \(model.net.depth=5\)"),
    (["model=dcgan", "data=digits", "model.generator.image_size=64", "model.discriminator.image_size=64"],
     r"model.generator.image_size=64 but data.image_size=32"),
    (["model=dcgan", "data=digits", "model.generator.channels=3"], r"model.generator.channels=3 but data.channels=1"),
    (["model=autoencoder", "data=digits", "model.net.channels=3"], r"model.net.channels=3 but data.channels=1"),
    (["model=unet", "data=shapes", "model.num_classes=5", "model.net.num_classes=5"],
     r"model.num_classes=5 but data.num_classes=4"),
    (["model=unet", "data=digits"], r"pick a segmentation dataset"),
])
def test_incompatible_config_fails_before_training(make_cfg, tmp_path, overrides, message):
    cfg = make_cfg(*overrides, "trainer.max_epochs=1")
    with pytest.raises(ValueError, match=message):
        train(cfg)
    assert not (tmp_path / "checkpoints").exists() and not (tmp_path / "metrics.csv").exists()


def test_gan_logs_fid_every_validation_and_keeps_the_best(make_cfg, tmp_path, monkeypatch):
    from upsamplelab.data import DigitsDataModule
    calls = []
    real_images = DigitsDataModule.real_images
    monkeypatch.setattr(DigitsDataModule, "real_images", lambda self, *a: calls.append(a) or real_images(self, *a))
    cfg = make_cfg(*TASKS["gan"], "upsampler=resize_conv_nearest", "trainer.max_epochs=3", "test=false")
    train(cfg)
    fid = column(read_metrics(tmp_path), "val/fid")
    assert len(fid) == 3 and all(v > 0 for v in fid)
    assert len(column(read_metrics(tmp_path), "val/kid_mean")) == 3
    assert len(column(read_metrics(tmp_path), "val/phase_energy")) == 3
    assert len(calls) == 1                                    # reference features cached after the first epoch
    import json
    records = [json.loads(line) for line in (tmp_path / "fidelity.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [0, 1, 2] and {r["extractor"] for r in records} == {"TinyFeatures"}
    assert [r["fid"] for r in records] == pytest.approx(fid)
    best = torch.load(next((tmp_path / "checkpoints").glob("best-*.ckpt")), weights_only=False)
    assert best["epoch"] == int(torch.tensor(fid).argmin())  # the checkpoint kept is the epoch of the lowest FID


def test_gan_without_fid_needs_another_monitor(make_cfg):
    from hydra.errors import InstantiationException
    with pytest.raises(InstantiationException, match="model.monitor=val/fid needs FID"):
        train(make_cfg(*TASKS["gan"], "model.sample_quality=null"))


def test_eval_recomputes_fid_with_another_sample_count(make_cfg, tmp_path):
    import json
    cfg = make_cfg(*TASKS["gan"], "trainer.max_epochs=1", "test=false")
    train(cfg)
    save_hydra_files(cfg, tmp_path)
    eval_cfg = make_cfg(f"ckpt_path={tmp_path / 'checkpoints' / 'last.ckpt'}", "metrics.fid_samples=150",
                        config_name="eval", run_dir=tmp_path / "eval")
    metrics = evaluate(eval_cfg)
    trained, evaluated = ([json.loads(line) for line in (run / "fidelity.jsonl").read_text().splitlines()]
                          for run in (tmp_path, tmp_path / "eval"))
    assert [r["num_fake"] for r in trained + evaluated] == [100, 150]   # training used 100 samples, eval 150
    assert [r["num_real"] for r in trained + evaluated] == [100, 100]   # against the same reference set
    assert metrics["val/fid"] == pytest.approx(evaluated[-1]["fid"], rel=1e-6)


def test_fidelity_records_replace_revalidated_epochs(tmp_path):
    """A resumed run validates again the epochs its killed predecessor had recorded: one line per epoch remains."""
    import json
    from upsamplelab.lightning import SampleQuality
    path = tmp_path / "fidelity.jsonl"
    for epoch in range(3):
        SampleQuality.record({"fid": 10.0 - epoch}, path, epoch=epoch, step=epoch)
    SampleQuality.record({"fid": 7.5}, path, epoch=1, step=1)
    assert [json.loads(line) for line in path.read_text().splitlines()] == [
        {"epoch": 0, "step": 0, "fid": 10.0}, {"epoch": 1, "step": 1, "fid": 7.5}]


def test_last_checkpoint_is_written_every_epoch_even_without_validation(make_cfg, tmp_path):
    """With validation every 3rd epoch, a run killed after epoch 1 must still have a last.ckpt to resume from."""
    cfg = make_cfg(*TASKS["autoencoder"], "upsampler=convT_k3", "trainer.max_epochs=2",
                   "trainer.check_val_every_n_epoch=3", "trainer.limit_train_batches=2", "test=false")
    train(cfg)
    last = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=False)
    assert last["epoch"] == 1 and last["global_step"] == 4                    # the end of the second epoch
    assert not list((tmp_path / "checkpoints").glob("best-*.ckpt"))           # nothing validated, no best
