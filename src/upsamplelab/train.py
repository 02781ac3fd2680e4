"""Train a model: ``python -m upsamplelab.train [overrides]`` (console script ``upsamplelab-train``).

seed -> instantiate data, model, callbacks, loggers, trainer -> fit -> test with the best checkpoint.
Returns the metrics so a Hydra sweeper can optimise one of them.

Resume: the same command with the same ``hydra.run.dir`` and ``ckpt_path=last`` (or a checkpoint path) continues an
interrupted run.  A run whose losses diverge stops (``DivergenceGuard``), skips the test, and returns
``diverged: 1.0`` among its metrics and NaN as the objective.

Every run ends by writing ``run.json`` (``run_record``): completed, diverged or failed, wall time, throughput.  In a
multirun, a job that raises is recorded as failed and the sweep goes on; relaunching a sweep into the same
``hydra.sweep.dir`` skips the jobs that completed and resumes the interrupted ones from their ``last.ckpt``.
"""
from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any

import hydra
import pytorch_lightning as pl
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from hydra.types import RunMode
from omegaconf import DictConfig, open_dict

from .bad_input import check_ckpt_path, check_precision, exit_on_bad_input, explain
from .config import (CONFIG_DIR, instantiate_entries, instantiate_loggers, instantiate_task, last_checkpoint,
                     resolve_ckpt_path, silence_library_noise)
from .reliability import TrainingDiverged
from .run_record import read_run_record, write_run_record
from .summary import print_outputs, print_summary
from .throughput import Throughput

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


def build(cfg: DictConfig) -> tuple[pl.LightningDataModule, pl.LightningModule, pl.Trainer, Throughput]:
    """Everything a run needs, checked: arguments, model/data fit, ckpt_path, precision for the device, then the
    data loaded (an absent dataset fails here, before training)."""
    check_ckpt_path(cfg.get("ckpt_path"))
    datamodule, model = instantiate_task(cfg)
    throughput = Throughput()
    callbacks = instantiate_entries(cfg.get("callbacks")) + [throughput]
    trainer: pl.Trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=instantiate_loggers(cfg.get("logger")))
    check_precision(cfg.trainer.get("precision", "32"), trainer.strategy.root_device.type)
    datamodule.setup("fit")
    return datamodule, model, trainer, throughput


def train(cfg: DictConfig) -> dict[str, Any]:
    start = time.perf_counter()
    datamodule, model, trainer, throughput = build(cfg)
    if cfg.extras.get("print_summary") and trainer.is_global_zero:
        print_summary(cfg, model, datamodule, trainer)

    diverged = bool(cfg.get("train")) and not fit(trainer, model, datamodule, cfg.get("ckpt_path"))
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items()} | ({"diverged": 1.0} if diverged else {})
    best_score = trainer.checkpoint_callback.best_model_score if trainer.checkpoint_callback else None
    if best_score is not None:
        metrics[f"best/{trainer.checkpoint_callback.monitor}"] = float(best_score)

    if cfg.get("test") and not diverged:
        best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
        trainer.test(model, datamodule=datamodule, ckpt_path=best or None, weights_only=True)
        metrics |= {k: float(v) for k, v in trainer.callback_metrics.items()}
    if trainer.is_global_zero:
        run_dir = Path(trainer.default_root_dir).resolve()
        write_run_record(run_dir, "diverged" if diverged else "completed", error=None,
                         wall_time_s=time.perf_counter() - start,
                         train_images_per_s=throughput.images_per_s, epochs=trainer.current_epoch,
                         global_step=trainer.global_step, monitor=cfg.model.get("monitor"),
                         monitor_mode=cfg.model.get("monitor_mode"), objective=objective(cfg, metrics))
        print_outputs(run_dir)
    return metrics


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="train")
def main(cfg: DictConfig) -> float | None:
    silence_library_noise()
    run_dir, multirun = Path(cfg.paths.output_dir), HydraConfig.get().mode == RunMode.MULTIRUN
    record = read_run_record(run_dir)
    if multirun and record is not None and record["status"] == "completed":
        print(f"skipping {run_dir}: already completed (delete its run.json to train it again)")
        return record.get("objective")
    if multirun and cfg.get("ckpt_path") is None and last_checkpoint(run_dir).exists():
        log.info("resuming the interrupted job in %s from checkpoints/last.ckpt", run_dir)
        with open_dict(cfg):
            cfg.ckpt_path = "last"
    start = time.perf_counter()
    try:
        return objective(cfg, train(cfg))
    except Exception as err:
        write_run_record(run_dir, "failed", error=f"{type(err).__name__}: {err}",
                         wall_time_s=time.perf_counter() - start)
        if not multirun:
            exit_on_bad_input(err)
            raise
        log.error("job %s failed; the sweep goes on (error recorded in %s)", run_dir.name, run_dir / "run.json",
                  exc_info=explain(err) is None)
        return math.nan


if __name__ == "__main__":
    main()
