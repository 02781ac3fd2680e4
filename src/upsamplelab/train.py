"""Train a model: ``python -m upsamplelab.train [overrides]`` (console script ``upsamplelab-train``).

seed -> instantiate data, model, callbacks, loggers, trainer -> fit -> test with the best checkpoint.
Returns the metrics so a Hydra sweeper can optimise one of them.

Resume: the same command with the same ``hydra.run.dir`` and ``ckpt_path=last`` (or a checkpoint path) continues an
interrupted run.  A run whose losses diverge stops (``DivergenceGuard``), skips the test, and returns
``diverged: 1.0`` among its metrics and NaN as the objective.
"""
from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import hydra
import pytorch_lightning as pl
from hydra.utils import instantiate
from omegaconf import DictConfig

from .config import (CONFIG_DIR, instantiate_callbacks, instantiate_loggers, resolve_ckpt_path,
                     silence_library_noise)
from .reliability import TrainingDiverged
from .summary import print_outputs, print_summary

log = logging.getLogger(__name__)


def fit(trainer: pl.Trainer, model: pl.LightningModule, datamodule, ckpt_path: str | None) -> bool:
    """``trainer.fit``, resuming from ``ckpt_path`` ("last": this run's last.ckpt); False when it diverged."""
    try:
        trainer.fit(model, datamodule=datamodule, ckpt_path=resolve_ckpt_path(ckpt_path, trainer), weights_only=True)
    except TrainingDiverged as err:
        log.error("%s", err)
        return False
    return True


def train(cfg: DictConfig) -> dict[str, Any]:
    pl.seed_everything(cfg.seed, workers=True)
    datamodule = instantiate(cfg.data)
    model = instantiate(cfg.model)
    model.check_data(datamodule)
    trainer: pl.Trainer = instantiate(cfg.trainer, callbacks=instantiate_callbacks(cfg.get("callbacks")),
                                      logger=instantiate_loggers(cfg.get("logger")))
    if cfg.extras.get("print_summary") and trainer.is_global_zero:
        print_summary(cfg, model, datamodule, trainer)

    diverged = bool(cfg.get("train")) and not fit(trainer, model, datamodule, cfg.get("ckpt_path"))
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items()} | ({"diverged": 1.0} if diverged else {})

    if cfg.get("test") and not diverged:
        best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
        trainer.test(model, datamodule=datamodule, ckpt_path=best or None, weights_only=True)
        metrics |= {k: float(v) for k, v in trainer.callback_metrics.items()}
    if trainer.is_global_zero:
        print_outputs(Path(trainer.default_root_dir).resolve())
    return metrics


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="train")
def main(cfg: DictConfig) -> float | None:
    silence_library_noise()
    metrics = train(cfg)
    monitor = cfg.model.get("monitor")
    if metrics.get("diverged"):
        return math.nan
    return metrics.get(monitor) if monitor else None


if __name__ == "__main__":
    main()
