"""Train a model: ``python -m upsamplelab.train [overrides]`` (console script ``upsamplelab-train``).

seed -> instantiate data, model, callbacks, loggers, trainer -> fit -> test with the best checkpoint.
Returns the metrics so a Hydra sweeper can optimise one of them.

Resume: the same command with the same ``hydra.run.dir`` and ``ckpt_path=last`` (or a checkpoint path) continues an
interrupted run; ``python -m upsamplelab.resume <run dir>`` does it from the directory alone (a sweep job's too).  A
run whose losses diverge stops (``DivergenceGuard``), skips the test, and returns ``diverged: 1.0`` among its
metrics and NaN as the objective.  A run directory belongs to one live process (``reliability.run_claim``): a
second start into it is refused.

Every run ends by writing ``run.json`` (``app.run_record``): completed, diverged, failed or interrupted, wall time,
throughput.  In a multirun, a job that raises (or is refused) is recorded as failed (or left as it was) and the
sweep goes on; the sweep then exits with status 1 and a line naming it (a search sweeper such as Optuna gets NaN,
a failed trial, instead).  Relaunching a sweep into the same ``hydra.sweep.dir`` skips the jobs that completed and
resumes the interrupted ones from their ``last.ckpt``.  SIGTERM or SIGINT stops a run (or a whole sweep) within
seconds (``reliability.interrupt``): ``last.ckpt`` saved, ``run.json`` "interrupted", exit status 143 or 130.
"""
from __future__ import annotations

import logging
import math
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Optional

import hydra
import pytorch_lightning as pl
from hydra.core.hydra_config import HydraConfig
from hydra.errors import CompactHydraException
from hydra.types import RunMode
from hydra.utils import instantiate
from omegaconf import DictConfig, open_dict
from pytorch_lightning.utilities.rank_zero import rank_zero_only

from .app.bad_input import check_baseline, check_ckpt_path, check_precision, exit_on_bad_input, explain
from .app.config import (CONFIG_DIR, instantiate_entries, instantiate_loggers, instantiate_task, resolve_ckpt_path,
                         silence_library_noise)
from .run_dir import RUN_RECORD, last_checkpoint
from .app.machine import machine
from .app.run_record import read_run_record, write_run_record
from .app.run_overview import print_outputs, print_summary
from .app.throughput import Throughput
from .checks import check_int
from .reliability import TrainingDiverged
from .reliability.interrupt import RunInterrupted, StopOnSignal
from .reliability.job_identity import (JobIdentityError, check_identity, check_resume_config, current_identity,
                                       keep_hydra_files, restore_hydra_files)
from .reliability.run_claim import RunDirBusy, claim_run_dir

log = logging.getLogger(__name__)


def fit(trainer: pl.Trainer, model: pl.LightningModule, datamodule, ckpt_path: str | None) -> bool:
    """``trainer.fit``, resuming from ``ckpt_path`` ("last": this run's last.ckpt); False when it diverged."""
    try:
        trainer.fit(model, datamodule=datamodule, ckpt_path=resolve_ckpt_path(ckpt_path, trainer), weights_only=True)
    except TrainingDiverged as err:
        log.error("%s", err)
        return False
    return True


def objective(cfg: DictConfig, metrics: dict[str, float]) -> float | None:
    """What a sweeper optimises: the best value of the model's monitored metric (the last one when no best was
    recorded); NaN for a diverged run."""
    if metrics.get("diverged"):
        return math.nan
    monitor = cfg.model.get("monitor")
    return metrics.get(f"best/{monitor}", metrics.get(monitor)) if monitor else None


TEST_CHECKPOINTS = ("best", "last")


def test_checkpoint(cfg: DictConfig, trainer: pl.Trainer) -> Optional[str]:
    """The checkpoint ``test_ckpt`` names: the best by the monitored metric or the last (None: the weights in
    memory, when the run saved none)."""
    if cfg.test_ckpt == "last":
        return resolve_ckpt_path("last", trainer)
    return (trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else "") or None


def build(cfg: DictConfig, stop: StopOnSignal) -> tuple[pl.LightningDataModule, pl.LightningModule, pl.Trainer,
                                                        Throughput]:
    """Everything a run needs, checked: arguments, model/data fit, ckpt_path, precision for the device, then the
    data loaded (an absent dataset fails here, before training).  ``stop`` joins the callbacks."""
    check_ckpt_path(cfg.get("ckpt_path"))
    check_int("seed", cfg.seed, 0)
    check_baseline(cfg.get("baseline"))
    if cfg.get("test_ckpt") not in TEST_CHECKPOINTS:
        raise ValueError(f"test_ckpt must be one of {list(TEST_CHECKPOINTS)}, got {cfg.get('test_ckpt')!r}")
    datamodule, model = instantiate_task(cfg)
    throughput = Throughput()
    callbacks = instantiate_entries(cfg.get("callbacks")) + [throughput, stop]
    trainer: pl.Trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=instantiate_loggers(cfg.get("logger")))
    check_precision(cfg.trainer.get("precision", "32"), trainer.strategy.root_device.type)
    datamodule.setup("fit")
    return datamodule, model, trainer, throughput


def train(cfg: DictConfig, start: Optional[float] = None) -> dict[str, Any]:
    """Fit and test as configured; ``run.json`` gets the wall time since ``start`` (a ``time.perf_counter`` value,
    earlier by the time of a resumed run's earlier starts; default: now).

    SIGTERM and SIGINT stop it (``reliability.interrupt``): ``run.json`` says "interrupted" (from the moment the
    signal arrives, and again with the final numbers once stopped) and ``RunInterrupted`` is raised."""
    start = time.perf_counter() if start is None else start
    trainer: Optional[pl.Trainer] = None
    throughput: Optional[Throughput] = None

    def record_interrupted(signum: int) -> None:         # in the signal handler: holds if the process is then killed
        if rank_zero_only.rank == 0:
            try:
                record_run(cfg, "interrupted", trainer, throughput, start, error=str(RunInterrupted(signum)),
                           objective=None)
            except OSError as err:
                log.error("could not record the interruption: %s", err)

    stop = StopOnSignal(on_signal=record_interrupted)
    with stop.handling_signals():
        try:
            datamodule, model, trainer, throughput = build(cfg, stop)
            return fit_and_test(cfg, datamodule, model, trainer, throughput, start)
        except BaseException as err:
            interrupted = stop.interrupted(err)
            if interrupted is None:
                raise
            if trainer is None or trainer.is_global_zero:
                record_run(cfg, "interrupted", trainer, throughput, start, error=str(interrupted), objective=None)
            raise interrupted from None


def fit_and_test(cfg: DictConfig, datamodule: pl.LightningDataModule, model: pl.LightningModule,
                 trainer: pl.Trainer, throughput: Throughput, start: float) -> dict[str, Any]:
    if cfg.extras.get("print_summary") and trainer.is_global_zero:
        print_summary(cfg, model, datamodule, trainer)

    diverged = bool(cfg.get("train")) and not fit(trainer, model, datamodule, cfg.get("ckpt_path"))
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items()} | ({"diverged": 1.0} if diverged else {})
    best_score = trainer.checkpoint_callback.best_model_score if trainer.checkpoint_callback else None
    if best_score is not None:
        metrics[f"best/{trainer.checkpoint_callback.monitor}"] = float(best_score)

    if cfg.get("test") and not diverged:
        trainer.test(model, datamodule=datamodule, ckpt_path=test_checkpoint(cfg, trainer), weights_only=True)
        metrics |= {k: float(v) for k, v in trainer.callback_metrics.items()}
    if trainer.is_global_zero:
        run_dir = record_run(cfg, "diverged" if diverged else "completed", trainer, throughput, start, error=None,
                             objective=objective(cfg, metrics))
        print_outputs(run_dir)
    return metrics


def record_run(cfg: DictConfig, status: str, trainer: Optional[pl.Trainer], throughput: Optional[Throughput],
               start: float, **fields: Any) -> Path:
    """Write the run's ``run.json`` (``status``, labels, wall time since ``start``, progress; ``fields``); returns
    the run directory."""
    run_dir = Path(trainer.default_root_dir if trainer is not None else cfg.paths.output_dir).resolve()
    write_run_record(run_dir, status, **run_labels(cfg), wall_time_s=time.perf_counter() - start,
                     train_images_per_s=throughput.images_per_s if throughput is not None else None,
                     epochs=trainer.current_epoch if trainer is not None else None,
                     global_step=trainer.global_step if trainer is not None else None,
                     monitor=cfg.model.get("monitor"), monitor_mode=cfg.model.get("monitor_mode"), **fields)
    return run_dir


def start_job(cfg: DictConfig, run_dir: Path, record: Optional[dict[str, Any]], multirun: bool) -> bool:
    """Decide what this start of the run does before anything is written: in a sweep, refuse a directory that holds
    another job, skip a completed job (False) and resume an interrupted one; refuse a resume that changes the seed,
    data, model or upsampler (``JobIdentityError`` both).  A job that goes on (True) keeps its Hydra files and
    gets ``run.json`` "running" with its identity and the wall time of its earlier starts."""
    identity = current_identity()
    if multirun:
        check_identity(run_dir, (record or {}).get("identity"), identity)
    if multirun and record is not None and record["status"] == "completed":
        return False
    if multirun and cfg.get("ckpt_path") is None and last_checkpoint(run_dir).exists():
        log.info("resuming the interrupted job in %s from checkpoints/last.ckpt", run_dir)
        with open_dict(cfg):
            cfg.ckpt_path = "last"
    if cfg.get("ckpt_path") is not None:
        check_resume_config(run_dir, cfg)
    keep_hydra_files(run_dir)
    write_run_record(run_dir, "running", **run_labels(cfg, identity), wall_time_s=earlier_wall_time(cfg, record))
    return True


def run_labels(cfg: DictConfig, identity: Optional[list[str]] = None) -> dict[str, Any]:
    """What ``run.json`` says the run is: its identity (``reliability.job_identity``; computed when not given), the
    config's ``tags``, and the machine this start runs on (``app.machine``)."""
    return {"identity": identity if identity is not None else current_identity(), "tags": list(cfg.get("tags") or []),
            "machine": machine()}


def earlier_wall_time(cfg: DictConfig, record: Optional[dict[str, Any]]) -> float:
    """Seconds the run spent in earlier starts: counted on when it resumes (``ckpt_path`` set), else 0."""
    return float((record or {}).get("wall_time_s") or 0.0) if cfg.get("ckpt_path") is not None else 0.0


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="train")
def main(cfg: DictConfig) -> float | None:
    silence_library_noise(cfg.extras.get("ignore_warnings", False))
    run_dir, multirun = Path(cfg.paths.output_dir), HydraConfig.get().mode == RunMode.MULTIRUN
    try:                               # the other processes of a multi-process run work in rank 0's directory
        with claim_run_dir(run_dir) if rank_zero_only.rank == 0 else nullcontext():
            return run_job(cfg, run_dir, multirun)
    except RunDirBusy as err:
        restore_hydra_files(run_dir)                  # Hydra rewrote them for this command line: put them back
        return job_failed(err, run_dir, multirun)


def run_job(cfg: DictConfig, run_dir: Path, multirun: bool) -> float | None:
    """This start of the run in ``run_dir``, which this process holds: skipped, refused, or trained and recorded."""
    record = read_run_record(run_dir)
    try:
        goes_on = start_job(cfg, run_dir, record, multirun)
    except JobIdentityError as err:
        restore_hydra_files(run_dir)
        return job_failed(err, run_dir, multirun)
    if not goes_on:
        restore_hydra_files(run_dir)
        print(f"skipping {run_dir}: already completed (delete its run.json to train it again)")
        return record.get("objective")
    start = time.perf_counter() - earlier_wall_time(cfg, record)
    try:
        return objective(cfg, train(cfg, start))
    except RunInterrupted as err:
        keep_completed_record(run_dir, record, "was interrupted")
        saved = last_checkpoint(run_dir)
        if rank_zero_only.rank == 0:
            print(f"{err}: " + (f"resume from {saved}: python -m upsamplelab.resume {run_dir} (or relaunch the "
                                f"sweep)" if saved.exists() else "no checkpoint yet: start it again"), file=sys.stderr)
        sys.exit(err.exit_status)
    except Exception as err:
        if not keep_completed_record(run_dir, record, "failed"):
            record_failure(cfg, run_dir, explain(err, cfg) or f"{type(err).__name__}: {err}", start)
        return job_failed(err, run_dir, multirun, cfg)


class SweepJobFailed(CompactHydraException):
    """A job of a sweep failed or was refused: raised once it is recorded, so that Hydra's basic sweeper runs the
    sweep's other jobs, then ends the command with this line and exit status 1."""


BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


def job_failed(err: Exception, run_dir: Path, multirun: bool, cfg: Optional[DictConfig] = None) -> float:
    """After a run failed or was refused: a single run exits with the one-line error (status 2), or raises a bug's
    traceback; a sweep job is logged, then raised as ``SweepJobFailed`` under the basic sweeper (the sweep fails
    after its other jobs), or is NaN under a search sweeper (Optuna: a failed trial, the search goes on)."""
    if not multirun:
        exit_on_bad_input(err, cfg)
        raise err
    line = explain(err, cfg) or f"{type(err).__name__}: {err}"
    log.error("job %s did not run to the end; the sweep goes on (%s)", run_dir.name, line,
              exc_info=explain(err) is None)
    if HydraConfig.get().sweeper.get("_target_") == BASIC_SWEEPER:
        raise SweepJobFailed(f"job {run_dir.name} of the sweep failed or was refused, after the others ran: {line}")
    return math.nan


def record_failure(cfg: DictConfig, run_dir: Path, line: str, start: float) -> None:
    """``run.json`` "failed" with ``line``; a record that cannot be written (a full disk) is logged instead."""
    try:
        write_run_record(run_dir, "failed", **run_labels(cfg), error=line, wall_time_s=time.perf_counter() - start)
    except OSError as err:
        log.error("could not record the failure in %s: %s", run_dir / RUN_RECORD, err)


def keep_completed_record(run_dir: Path, record: Optional[dict[str, Any]], what: str) -> bool:
    """A resume of a completed run that ``what`` (failed, was interrupted) keeps the record of the run it resumed:
    ``run.json`` is written back; False when ``record`` is not a completed run's."""
    if record is None or record["status"] != "completed":
        return False
    write_run_record(run_dir, **record)
    log.error("resuming %s %s; its run.json is left as it was", run_dir, what)
    return True


if __name__ == "__main__":
    main()
