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

A checkpoint saved during validation (only a run stopped by a signal saves one there: ``interrupt``; the epoch's own
checkpoints come after ``on_validation_end``) holds the state at the validation's start instead: the generators and
row count taken then, and loop progress rewritten so that Lightning, resuming, runs that validation again from its
first batch (``restart_validation``).  Weights and optimiser states do not change while validating.
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
        self._validating, self._at_validation_start = False, None

    @staticmethod
    def state(trainer: pl.Trainer) -> dict[str, Any]:
        rows = [logger.experiment.data_rows() for logger in csv_loggers(trainer)] if trainer.is_global_zero else []
        return {"rng": rng_state(), "metrics_rows": rows}

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.sanity_checking:
            self._validating = True
            self._at_validation_start = self.state(trainer)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._validating, self._at_validation_start = False, None

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                           checkpoint: dict[str, Any]) -> None:
        checkpoint[KEY] = (self._validating and self._at_validation_start) or self.state(trainer)
        if self._validating and "loops" in checkpoint:
            restart_validation(checkpoint["loops"]["fit_loop"]["epoch_loop.val_loop.batch_progress"])

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


def restart_validation(progress: dict[str, Any]) -> None:
    """Rewrite the saved progress of a validation (Lightning's ``_BatchProgress`` state: ready/started/processed/
    completed counters, ``total`` over the epoch and ``current`` for this run, and ``is_last_batch``) stopped at any
    point as stopped in its first batch: Lightning's "restarted mid-evaluation" stage, from which it runs the
    validation again, from its first batch, before training on."""
    before = progress["total"]["completed"] - progress["current"]["completed"]   # earlier validations this epoch
    progress["total"] = {"ready": before + 1, "started": before + 1, "processed": before, "completed": before}
    progress["current"] = {"ready": 1, "started": 1, "processed": 0, "completed": 0}
    progress["is_last_batch"] = False
