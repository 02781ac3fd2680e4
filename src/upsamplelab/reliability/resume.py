"""``ResumeState``: what an exact resume needs beyond Lightning's own checkpoint state.

Lightning's checkpoint restores weights, optimisers (both of a GAN's), schedulers, loop progress and callback
states; the data order follows from ``data.seed`` and the epoch.  Two things are missing, and this callback adds them
to every checkpoint under ``"resume_state"``:

- the random generators (``rng.rng_state``), restored when training starts (after the sanity check), so e.g. the
  GAN's per-step noise continues as in an uninterrupted run;
- the number of ``metrics.csv`` rows of each ``ResumableCSVLogger``, to which the file is cut back when training
  starts (to no rows for a fresh run or a checkpoint without this state).

A run resumed from an epoch-end checkpoint on CPU thus writes the same ``metrics.csv`` as an uninterrupted run.  In a
multi-process run the checkpoint holds rank 0's generators, which every rank then restores.
"""
from __future__ import annotations

from typing import Any, Optional

import pytorch_lightning as pl

from .csv_logger import ResumableCSVLogger
from .rng import rng_state, set_rng_state

KEY = "resume_state"


def csv_loggers(trainer: pl.Trainer) -> list[ResumableCSVLogger]:
    return [logger for logger in trainer.loggers if isinstance(logger, ResumableCSVLogger)]


class ResumeState(pl.Callback):
    def __init__(self) -> None:
        self._loaded: Optional[dict[str, Any]] = None

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                           checkpoint: dict[str, Any]) -> None:
        rows = [logger.experiment.data_rows() for logger in csv_loggers(trainer)] if trainer.is_global_zero else []
        checkpoint[KEY] = {"rng": rng_state(), "metrics_rows": rows}

    def on_load_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                           checkpoint: dict[str, Any]) -> None:
        self._loaded = checkpoint.get(KEY)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        loaded, self._loaded = self._loaded, None
        if loaded is not None:
            set_rng_state(loaded["rng"])
        if trainer.is_global_zero:
            rows = loaded["metrics_rows"] if loaded is not None else []
            for i, logger in enumerate(csv_loggers(trainer)):
                logger.experiment.keep_rows(rows[i] if i < len(rows) else 0)
