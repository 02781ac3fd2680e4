"""The class-agnostic foreground IoU and foreground boundary F-score (``upsamplelab.metrics.foreground``) against a
NumPy reference, torchmetrics' per-class IoU and the boundary F-score of two-class maps, and the property they exist
for: a prediction with the right outlines and the wrong classes scores 1."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torchmetrics.classification import MulticlassJaccardIndex

from label_maps import blobs
from upsamplelab.metrics import (ForegroundBoundaryF1, ForegroundIoU, boundary_f1, foreground_boundary_f1,
                                 foreground_iou)

CASES = [(seed, k, size) for seed, (k, size) in enumerate([(2, (16, 16)), (3, (13, 17)), (11, (24, 20)),
                                                            (5, (9, 31))])]


def foreground_iou_ref(pred: np.ndarray, target: np.ndarray) -> float:
    p, t = pred > 0, target > 0
    union = np.logical_or(p, t).sum()
    return float(np.logical_and(p, t).sum() / union) if union else 1.0


@pytest.mark.parametrize("seed,num_classes,size", CASES)
def test_foreground_iou_equals_the_numpy_reference(seed, num_classes, size):
    pred, target = blobs(3, num_classes, size, seed), blobs(3, num_classes, size, seed + 100)
    assert foreground_iou(pred, target) == pytest.approx(foreground_iou_ref(pred.numpy(), target.numpy()), abs=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_on_two_classes_they_are_the_object_class_iou_and_the_boundary_f_score(seed):
    """Background and one object class (the nuclei): the foreground is the object class."""
    pred, target = blobs(4, 2, (20, 20), seed), blobs(4, 2, (20, 20), seed + 50)
    per_class = MulticlassJaccardIndex(2, average=None)(pred, target)
    assert foreground_iou(pred, target) == pytest.approx(float(per_class[1]), abs=1e-6)
    for tolerance in (0, 1, 3):
        assert foreground_boundary_f1(pred, target, tolerance) == boundary_f1(pred, target, 2, tolerance)


def test_the_right_outlines_with_the_wrong_classes_score_one():
    """Every object given another object class: mIoU collapses, the foreground scores do not move."""
    target = blobs(4, 6, (24, 24), 3)
    relabelled = torch.where(target > 0, (target % 5) + 1, target)          # 1 -> 2, ..., 5 -> 1, background kept
    assert (relabelled != target)[target > 0].all()
    assert foreground_iou(relabelled, target) == foreground_boundary_f1(relabelled, target) == 1.0
    assert MulticlassJaccardIndex(6)(relabelled, target) < 0.3


def test_a_grown_square_by_hand():
    """A 4 x 4 true square predicted as 6 x 6 (one ring more, its class wrong): IoU 16/36.  Contours lie 1 px
    apart, their corners sqrt(2): with tolerance 0 nothing matches, with 2 everything.  With 1, the foreground
    (rings of 20 predicted, 12 true pixels) loses the 4 predicted corners: P 16/20, R 1, BF 8/9; the background
    (rings of 28 and 20 outside them) likewise: P 24/28, R 1, BF 12/13; the score is their mean."""
    target, pred = torch.zeros(1, 10, 10, dtype=torch.long), torch.zeros(1, 10, 10, dtype=torch.long)
    target[0, 3:7, 3:7], pred[0, 2:8, 2:8] = 1, 2
    assert foreground_iou(pred, target) == pytest.approx(16 / 36, abs=1e-15)
    assert foreground_boundary_f1(pred, target, tolerance=0) == 0.0
    assert foreground_boundary_f1(pred, target, tolerance=1) == pytest.approx((8 / 9 + 12 / 13) / 2, abs=1e-15)
    assert foreground_boundary_f1(pred, target, tolerance=2) == 1.0


def test_maps_without_foreground_agree():
    zeros = torch.zeros(2, 5, 5, dtype=torch.long)
    assert foreground_iou(zeros, zeros) == foreground_boundary_f1(zeros, zeros) == 1.0
    assert foreground_iou(zeros, torch.ones_like(zeros)) == 0.0


def test_accumulated_over_batches_equals_the_function_on_all_images():
    pred, target = blobs(6, 4, (16, 20), 7), blobs(6, 4, (16, 20), 8)
    for metric, function in ((ForegroundIoU(), foreground_iou),
                             (ForegroundBoundaryF1(tolerance=1), lambda p, t: foreground_boundary_f1(p, t, 1))):
        for part in (slice(0, 1), slice(1, 4), slice(4, 6)):
            metric.update(pred[part], target[part])
        assert metric.compute().item() == pytest.approx(function(pred, target), abs=1e-6)


@pytest.mark.parametrize("call,match", [
    (lambda: foreground_iou(torch.zeros(1, 4, 4), torch.zeros(1, 4, 4, dtype=torch.long)),
     r"pred must be an integer label map of shape \(N, H, W\), got torch.float32"),
    (lambda: foreground_iou(torch.zeros(1, 4, 4, dtype=torch.long), torch.zeros(4, 4, dtype=torch.long)),
     r"target must be an integer label map of shape \(N, H, W\)"),
    (lambda: foreground_boundary_f1(torch.zeros(1, 4, 4, dtype=torch.long), torch.zeros(1, 4, 4, dtype=torch.long),
                                    tolerance=-1), "tolerance must be an int >= 0"),
    (lambda: ForegroundBoundaryF1(tolerance=-2), "tolerance must be an int >= 0"),
])
def test_bad_input_is_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()
