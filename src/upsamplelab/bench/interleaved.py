"""Raw loop and framework timed step by step in turns, inside one training run, so that both see the same machine.

On a shared or virtual machine the speed of the CPU drifts by 10-20 % within seconds, more than the overhead being
measured, so two runs one after the other cannot resolve a few per cent.  ``Interleaved`` is added to an
``upsamplelab.train`` run: after every framework batch (at its ``on_train_batch_end``) it times one hand-written
step (``RawLoop``) on the same LightningModule, with its weights, memory format and data tensors and optimisers of
its own.  A framework step is the time from the end of that raw step to the next batch's ``on_train_batch_end``: a
full cycle of the Trainer's loop (data, hooks, callbacks, logging, progress bar, training step).  Each epoch's first
framework step and the first raw step are left out (one-off costs).  On a GPU the raw loop runs on the module's
device in the Trainer's precision, and the device is synchronised before each clock read.  The per-step seconds of
both, with the batch size and the memory format used, go to ``<run dir>/bench_timings.json``.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import pytorch_lightning as pl

from .device import Device
from .raw_loop import RawLoop

TIMINGS_FILE = "bench_timings.json"


class Interleaved(pl.Callback):
    def __init__(self) -> None:
        self.framework_s: list[float] = []
        self.raw_s: list[float] = []
        self._loop: Optional[RawLoop] = None
        self._resumed: Optional[float] = None
        self._device = Device()

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        images, targets = trainer.datamodule.part("train")
        precision = {"32-true": "32"}.get(trainer.precision, trainer.precision)
        self._device = Device(pl_module.device.type, precision)
        self._loop = RawLoop(pl_module, images, targets, batch_size=trainer.datamodule.batch_size,
                             channels_last=pl_module.uses_channels_last, device=self._device)
        self._loop.timed_step()                                  # warm-up: its optimisers' state

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._resumed = None

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        self._device.synchronize()
        if self._resumed is not None:
            self.framework_s.append(time.perf_counter() - self._resumed)
            self.raw_s.append(self._loop.timed_step())
        self._resumed = time.perf_counter()

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        timings = {"batch_size": trainer.datamodule.batch_size, "channels_last": pl_module.uses_channels_last,
                   "framework_s": self.framework_s, "raw_s": self.raw_s}
        (Path(trainer.default_root_dir) / TIMINGS_FILE).write_text(json.dumps(timings) + "\n")
