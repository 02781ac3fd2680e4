"""Reliability: a killed run resumes exactly, checkpoints are never torn, diverging runs stop and are marked, CPU
runs repeat bit for bit, and checkpoints that would run code on load are refused."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from omegaconf import open_dict

from conftest import ONE_THREAD, read_metrics
from upsamplelab.reliability import AtomicCheckpointIO, UnsafeCheckpointError
from upsamplelab.train import train

AE = ["model=autoencoder", "data=digits", "model.net.widths=[8,16]", "upsampler=convT_k3"]
GAN = ["model=dcgan", "data=digits", "model.generator.ngf=8", "model.discriminator.ndf=8", "upsampler=convT_k3"]
SHORT = ["test=false", "trainer.log_every_n_steps=1", "trainer.limit_train_batches=6", "trainer.limit_val_batches=2"]
pytestmark = pytest.mark.usefixtures("one_thread")


def last_checkpoint(run_dir: Path) -> dict:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)


def wait_for(condition, proc, timeout: float = 240) -> None:
    """Poll ``condition()`` every 20 ms until it holds; fail if ``proc`` exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"exited {proc.returncode} early:\n{proc.log_path.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"timed out:\n{proc.log_path.read_text()[-3000:]}"
        time.sleep(0.02)


def finish(proc, timeout: float = 240) -> None:
    assert proc.wait(timeout=timeout) == 0, proc.log_path.read_text()[-3000:]


def trained_past_checkpoint(run_dir: Path, loss: str = "train/loss") -> bool:
    """last.ckpt exists and metrics.csv already holds training rows (``loss``) of epoch 1, written after that
    checkpoint."""
    if not (run_dir / "checkpoints" / "last.ckpt").exists() or not (run_dir / "metrics.csv").exists():
        return False
    return any(r.get("epoch") == "1" and r.get(loss) for r in read_metrics(run_dir))


def test_run_killed_mid_epoch_resumes_to_the_uninterrupted_metrics(start_cli, tmp_path):
    """``kill -9`` a CLI run once it has trained past its epoch-0 checkpoint; the same command with ``ckpt_path=last``
    finishes it.  Its metrics.csv equals an uninterrupted run's row for row (epochs, steps and values), and so do the
    final epoch and global step."""
    args = [*AE, "data.batch_size=8", "trainer.max_epochs=3", "trainer.log_every_n_steps=10",
            "trainer.accelerator=cpu", "test=false", "extras.print_summary=false"]
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    reference = start_cli("upsamplelab.train", *args, f"hydra.run.dir={whole}", env=ONE_THREAD)
    victim = start_cli("upsamplelab.train", *args, f"hydra.run.dir={killed}", env=ONE_THREAD)
    wait_for(lambda: trained_past_checkpoint(killed), victim)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()

    stopped_at = last_checkpoint(killed)["epoch"]
    logged = read_metrics(killed)
    assert stopped_at < 2 and not any(r.get("epoch") == "2" and r.get("val/psnr") for r in logged)  # unfinished
    assert any(r.get("epoch") == str(stopped_at + 1) and r.get("train/loss") for r in logged)  # rows to drop
    finish(start_cli("upsamplelab.train", *args, f"hydra.run.dir={killed}", "ckpt_path=last", env=ONE_THREAD))
    finish(reference)

    val = [(r["epoch"], r["step"]) for r in read_metrics(killed) if r.get("val/psnr")]
    assert val == [("0", "186"), ("1", "373"), ("2", "560")]             # every epoch once, none lost
    assert read_metrics(killed) == read_metrics(whole)                         # every row, every column, bit for bit
    resumed, uninterrupted = last_checkpoint(killed), last_checkpoint(whole)
    assert (resumed["epoch"], resumed["global_step"]) == (uninterrupted["epoch"], uninterrupted["global_step"])


def test_gan_with_ema_killed_mid_epoch_resumes_to_the_uninterrupted_metrics(start_cli, tmp_path):
    """The same for a GAN with an EMA generator and DiffAugment.  The EMA copies G for 100 generator steps, then
    averages: at the epoch-0 checkpoint (187 steps) it holds averaged weights, so a resume that lost them, or lost
    the update count (and copied G again), would validate other numbers; the augmentations come from the restored
    RNG state.  Validation runs on the recalibrated EMA generator.  (save_top_k=-1: Lightning writes last.ckpt only
    in an epoch that saved a top-k checkpoint, and the final ones are compared.)"""
    args = [*GAN, "model.ema=0.9", "model.ema_start=100", "model.diffaugment=[color,translation,cutout]",
            "model.sample_quality=null", "model.monitor=val/d_loss", "model.monitor_mode=max", "data.batch_size=8",
            "callbacks.model_checkpoint.save_top_k=-1", "trainer.max_epochs=2", "trainer.log_every_n_steps=10",
            "trainer.accelerator=cpu", "test=false", "extras.print_summary=false"]
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    reference = start_cli("upsamplelab.train", *args, f"hydra.run.dir={whole}", env=ONE_THREAD)
    victim = start_cli("upsamplelab.train", *args, f"hydra.run.dir={killed}", env=ONE_THREAD)
    wait_for(lambda: trained_past_checkpoint(killed, "train/d_loss"), victim)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()

    assert last_checkpoint(killed)["state_dict"]["ema._extra_state"] == {"updates": 187}
    assert not any(r.get("epoch") == "1" and r.get("val/d_loss") for r in read_metrics(killed))   # unfinished
    finish(start_cli("upsamplelab.train", *args, f"hydra.run.dir={killed}", "ckpt_path=last", env=ONE_THREAD))
    finish(reference)

    assert [r["epoch"] for r in read_metrics(killed) if r.get("val/d_loss")] == ["0", "1"]
    assert read_metrics(killed) == read_metrics(whole)                         # every row, every column, bit for bit
    resumed, uninterrupted = last_checkpoint(killed)["state_dict"], last_checkpoint(whole)["state_dict"]
    assert resumed.pop("ema._extra_state") == uninterrupted.pop("ema._extra_state") == {"updates": 2 * 187}
    assert all(torch.equal(resumed[k], v) for k, v in uninterrupted.items() if k.startswith("ema."))


def assert_gan_resumes_exactly(make_cfg, tmp_path, *overrides: str, accelerator: str = "cpu") -> None:
    """Manual optimisation: both Adam states are checkpointed and restored (here from an explicit path); with the
    RNG state restored too, the resumed GAN draws the same noise and logs the same numbers."""
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    gan = [*GAN, *SHORT, *overrides]
    train(make_cfg(*gan, "trainer.max_epochs=2", run_dir=whole, accelerator=accelerator))
    train(make_cfg(*gan, "trainer.max_epochs=1", run_dir=resumed, accelerator=accelerator))
    states = last_checkpoint(resumed)["optimizer_states"]
    assert len(states) == 2                                              # generator's and discriminator's Adam
    assert all(int(s["state"][0]["step"]) == 6 for s in states)
    train(make_cfg(*gan, "trainer.max_epochs=2", f"ckpt_path={resumed / 'checkpoints' / 'last.ckpt'}",
                   run_dir=resumed, accelerator=accelerator))

    assert read_metrics(resumed) == read_metrics(whole)
    after, expected = last_checkpoint(resumed), last_checkpoint(whole)
    assert after["global_step"] == expected["global_step"] == 2 * 2 * 6  # two optimiser steps per batch
    for mine, theirs in zip(after["optimizer_states"], expected["optimizer_states"], strict=True):
        for p, state in theirs["state"].items():
            assert all(torch.equal(mine["state"][p][k], v) for k, v in state.items())


def test_gan_resume_restores_both_optimizers(make_cfg, tmp_path):
    assert_gan_resumes_exactly(make_cfg, tmp_path)


@pytest.mark.parametrize("task", [AE, GAN], ids=["autoencoder", "gan"])
def test_same_seed_same_metrics(make_cfg, tmp_path, task):
    for run in ("a", "b"):
        train(make_cfg(*task, *SHORT, "trainer.max_epochs=2", run_dir=tmp_path / run))
    first, second = read_metrics(tmp_path / "a"), read_metrics(tmp_path / "b")
    assert len([r for r in first if r.get("val/loss") or r.get("val/d_loss")]) == 2
    assert first == second                                               # no wall-time columns: compare everything


def test_crash_while_saving_keeps_the_previous_checkpoint(make_cfg, tmp_path, monkeypatch):
    cfg = make_cfg(*AE, *SHORT, "trainer.max_epochs=1")
    assert isinstance(instantiate(cfg.trainer, logger=False).strategy.checkpoint_io, AtomicCheckpointIO)
    train(cfg)
    last = tmp_path / "checkpoints" / "last.ckpt"
    before, io = last.read_bytes(), AtomicCheckpointIO()
    checkpoint = io.load_checkpoint(last)

    def torn_save(obj, f):
        f.write(before[:len(before) // 2])
        raise OSError("No space left on device")

    monkeypatch.setattr(torch, "save", torn_save)
    with pytest.raises(OSError, match="No space left"):
        io.save_checkpoint(checkpoint, last)
    assert last.read_bytes() == before
    assert torch.equal(io.load_checkpoint(last)["state_dict"]["net.encoder.0.weight"],
                       checkpoint["state_dict"]["net.encoder.0.weight"])
    assert sorted(p.name for p in last.parent.iterdir()) == ["best-epoch000.ckpt", "last.ckpt"]  # no temp file


def test_nan_loss_stops_the_run_and_marks_it(make_cfg, tmp_path, caplog):
    metrics = train(make_cfg(*AE, *SHORT, "model.optimizer.lr=1e30", "trainer.max_epochs=2"))
    assert metrics["diverged"] == 1.0
    losses = [(int(r["step"]), float(r["train/loss"])) for r in read_metrics(tmp_path) if r.get("train/loss")]
    first_bad = next(step for step, loss in losses if loss != loss)
    marker = json.loads((tmp_path / "DIVERGED").read_text())
    assert marker | {"message": ""} == {"step": first_bad + 3, "epoch": 0, "batch": first_bad + 2, "loss": "train/loss",
                                        "value": "nan", "non_finite": {"train/loss": "nan"},
                                        "consecutive_bad_steps": 3, "message": ""}
    assert losses[-1][0] == marker["batch"] - 1           # stopped in the 3rd bad step, before Lightning logged it
    assert not (tmp_path / "checkpoints").exists()                       # nothing saved from the diverged epoch
    assert "train/loss=nan" in caplog.text and "callbacks.divergence.patience=3" in caplog.text
    assert "model.optimizer.lr" in caplog.text


def test_streak_read_every_n_steps_stops_at_the_first_read(make_cfg, tmp_path):
    """On an accelerator the guard reads its on-device streak only every n steps (no host sync per step); forced
    here with check_every_n_steps=4: the run stops at the first read after the streak reached the patience."""
    metrics = train(make_cfg(*AE, *SHORT, "model.optimizer.lr=1e30", "trainer.max_epochs=2",
                             "callbacks.divergence.check_every_n_steps=4"))
    assert metrics["diverged"] == 1.0
    losses = [(int(r["step"]), float(r["train/loss"])) for r in read_metrics(tmp_path) if r.get("train/loss")]
    first_bad = next(step for step, loss in losses if loss != loss)
    marker = json.loads((tmp_path / "DIVERGED").read_text())
    first_read = next(b for b in range(3, 6, 4) if b - first_bad + 1 >= 3)         # batches 3 (and 7, ...) are read
    assert (marker["batch"], marker["consecutive_bad_steps"]) == (first_read, first_read - first_bad + 1)
    assert marker["non_finite"] == {"train/loss": "nan"}


class LearningRateBlowUp(pl.Callback):
    """From ``epoch`` on, every learning rate is 1e30: a run that trains well, then diverges."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.current_epoch >= self.epoch:
            for optimizer in trainer.optimizers:
                for group in optimizer.param_groups:
                    group["lr"] = 1e30


@pytest.mark.parametrize("task,patience,steps_per_epoch", [(GAN, 3, 12), (AE, 1000, 6)],
                         ids=["gan-loss-streak", "autoencoder-before-checkpoint"])
def test_divergence_keeps_the_last_good_checkpoint(make_cfg, tmp_path, task, patience, steps_per_epoch):
    """The GAN stops on its 3rd NaN step; with patience 1000 the autoencoder is stopped by the parameter check that
    runs before ModelCheckpoint would save its NaN weights."""
    cfg = make_cfg(*task, *SHORT, "trainer.max_epochs=3", f"callbacks.divergence.patience={patience}")
    with open_dict(cfg):
        cfg.callbacks.blow_up = {"_target_": f"{__name__}.LearningRateBlowUp", "epoch": 1}
    assert train(cfg)["diverged"] == 1.0
    marker = json.loads((tmp_path / "DIVERGED").read_text())
    assert marker["epoch"] == 1 and marker["loss"] in ("train/loss", "train/d_loss", "train/g_loss")
    assert marker["value"] == "nan"
    last = last_checkpoint(tmp_path)                                    # loads (weights_only) and is epoch 0's
    assert (last["epoch"], last["global_step"]) == (0, steps_per_epoch)
    assert all(torch.isfinite(v).all() for v in last["state_dict"].values() if v.is_floating_point())


class RunsCode:
    """Unpickling this runs ``touch <marker>``: what a malicious checkpoint could do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.fixture
def crafted_checkpoint(tmp_path) -> tuple[Path, Path]:
    """(a .ckpt whose pickle runs code, the file that code creates), checked to be live with weights_only=False."""
    path, marker = tmp_path / "crafted.ckpt", tmp_path / "payload-ran"
    torch.save({"state_dict": {}, "epoch": 0, "payload": RunsCode(marker)}, path)
    torch.load(path, weights_only=False)
    assert marker.exists()
    marker.unlink()
    return path, marker


def test_eval_refuses_a_checkpoint_that_runs_code(run_cli, tmp_path, crafted_checkpoint):
    path, marker = crafted_checkpoint
    proc = run_cli("upsamplelab.eval", f"ckpt_path={path}", *AE, "trainer.accelerator=cpu",
                   f"hydra.run.dir={tmp_path / 'eval'}", check=False)
    assert proc.returncode != 0
    assert f"refused to load checkpoint {path}" in proc.stderr and "posix.system" in proc.stderr
    assert not marker.exists()


def test_resume_refuses_a_checkpoint_that_runs_code(make_cfg, crafted_checkpoint):
    path, marker = crafted_checkpoint
    with pytest.raises(UnsafeCheckpointError, match="weights_only=True"):
        train(make_cfg(*AE, *SHORT, f"ckpt_path={path}"))
    assert not marker.exists()
