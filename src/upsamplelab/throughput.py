"""Training throughput, measured where the time goes: from the first batch of an epoch to the end of its last.

``images_per_s`` = images of the training batches / seconds between the start of each epoch's first batch and the
end of its last, summed over the run's epochs (data loading between batches counts, validation does not).  It is
reported in ``run.json``, not in ``metrics.csv``, which stays identical between identical runs.
"""
from __future__ import annotations

import time
from typing import Optional

import pytorch_lightning as pl


class Throughput(pl.Callback):
    def __init__(self) -> None:
        self.images, self.seconds = 0, 0.0
        self._start: Optional[float] = None
        self._end = 0.0

    @property
    def images_per_s(self) -> Optional[float]:
        return self.images / self.seconds if self.seconds > 0 else None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx: int) -> None:
        if self._start is None:
            self._start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        self.images += len(batch[0])
        self._end = time.perf_counter()

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._start is not None:
            self.seconds += self._end - self._start
        self._start = None
