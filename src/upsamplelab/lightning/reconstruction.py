"""Image reconstruction (autoencoders): MSE or L1 loss, PSNR and SSIM (torchmetrics) on [-1, 1] images."""
from __future__ import annotations

from typing import Optional

import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics import MetricCollection
from torchmetrics.image import PeakSignalNoiseRatio, StructuralSimilarityIndexMeasure

from .base import OptimizerFactory, UpsampleLabModule
from .performance import ChannelsLast

LOSSES = {"mse": F.mse_loss, "l1": F.l1_loss}
DATA_RANGE = 2.0          # images live in [-1, 1]


class ReconstructionModule(UpsampleLabModule):
    def __init__(self, net: nn.Module, optimizer: OptimizerFactory, loss: str = "mse", grid_size: int = 16,
                 monitor: str = "val/psnr", monitor_mode: str = "max",
                 channels_last: ChannelsLast = "auto", compile: bool = False) -> None:
        super().__init__(monitor, monitor_mode, channels_last, compile)
        if loss not in LOSSES:
            raise ValueError(f"model.loss must be one of {sorted(LOSSES)}, got {loss!r}")
        self.net, self.optimizer, self.loss_fn, self.grid_size = net, optimizer, LOSSES[loss], grid_size
        metrics = MetricCollection({"psnr": PeakSignalNoiseRatio(data_range=DATA_RANGE),
                                    "ssim": StructuralSimilarityIndexMeasure(data_range=DATA_RANGE)})
        self.val_metrics, self.test_metrics = metrics.clone(prefix="val/"), metrics.clone(prefix="test/")
        self._grid_batch: Optional[tuple[Tensor, Tensor]] = None

    def check_data(self, datamodule) -> None:
        self.check_fit(datamodule, self.net.channels, "model.net.channels", self.net.depth, "len(model.net.widths)")

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)

    def configure_optimizers(self):
        return self.optimizer(self.parameters())

    def training_step(self, batch, batch_idx: int) -> Tensor:
        x = batch[0]
        loss = self.loss_fn(self(x), x)
        self.log_train(lambda: {"loss": loss})
        return loss

    def _evaluate(self, batch, metrics: MetricCollection, stage: str) -> Tensor:
        x = batch[0]
        recon = self(x)
        self.log(f"{stage}/loss", self.loss_fn(recon, x), batch_size=x.shape[0], sync_dist=True)
        metrics.update(recon.clamp(-1, 1), x)
        self.log_dict(metrics, batch_size=x.shape[0])
        return recon

    def validation_step(self, batch, batch_idx: int) -> None:
        recon = self._evaluate(batch, self.val_metrics, "val")
        if batch_idx == 0:
            self._grid_batch = (batch[0][:self.grid_size], recon[:self.grid_size])
            self.log_artifact_metrics(recon.clamp(-1, 1), batch[0], "val")

    def test_step(self, batch, batch_idx: int) -> None:
        self._evaluate(batch, self.test_metrics, "test")

    def on_validation_epoch_end(self) -> None:
        if self._grid_batch is not None:
            self.save_epoch_grid(list(self._grid_batch), "reconstructions")
