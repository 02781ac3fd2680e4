"""Semantic segmentation: cross-entropy (+ optional soft Dice) with mIoU, Dice, pixel accuracy (torchmetrics), the
boundary F-score and Boundary IoU (``upsamplelab.metrics.boundary``: ``boundary_tolerance`` and ``boundary_dilation``
pixels), and the class-agnostic foreground IoU and foreground boundary F-score (``upsamplelab.metrics.foreground``:
the outline of the objects, whatever class they are given)."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassJaccardIndex
from torchmetrics.segmentation import DiceScore

from ..checks import check_int
from ..metrics import BoundaryF1, BoundaryIoU, ForegroundBoundaryF1, ForegroundIoU
from .base import OptimizerFactory, UpsampleLabModule
from .grids import mask_to_image
from .performance import ChannelsLast


def soft_dice_loss(logits: Tensor, target: Tensor, eps: float = 1.0) -> Tensor:
    """1 - mean over classes of 2|P∩T| / (|P| + |T|) on softmax probabilities (Milletari et al. 2016, V-Net)."""
    probs = logits.softmax(dim=1)
    onehot = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).to(probs.dtype)
    inter = (probs * onehot).sum(dim=(0, 2, 3))
    total = probs.sum(dim=(0, 2, 3)) + onehot.sum(dim=(0, 2, 3))
    return 1 - ((2 * inter + eps) / (total + eps)).mean()


class SegmentationModule(UpsampleLabModule):
    def __init__(self, net: nn.Module, optimizer: OptimizerFactory, num_classes: int,
                 scheduler: Optional[object] = None, dice_weight: float = 0.0, grid_size: int = 8,
                 monitor: str = "val/miou", monitor_mode: str = "max",
                 channels_last: ChannelsLast = "auto", compile: bool = False, boundary_tolerance: int = 2,
                 boundary_dilation: int = 2) -> None:
        super().__init__(monitor, monitor_mode, channels_last, compile)
        if num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {num_classes}")
        check_int("model.boundary_tolerance", boundary_tolerance, minimum=0, why="pixels")
        check_int("model.boundary_dilation", boundary_dilation, why="pixels")
        self.net, self.optimizer, self.scheduler = net, optimizer, scheduler
        self.num_classes, self.dice_weight, self.grid_size = num_classes, dice_weight, grid_size
        metrics = MetricCollection({
            "miou": MulticlassJaccardIndex(num_classes, average="macro"),
            "dice": DiceScore(num_classes, average="macro", input_format="index"),
            "pixel_acc": MulticlassAccuracy(num_classes, average="micro"),
            "boundary_f1": BoundaryF1(num_classes, boundary_tolerance),
            "boundary_iou": BoundaryIoU(num_classes, boundary_dilation),
            "fg_iou": ForegroundIoU(),
            "fg_boundary_f1": ForegroundBoundaryF1(boundary_tolerance),
        })
        self.val_metrics, self.test_metrics = metrics.clone(prefix="val/"), metrics.clone(prefix="test/")
        self._grid_batch: Optional[tuple[Tensor, Tensor]] = None

    def check_data(self, datamodule) -> None:
        if getattr(datamodule, "task", "segmentation") != "segmentation":
            raise ValueError(f"model is a segmentation model but data {type(datamodule).__name__} has task="
                             f"{datamodule.task!r}; pick a segmentation dataset (shapes, fashion_seg, nuclei, ...)")
        if datamodule.num_classes != self.num_classes:
            raise ValueError(f"model.num_classes={self.num_classes} but data.num_classes={datamodule.num_classes}")
        self.check_fit(datamodule, self.net.in_channels, "model.net.in_channels", self.net.depth, "model.net.depth")

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)

    def loss(self, logits: Tensor, target: Tensor) -> Tensor:
        ce = F.cross_entropy(logits, target)
        return ce + self.dice_weight * soft_dice_loss(logits, target) if self.dice_weight else ce

    def configure_optimizers(self):
        optimizer = self.optimizer(self.parameters())
        if self.scheduler is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": self.scheduler(optimizer), "interval": "epoch"}}

    def training_step(self, batch, batch_idx: int) -> Tensor:
        x, y = batch
        loss = self.loss(self(x), y)
        self.log_train(lambda: {"loss": loss})
        return loss

    def _evaluate(self, batch, metrics: MetricCollection, stage: str) -> Tensor:
        x, y = batch
        logits = self(x)
        self.log(f"{stage}/loss", self.loss(logits, y), batch_size=x.shape[0], sync_dist=True)
        metrics.update(logits.argmax(dim=1), y)
        self.log_dict(metrics, batch_size=x.shape[0])
        return logits

    def validation_step(self, batch, batch_idx: int) -> None:
        logits = self._evaluate(batch, self.val_metrics, "val")
        if batch_idx == 0:
            n = self.grid_size
            self._grid_batch = (batch[0][:n], batch[1][:n], logits[:n].argmax(dim=1))
            truth = F.one_hot(batch[1], self.num_classes).permute(0, 3, 1, 2)
            self.log_artifact_metrics(logits.softmax(dim=1), truth, "val")      # on probability maps

    def test_step(self, batch, batch_idx: int) -> None:
        self._evaluate(batch, self.test_metrics, "test")

    def on_validation_epoch_end(self) -> None:
        if self._grid_batch is not None:
            x, y, pred = self._grid_batch
            self.save_epoch_grid([x, mask_to_image(y, self.num_classes), mask_to_image(pred, self.num_classes)],
                                 "predictions")
