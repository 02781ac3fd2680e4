"""Boundary F-score (Csurka et al. 2013) and Boundary IoU (Cheng et al. 2021) against SciPy references written here
(Euclidean distance transform, iterated 3 x 3 erosion), on random and hand-drawn label maps."""
from __future__ import annotations

import math

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from scipy import ndimage
from torch.utils.data import DataLoader, TensorDataset

from label_maps import blobs
from upsamplelab.lightning import SegmentationModule
from upsamplelab.metrics import (
    BoundaryF1,
    BoundaryIoU,
    boundary_f1,
    boundary_f1_per_class,
    boundary_iou,
    boundary_iou_per_class,
    foreground_boundary_f1,
    foreground_iou,
)
from upsamplelab.metrics.morphology import dilate_disk, disk_rectangles, erode_square

SQUARE = np.ones((3, 3), dtype=bool)


def contour_ref(mask: np.ndarray) -> np.ndarray:
    """The pixels of ``mask`` with an 8-neighbour outside it; beyond the frame counts as inside."""
    return mask & ~ndimage.binary_erosion(mask, SQUARE, border_value=1)


def mean_ref(per_class: list[float]) -> float:
    scored = [v for v in per_class if not math.isnan(v)]
    return float(np.mean(scored)) if scored else 1.0


def boundary_f1_ref(pred: np.ndarray, target: np.ndarray, num_classes: int, tolerance: int) -> list[float]:
    """Per class: contour pixels of one map within Euclidean distance ``tolerance`` of the other's (SciPy's exact
    distance transform), counted over all images; precision, recall, their harmonic mean."""
    counts = np.zeros((num_classes, 4))
    for p, t in zip(pred, target):
        for c in range(num_classes):
            pb, tb = contour_ref(p == c), contour_ref(t == c)
            to_true = ndimage.distance_transform_edt(~tb) if tb.any() else np.full(tb.shape, np.inf)
            to_pred = ndimage.distance_transform_edt(~pb) if pb.any() else np.full(pb.shape, np.inf)
            counts[c] += [(pb & (to_true <= tolerance)).sum(), pb.sum(), (tb & (to_pred <= tolerance)).sum(), tb.sum()]
    scores = []
    for matched_p, n_p, matched_t, n_t in counts:
        if n_p + n_t == 0:
            scores.append(math.nan)
            continue
        precision = matched_p / n_p if n_p else 0.0
        recall = matched_t / n_t if n_t else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return scores


def boundary_iou_ref(pred: np.ndarray, target: np.ndarray, num_classes: int, dilation: int) -> list[float]:
    """Per class: the mask minus its erosion by the 3 x 3 square repeated ``dilation`` times (Cheng et al.'s
    construction, the frame counting as inside), intersection over union of the two bands over all images."""
    inter, union = np.zeros(num_classes), np.zeros(num_classes)
    for p, t in zip(pred, target):
        for c in range(num_classes):
            bands = [m & ~ndimage.binary_erosion(m, SQUARE, iterations=dilation, border_value=1)
                     for m in (p == c, t == c)]
            inter[c] += (bands[0] & bands[1]).sum()
            union[c] += (bands[0] | bands[1]).sum()
    return [i / u if u else math.nan for i, u in zip(inter, union)]


RANDOM_CASES = [(seed, k, size) for seed, (k, size) in enumerate([(2, (16, 16)), (3, (13, 17)), (4, (24, 20)),
                                                                    (5, (9, 31))])]


FUNCTIONS = {"boundary_f1": (boundary_f1_per_class, boundary_f1, boundary_f1_ref, "tolerance", [0, 1, 2, 3, 5]),
             "boundary_iou": (boundary_iou_per_class, boundary_iou, boundary_iou_ref, "dilation", [1, 2, 3, 5])}


@pytest.mark.parametrize("seed,num_classes,size", RANDOM_CASES)
@pytest.mark.parametrize("metric,width", [(m, w) for m, (*_, widths) in FUNCTIONS.items() for w in widths])
def test_equals_the_scipy_reference(metric, width, seed, num_classes, size):
    per_class, mean, reference, width_key, _ = FUNCTIONS[metric]
    pred, target = blobs(3, num_classes, size, seed), blobs(3, num_classes, size, seed + 100)
    expected = reference(pred.numpy(), target.numpy(), num_classes, width)
    got = per_class(pred, target, num_classes, **{width_key: width})
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-12)
    assert mean(pred, target, num_classes, **{width_key: width}) == pytest.approx(mean_ref(expected), abs=1e-12)


@pytest.mark.parametrize("radius", range(7))
def test_morphology_is_the_exact_euclidean_and_chessboard_distance(radius):
    """dilate_disk: distance_transform_edt <= d; erode_square: the 3 x 3 erosion repeated d times."""
    mask = torch.rand(2, 3, 19, 23, generator=torch.Generator().manual_seed(radius)) < 0.03
    for image in range(2):
        for c in range(3):
            m = mask[image, c].numpy()
            near = ndimage.distance_transform_edt(~m) <= radius if m.any() else np.zeros_like(m)
            np.testing.assert_array_equal(dilate_disk(mask, radius)[image, c].numpy(), near)
            dense = ~m
            eroded = ndimage.binary_erosion(dense, SQUARE, iterations=radius, border_value=1) if radius else dense
            np.testing.assert_array_equal(erode_square(~mask, radius)[image, c].numpy(), eroded)
    assert disk_rectangles(2) == [(0, 2), (1, 1), (2, 0)]
    assert disk_rectangles(5) == [(0, 5), (3, 4), (4, 3), (5, 0)]          # dy = 1, 2 lie inside dy = 3's rectangle


def halves(first_class_columns: int, size: int = 8) -> torch.Tensor:
    """One (1, size, size) map: class 0 in the first ``first_class_columns`` columns, class 1 in the others."""
    labels = torch.ones(1, size, size, dtype=torch.long)
    labels[..., :first_class_columns] = 0
    return labels


def test_a_boundary_shifted_by_one_pixel_by_hand():
    """Truth: columns 0-3 | 4-7; prediction: columns 0-4 | 5-7.  Contours: columns 3 and 4 (truth), 4 and 5
    (prediction), 1 px apart: BF 1 within 1 or 2 px, 0 at 0 px.  Bands of width 2: class 0 columns {2, 3} vs
    {3, 4}, class 1 {4, 5} vs {5, 6}: IoU 8 / 24 each."""
    truth, pred = halves(4), halves(5)
    assert boundary_f1(pred, truth, 2, tolerance=2) == boundary_f1(pred, truth, 2, tolerance=1) == 1.0
    assert boundary_f1(pred, truth, 2, tolerance=0) == 0.0
    assert boundary_iou(pred, truth, 2, dilation=2) == pytest.approx(1 / 3, abs=1e-15)
    assert boundary_iou(pred, truth, 2, dilation=1) == 0.0                 # columns 3 vs 4 and 4 vs 5
    assert boundary_f1(truth, truth, 2) == boundary_iou(truth, truth, 2) == 1.0


def test_a_missed_square_by_hand():
    """Truth: a 4 x 4 square of class 1 at (2..5, 2..5) on class 0, 8 x 8; prediction: all class 0.  Class 1: 12
    true contour pixels (the square's ring), none predicted: BF 0, IoU 0.  Class 0: its contour is the ring around
    the square (20 pixels), none predicted: 0.  A third class absent from both maps is left out of the mean."""
    truth = torch.zeros(1, 8, 8, dtype=torch.long)
    truth[0, 2:6, 2:6] = 1
    pred = torch.zeros_like(truth)
    np.testing.assert_array_equal(boundary_f1_per_class(pred, truth, 3).numpy(), [0.0, 0.0, np.nan])
    np.testing.assert_array_equal(boundary_iou_per_class(pred, truth, 3).numpy(), [0.0, 0.0, np.nan])
    assert boundary_f1(pred, truth, 3) == boundary_iou(pred, truth, 3) == 0.0

    half = truth.clone()
    half[0, 2:6, 2:4] = 0                                   # the left half missed: class 1 in columns 4-5 only
    # exact (d = 0): class 1, 6 of the 8 predicted contour pixels on the 12-pixel ring, 6 ring pixels found:
    # P 3/4, R 1/2, BF 3/5; class 0, 12 of its 16 predicted contour pixels on its 20: P 3/4, R 3/5, BF 2/3
    assert boundary_f1(half, truth, 3, tolerance=0) == pytest.approx((3 / 5 + 2 / 3) / 2, abs=1e-15)
    assert boundary_f1(half, truth, 3, tolerance=2) == 1.0             # every contour pixel within 2 px


def test_maps_without_any_boundary_agree():
    """No contour in either map: nothing to score, the mean is 1 (the regions may still disagree)."""
    zeros, ones = torch.zeros(2, 6, 6, dtype=torch.long), torch.ones(2, 6, 6, dtype=torch.long)
    assert boundary_f1(zeros, ones, 2) == boundary_iou(zeros, ones, 2) == 1.0
    assert torch.isnan(boundary_f1_per_class(zeros, ones, 2)).all()


def test_accumulated_over_batches_equals_the_function_on_all_images():
    pred, target = blobs(6, 4, (16, 20), 7), blobs(6, 4, (16, 20), 8)
    for metric, function in ((BoundaryF1(4, tolerance=1), lambda p, t: boundary_f1(p, t, 4, tolerance=1)),
                             (BoundaryIoU(4, dilation=3), lambda p, t: boundary_iou(p, t, 4, dilation=3))):
        for part in (slice(0, 1), slice(1, 4), slice(4, 6)):
            metric.update(pred[part], target[part])
        assert metric.compute().item() == pytest.approx(function(pred, target), abs=1e-6)
        assert function(pred, target) != pytest.approx(np.mean([function(pred[i:i + 1], target[i:i + 1])
                                                                for i in range(6)]), abs=1e-6)


@pytest.mark.parametrize("call,match", [
    (lambda: boundary_f1(torch.zeros(1, 4, 4), torch.zeros(1, 4, 4), 2), "pred must be an integer label map"),
    (lambda: boundary_iou(torch.zeros(4, 4, dtype=torch.long), torch.zeros(4, 4, dtype=torch.long), 2),
     r"pred must be an integer label map of shape \(N, H, W\)"),
    (lambda: boundary_f1(torch.zeros(1, 4, 4, dtype=torch.long), torch.full((1, 4, 4), 2), 2),
     r"target must hold class indices in \[0, 2\), got values from 2 to 2"),
    (lambda: boundary_f1(torch.zeros(1, 4, 4, dtype=torch.long), torch.zeros(1, 4, 4, dtype=torch.long), 2,
                         tolerance=-1), "tolerance must be an int >= 0"),
    (lambda: BoundaryIoU(2, dilation=0), "dilation must be an int >= 1"),
])
def test_bad_input_is_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- in the segmentation module: val/ and test/ values, configured widths ----------------------------------------

def segmentation_module(**kwargs) -> SegmentationModule:
    """Over 3 classes; its network is a 1 x 1 convolution set to the identity, so the logits are the input."""
    net = torch.nn.Conv2d(3, 3, 1)
    with torch.no_grad():
        net.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
        net.bias.zero_()
    return SegmentationModule(net, optimizer=torch.optim.Adam, num_classes=3, channels_last=False, **kwargs)


def test_segmentation_logs_the_boundary_metrics_of_the_whole_validation_and_test_sets(tmp_path):
    """Noisy one-hot maps of the truth as logits, in batches of 5, 5 and 2 images: the logged values are the
    functions on all 12 predictions at once, with the configured tolerance and dilation (the foreground boundary
    F-score with the same tolerance)."""
    module = segmentation_module(boundary_tolerance=1, boundary_dilation=3)
    y = blobs(12, 3, (16, 16), 2)
    noise = torch.randn(12, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    x = F.one_hot(y, 3).permute(0, 3, 1, 2).float() + 0.6 * noise
    trainer = pl.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False,
                         enable_checkpointing=False, default_root_dir=tmp_path)
    loader = DataLoader(TensorDataset(x, y), batch_size=5)
    (validated,), (tested,) = trainer.validate(module, loader), trainer.test(module, loader)
    pred = x.argmax(dim=1)
    scores = {"boundary_f1": boundary_f1(pred, y, 3, tolerance=1), "boundary_iou": boundary_iou(pred, y, 3, dilation=3),
              "fg_iou": foreground_iou(pred, y), "fg_boundary_f1": foreground_boundary_f1(pred, y, tolerance=1)}
    assert 0.2 < min(scores.values()) and max(scores.values()) < 0.9, scores
    for stage, logged in (("val", validated), ("test", tested)):
        for name, value in scores.items():
            assert logged[f"{stage}/{name}"] == pytest.approx(value, abs=1e-6)
    assert scores["boundary_f1"] != pytest.approx(boundary_f1(pred, y, 3, tolerance=2), abs=1e-3)


@pytest.mark.parametrize("kwargs,match", [
    (dict(boundary_tolerance=-1), r"model.boundary_tolerance must be an int >= 0 \(pixels\), got -1"),
    (dict(boundary_dilation=1.5), r"model.boundary_dilation must be an int >= 1 \(pixels\), got 1.5"),
])
def test_bad_boundary_widths_name_the_config_key(kwargs, match):
    with pytest.raises(ValueError, match=match):
        segmentation_module(**kwargs)
