"""Boundary metrics of segmentation: where upsamplers differ, along the class contours, not in region averages.

Both take integer label maps ``pred`` and ``target`` (N, H, W) with values in [0, num_classes), count per class over
all N images (a dataset-level score, as mIoU here), and return per class a value in [0, 1]; the mean over classes
is the metric.  Contours are those of ``morphology.class_contours``: pixels of a class with an 8-neighbour of another
class; the image frame is no contour (it is the same in every prediction, so it would only dilute the score).

- Boundary F-score (Csurka, Larlus & Perronnin 2013, BMVC, "What is a good evaluation measure for semantic
  segmentation?"): a predicted contour pixel is correct when a true contour pixel of its class lies within Euclidean
  distance ``tolerance`` (d); precision P = correct predicted contour pixels / predicted contour pixels, recall
  R = true contour pixels with a predicted one within d / true contour pixels, and BF = 2PR / (P + R).
- Boundary IoU (Cheng, Girshick, Dollár, Berg & Kirillov 2021, CVPR, "Boundary IoU: Improving object-centric image
  segmentation evaluation"): G_d and P_d are the pixels of the true and the predicted mask of a class within
  ``dilation`` (d) pixels of its contour, i.e. the mask minus its erosion by the (2d + 1)^2 square (chessboard
  distance, as the authors' 3 x 3 erosion repeated d times); Boundary IoU = |G_d ∩ P_d| / |G_d ∪ P_d|.  Unlike
  their code, which pads the mask with zeros, the frame does not count as a contour (see above).

Absent classes: a class with no contour pixel in either map (absent from both, or covering every image alone) has
no boundary to score and is left out of the mean (NaN in the per-class values); a class with contour pixels in only
one map scores 0.  When no class has any, the two maps agree that there is no boundary and the mean is 1.  Boundary
metrics say nothing about regions (an image labelled wholly wrong has no contour either): read them beside mIoU.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor
from torchmetrics import Metric

from ..checks import check_int
from .morphology import class_contours, class_masks, dilate_disk, erode_square


def _per_class_count(mask: Tensor) -> Tensor:
    """(N, K, H, W) bool -> (K,): the true pixels of each class over all images."""
    return mask.sum(dim=(0, 2, 3))


def boundary_f1_counts(pred: Tensor, target: Tensor, num_classes: int, tolerance: int = 2) -> Tensor:
    """(4, K) counts: predicted contour pixels matched within ``tolerance``, predicted contour pixels, true contour
    pixels matched, true contour pixels."""
    check_int("tolerance", tolerance, minimum=0)
    predicted, true = class_contours(pred, num_classes, "pred"), class_contours(target, num_classes, "target")
    return torch.stack([_per_class_count(predicted & dilate_disk(true, tolerance)), _per_class_count(predicted),
                        _per_class_count(true & dilate_disk(predicted, tolerance)), _per_class_count(true)])


def boundary_f1_from_counts(counts: Tensor) -> Tensor:
    """(K,) boundary F-score per class from ``boundary_f1_counts``; NaN for a class without any contour pixel."""
    matched_pred, predicted, matched_true, true = counts.double()
    precision = torch.where(predicted > 0, matched_pred / predicted, 0.0)
    recall = torch.where(true > 0, matched_true / true, 0.0)
    f1 = torch.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return torch.where(predicted + true > 0, f1, torch.nan)


def boundary_iou_counts(pred: Tensor, target: Tensor, num_classes: int, dilation: int = 2) -> Tensor:
    """(2, K) counts: |G_d ∩ P_d| and |G_d ∪ P_d| per class."""
    check_int("dilation", dilation)
    bands = []
    for labels, name in ((pred, "pred"), (target, "target")):
        masks = class_masks(labels, num_classes, name)
        bands.append(masks & ~erode_square(masks, dilation))
    return torch.stack([_per_class_count(bands[0] & bands[1]), _per_class_count(bands[0] | bands[1])])


def boundary_iou_from_counts(counts: Tensor) -> Tensor:
    """(K,) Boundary IoU per class from ``boundary_iou_counts``; NaN for a class without any band pixel."""
    intersection, union = counts.double()
    return torch.where(union > 0, intersection / union, torch.nan)


def class_mean(per_class: Tensor) -> Tensor:
    """The mean over the classes that have a value (not NaN); 1 when none has (module docstring)."""
    scored = per_class[~per_class.isnan()]
    return scored.mean() if scored.numel() else torch.ones((), dtype=per_class.dtype, device=per_class.device)


def boundary_f1_per_class(pred: Tensor, target: Tensor, num_classes: int, tolerance: int = 2) -> Tensor:
    """(K,) boundary F-score per class (NaN: no contour pixel in either map)."""
    return boundary_f1_from_counts(boundary_f1_counts(pred, target, num_classes, tolerance))


def boundary_iou_per_class(pred: Tensor, target: Tensor, num_classes: int, dilation: int = 2) -> Tensor:
    """(K,) Boundary IoU per class (NaN: no contour pixel in either map)."""
    return boundary_iou_from_counts(boundary_iou_counts(pred, target, num_classes, dilation))


def boundary_f1(pred: Tensor, target: Tensor, num_classes: int, tolerance: int = 2) -> float:
    """The boundary F-score (Csurka et al. 2013) of label maps (N, H, W), averaged over classes: in [0, 1]."""
    return float(class_mean(boundary_f1_per_class(pred, target, num_classes, tolerance)))


def boundary_iou(pred: Tensor, target: Tensor, num_classes: int, dilation: int = 2) -> float:
    """Boundary IoU (Cheng et al. 2021) of label maps (N, H, W), averaged over classes: in [0, 1]."""
    return float(class_mean(boundary_iou_per_class(pred, target, num_classes, dilation)))


class BoundaryMetric(Metric):
    """A torchmetrics ``Metric`` that sums a boundary metric's per-class counts over batches (and processes) and
    computes the class mean at the end: the same value as the function on all the batches at once."""

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(self, counts: Callable[..., Tensor], score: Callable[[Tensor], Tensor], num_classes: int,
                 width: int, n_counts: int) -> None:
        super().__init__()
        self._counts, self._score, self.num_classes, self.width = counts, score, num_classes, width
        self.add_state("counts", default=torch.zeros(n_counts, num_classes, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, pred: Tensor, target: Tensor) -> None:
        self.counts += self._counts(pred, target, self.num_classes, self.width)

    def compute(self) -> Tensor:
        return class_mean(self._score(self.counts)).float()


class BoundaryF1(BoundaryMetric):
    """``boundary_f1`` accumulated over batches; ``tolerance`` in pixels."""

    def __init__(self, num_classes: int, tolerance: int = 2) -> None:
        check_int("tolerance", tolerance, minimum=0)
        super().__init__(boundary_f1_counts, boundary_f1_from_counts, num_classes, tolerance, 4)


class BoundaryIoU(BoundaryMetric):
    """``boundary_iou`` accumulated over batches; ``dilation`` in pixels."""

    def __init__(self, num_classes: int, dilation: int = 2) -> None:
        check_int("dilation", dilation)
        super().__init__(boundary_iou_counts, boundary_iou_from_counts, num_classes, dilation, 2)
