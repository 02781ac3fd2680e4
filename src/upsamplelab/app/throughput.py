"""Training throughput in the steady state: images per second between the end of each epoch's first batch and the
end of its last.

``images_per_s`` = images of the training batches after each epoch's first / seconds from the end of that first
batch to the end of the epoch's last, summed over the run's epochs.  The first batch is left out because it pays
one-off costs (optimiser state allocation, first-call kernel selection, progress-bar set-up); everything between
later batches counts (data loading, logging, callbacks), validation does not.  ``upsamplelab.bench`` times its raw
PyTorch loop the same way, so the two are comparable.  Reported in ``run.json``, not in ``metrics.csv``, which
stays identical between identical runs.
"""
from __future__ import annotations

import time
from typing import Optional

import pytorch_lightning as pl


class Throughput(pl.Callback):
    def __init__(self) -> None:
        self.epochs: list[tuple[int, float]] = []          # (images, seconds) of each timed epoch
        self._first_end: Optional[float] = None
        self._epoch_images, self._last_end = 0, 0.0

    @property
    def images_per_s(self) -> Optional[float]:
        seconds = sum(s for _, s in self.epochs)
        return sum(n for n, _ in self.epochs) / seconds if seconds > 0 else None

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._first_end, self._epoch_images = None, 0

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        now = time.perf_counter()
        if self._first_end is None:
            self._first_end = now
        else:
            self._epoch_images += len(batch[0])
            self._last_end = now

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._first_end is not None and self._epoch_images:
            self.epochs.append((self._epoch_images, self._last_end - self._first_end))
        self._first_end = None
