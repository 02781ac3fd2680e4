"""``DivergenceGuard``: stop a run whose training losses turned NaN/Inf, before it saves a broken checkpoint.

After every training batch the guard reads the losses that ``training_step`` returned (``outputs``: ``loss`` under
automatic optimisation, named ``train/loss``; ``d_loss`` and ``g_loss`` for the GAN's manual optimisation, named
``train/d_loss``, ``train/g_loss``) and counts consecutive batches with a non-finite one.  After ``patience`` of them
it stops the run.  Before the epoch-end checkpoints (at validation start and at training-epoch end: Lightning runs
checkpoint callbacks after all others) it also checks that the parameters are finite, and stops if they are not,
however short the streak; so ``last.ckpt`` stays the last good checkpoint.  (A ``ModelCheckpoint`` that saves every
n training steps is guarded by the loss check alone.)

Stopping writes ``<run dir>/DIVERGED`` (JSON: ``step`` = optimiser steps so far, ``epoch``, ``batch``, ``loss`` and
``value`` = the first non-finite metric, ``non_finite`` = all of them, ``consecutive_bad_steps``, ``message``; values
as strings, "nan"/"inf") and raises ``TrainingDiverged``, which ``upsamplelab.train`` reports and turns into a NaN
objective.  A run that starts training again in that directory removes the marker.

Cost: a batch's losses are kept by reference (no tensor operation, no host sync) and read every
``check_every_n_steps`` batches, together (and under DDP with one all-reduce, so that all ranks stop together): by
default every batch on the CPU, where reading two numbers costs microseconds, and every ``trainer.log_every_n_steps``
batches on an accelerator, where a read per step would stall the pipeline.  A streak is then noticed up to that many
batches late on a GPU; the parameter check before each checkpoint is unaffected.  That check costs one read per
checkpoint point.  (What a per-step check cost is measured in BENCHMARKS.md.)
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from torch import Tensor

from ..run_dir import DIVERGED, last_checkpoint
from ..checks import check_int


class TrainingDiverged(RuntimeError):
    """Training losses or parameters became non-finite; the run directory holds a DIVERGED marker."""


class DivergenceGuard(pl.Callback):
    def __init__(self, patience: int = 3, check_every_n_steps: int | None = None) -> None:
        check_int("callbacks.divergence.patience", patience)
        check_int("callbacks.divergence.check_every_n_steps", check_every_n_steps, optional=True)
        self.patience, self.check_every_n_steps = patience, check_every_n_steps
        self._reset()

    def _reset(self) -> None:
        self._pending: list[dict[str, Tensor]] = []      # the losses of the batches since the last read
        self._streak, self._bad, self._batch_idx = 0, {}, -1

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._reset()
        if trainer.is_global_zero:
            (Path(trainer.default_root_dir) / DIVERGED).unlink(missing_ok=True)

    @staticmethod
    def watched(outputs: Any) -> dict[str, Tensor]:
        """The training losses in ``outputs`` as ``train/<name>``: tensors of a mapping, or one tensor (loss)."""
        if isinstance(outputs, Tensor):
            outputs = {"loss": outputs}
        if not isinstance(outputs, Mapping):
            return {}
        return {f"train/{k}": v.detach() for k, v in outputs.items() if isinstance(v, Tensor)}

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        self._batch_idx = batch_idx
        watched = self.watched(outputs)
        if not watched:
            return
        self._pending.append(watched)                   # no tensor op, no sync: only a reference
        every = self.check_every_n_steps or (1 if pl_module.device.type == "cpu" else
                                             max(1, trainer.log_every_n_steps))
        if (batch_idx + 1) % every == 0:
            self._read(trainer)

    def _read(self, trainer: pl.Trainer) -> None:
        """Bring the pending losses to the host (one sync on an accelerator), continue the streak over them, and
        stop when it reached ``patience`` at any of them."""
        pending, self._pending, longest = self._pending, [], 0
        for losses in pending:
            values = {k: float(v) for k, v in losses.items()}
            bad = {k: v for k, v in values.items() if not math.isfinite(v)}
            self._streak = self._streak + 1 if bad else 0
            longest = max(longest, self._streak)
            self._bad = bad or self._bad
        if trainer.strategy.reduce_boolean_decision(longest >= self.patience, all=False):
            self._stop(trainer, f"non-finite for {longest} consecutive steps "
                                f"(callbacks.divergence.patience={self.patience})", longest)

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
            self._stop(trainer, "the parameters are non-finite; stopped before saving a checkpoint", self._streak)

    def _stop(self, trainer: pl.Trainer, reason: str, streak: int) -> None:
        loss, value = next(iter(self._bad.items()), ("parameters", math.nan))
        path = last_checkpoint(trainer.default_root_dir)
        last = str(path) if path.exists() else ""
        message = (f"training diverged at step {trainer.global_step} (epoch {trainer.current_epoch}, batch "
                   f"{self._batch_idx}): {loss}={value}, {reason}. The last good checkpoint is "
                   f"{last or 'none (no epoch finished)'}. Try, in a new run (a resumed run keeps the checkpoint's "
                   "optimiser state, learning rate included), a lower learning rate (model.optimizer.lr, or "
                   "model.optimizer_g.lr / model.optimizer_d.lr), gradient clipping (trainer.gradient_clip_val, "
                   "automatic optimisation only) or trainer.precision=32.")
        if trainer.is_global_zero:
            marker = {"step": trainer.global_step, "epoch": trainer.current_epoch, "batch": self._batch_idx,
                      "loss": loss, "value": str(value), "non_finite": {k: str(v) for k, v in self._bad.items()},
                      "consecutive_bad_steps": streak, "message": message}
            (Path(trainer.default_root_dir) / DIVERGED).write_text(json.dumps(marker, indent=2) + "\n")
        raise TrainingDiverged(message)
