"""Training throughput, measured where the time goes: from the first batch of an epoch to the end of its last.

Logged as ``train/images_per_s`` once per epoch (images of the training batches / seconds between the start of the
epoch's first batch and the end of its last: data loading between batches counts, validation does not).
"""
from __future__ import annotations

import time

import pytorch_lightning as pl


class Throughput(pl.Callback):
    def __init__(self) -> None:
        self.images = 0
        self.start = self.end = 0.0

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.images, self.start, self.end = 0, 0.0, 0.0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx: int) -> None:
        if not self.start:
            self.start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        self.images += len(batch[0])
        self.end = time.perf_counter()

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.end > self.start:
            pl_module.log("train/images_per_s", self.images / (self.end - self.start))
