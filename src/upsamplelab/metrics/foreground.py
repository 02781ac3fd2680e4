"""Class-agnostic segmentation scores: what the decoder delineates, apart from what the encoder recognises.

A multi-class score such as mIoU falls both when an object's outline is wrong and when a well-outlined object gets
the wrong class.  The second is recognition, decided by the whole network's view of the object, and a decoder's
upsampler has little to do with it.  These scores merge every class but the background (class 0 in every dataset
here) into one foreground, ``pred != 0`` against ``target != 0``, and score that two-class map:

- ``foreground_iou``: |P ∩ T| / |P ∪ T| of the foreground pixels over all images (Jaccard 1901; the IoU of the
  foreground class, as mIoU counts it); 1 when neither map has any foreground.
- ``foreground_boundary_f1``: the boundary F-score (Csurka et al. 2013, ``metrics.boundary``) of the two-class map,
  so a contour counts whatever classes it separates.

On a two-class task (background and one object class) the foreground is that class: ``foreground_iou`` is its IoU
and ``foreground_boundary_f1`` is ``boundary_f1``.
"""
from __future__ import annotations

import torch
from torch import Tensor
from torchmetrics import Metric

from .boundary import BoundaryF1, boundary_f1
from .morphology import check_label_map

BACKGROUND = 0
"""The background's label in every segmentation dataset of ``upsamplelab.data``."""


def foreground(labels: Tensor, name: str = "labels") -> Tensor:
    """Integer label maps (N, H, W) -> the two-class map 1 (any class but the background) / 0 (background), int64;
    ValueError naming ``name`` for anything else."""
    check_label_map(labels, name)
    return (labels != BACKGROUND).long()


def _intersection_union(pred: Tensor, target: Tensor) -> Tensor:
    p, t = foreground(pred, "pred").bool(), foreground(target, "target").bool()
    return torch.stack([(p & t).sum(), (p | t).sum()])


def _iou(counts: Tensor) -> Tensor:
    intersection, union = counts.double()
    return torch.where(union > 0, intersection / union.clamp(min=1), 1.0)


def foreground_iou(pred: Tensor, target: Tensor) -> float:
    """The IoU of the foreground (every class but 0) of label maps (N, H, W): in [0, 1]."""
    return float(_iou(_intersection_union(pred, target)))


def foreground_boundary_f1(pred: Tensor, target: Tensor, tolerance: int = 2) -> float:
    """The boundary F-score of the foreground/background maps of label maps (N, H, W): in [0, 1]."""
    return boundary_f1(foreground(pred, "pred"), foreground(target, "target"), 2, tolerance)


class ForegroundIoU(Metric):
    """``foreground_iou`` accumulated over batches (and processes): the value of the function on all of them."""

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(self) -> None:
        super().__init__()
        self.add_state("counts", default=torch.zeros(2, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, pred: Tensor, target: Tensor) -> None:
        self.counts += _intersection_union(pred, target)

    def compute(self) -> Tensor:
        return _iou(self.counts).float()


class ForegroundBoundaryF1(BoundaryF1):
    """``foreground_boundary_f1`` accumulated over batches; ``tolerance`` in pixels."""

    def __init__(self, tolerance: int = 2) -> None:
        super().__init__(2, tolerance)

    def update(self, pred: Tensor, target: Tensor) -> None:
        super().update(foreground(pred, "pred"), foreground(target, "target"))
