"""``DivergenceGuard``: stop a run whose training losses turned NaN/Inf, before it saves a broken checkpoint.

After every training batch the guard reads the logged training metrics (``trainer.callback_metrics`` whose name
starts with ``prefix``: ``train/loss`` under automatic optimisation, ``train/d_loss``, ``train/g_loss``, ... for the
GAN's manual optimisation).  After ``patience`` consecutive batches with a non-finite value it stops the run.  Before
the epoch-end checkpoints (at validation start and at training-epoch end: Lightning runs checkpoint callbacks after
all others) it also checks that the parameters are finite, and stops if they are not, however short the streak; so
``last.ckpt`` stays the last good checkpoint.  (A ``ModelCheckpoint`` that saves every n training steps is guarded
by the loss check alone.)

Stopping writes ``<run dir>/DIVERGED`` (JSON: ``step`` = optimiser steps so far, ``epoch``, ``batch``, ``loss`` and
``value`` = the first non-finite metric, ``non_finite`` = all of them, ``consecutive_bad_steps``, ``message``; values
as strings, "nan"/"inf") and raises ``TrainingDiverged``, which ``upsamplelab.train`` reports and turns into a NaN
objective.  A run that starts training again in that directory removes the marker.

Cost: the watched metrics are stacked and copied to the host once per batch (a few numbers).  Lightning already
converts every ``prog_bar`` metric to a Python number after each batch (the project's modules log their losses with
``prog_bar=True``), so on a GPU this adds no pipeline stall of its own; under DDP the decision is combined across
ranks (one all-reduce per batch) so that all ranks stop together.  The parameter check costs one read per
checkpoint point.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

MARKER = "DIVERGED"


class TrainingDiverged(RuntimeError):
    """Training losses or parameters became non-finite; the run directory holds a DIVERGED marker."""


class DivergenceGuard(pl.Callback):
    def __init__(self, patience: int = 3, prefix: str = "train/") -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"callbacks.divergence.patience must be an int >= 1, got {patience!r}")
        self.patience, self.prefix = patience, prefix
        self._streak, self._bad, self._batch_idx = 0, {}, -1

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._streak, self._bad, self._batch_idx = 0, {}, -1
        if trainer.is_global_zero:
            (Path(trainer.default_root_dir) / MARKER).unlink(missing_ok=True)

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        self._batch_idx = batch_idx
        watched = {k: v for k, v in trainer.callback_metrics.items() if k.startswith(self.prefix)}
        if not watched:
            return
        values = torch.stack([v.detach().float().reshape(()) for v in watched.values()]).tolist()
        self._bad = {k: v for k, v in zip(watched, values) if not math.isfinite(v)}
        self._streak = self._streak + 1 if self._bad else 0
        if trainer.strategy.reduce_boolean_decision(self._streak >= self.patience, all=False):
            self._stop(trainer, f"non-finite for {self._streak} consecutive steps "
                                f"(callbacks.divergence.patience={self.patience})")

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.sanity_checking:
            self._check_parameters(trainer, pl_module)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._check_parameters(trainer, pl_module)

    def _check_parameters(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Stop, before ModelCheckpoint can save, when any parameter is NaN/Inf."""
        flags = [torch.isfinite(p.detach()).all() for p in pl_module.parameters()]
        broken = bool(flags) and not bool(torch.stack(flags).all())
        if trainer.strategy.reduce_boolean_decision(broken, all=False):
            self._stop(trainer, "the parameters are non-finite; stopped before saving a checkpoint")

    def _stop(self, trainer: pl.Trainer, reason: str) -> None:
        loss, value = next(iter(self._bad.items()), ("parameters", math.nan))
        last = trainer.checkpoint_callback.last_model_path if trainer.checkpoint_callback else ""
        message = (f"training diverged at step {trainer.global_step} (epoch {trainer.current_epoch}, batch "
                   f"{self._batch_idx}): {loss}={value}, {reason}. The last good checkpoint is "
                   f"{last or 'none (no epoch finished)'}. Try, in a new run (a resumed run keeps the checkpoint's "
                   "optimiser state, learning rate included), a lower learning rate (model.optimizer.lr, or "
                   "model.optimizer_g.lr / model.optimizer_d.lr), gradient clipping (trainer.gradient_clip_val, "
                   "automatic optimisation only) or trainer.precision=32.")
        if trainer.is_global_zero:
            marker = {"step": trainer.global_step, "epoch": trainer.current_epoch, "batch": self._batch_idx,
                      "loss": loss, "value": str(value), "non_finite": {k: str(v) for k, v in self._bad.items()},
                      "consecutive_bad_steps": self._streak, "message": message}
            (Path(trainer.default_root_dir) / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
        raise TrainingDiverged(message)
