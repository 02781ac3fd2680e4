"""Binary morphology on (N, K, H, W) boolean masks by max pooling, and the class contours of label maps.

Everything runs on the masks' device with ``max_pool2d`` (no distance transform, no loop over pixels):

- ``erode_square(mask, d)``: the pixels whose (2d + 1) x (2d + 1) neighbourhood lies in the mask, i.e. those at
  chessboard distance > d from the complement.  Pixels outside the image count as inside the mask (max pooling pads
  with -inf), so the image frame is not an edge.
- ``dilate_disk(mask, d)``: the pixels within Euclidean distance d of the mask, as the union of one max pooling per
  row offset dy = 0..d of the disk {dy^2 + dx^2 <= d^2}, each over the rectangle |y| <= dy, |x| <= isqrt(d^2 - dy^2)
  (rectangles inside a wider one of the same list are skipped).  For d = 2: 1 x 5, 3 x 3 and 5 x 1.
- ``class_contours(labels, K)``: for each class c, the pixels of class c with one of their 8 neighbours in another
  class (mask minus its 3 x 3 erosion): the inner contour of every region, the image frame excluded.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from ..checks import check_int


def erode_square(mask: Tensor, radius: int) -> Tensor:
    """``mask`` (N, K, H, W) bool eroded by the (2 radius + 1)^2 square; outside the image counts as inside."""
    outside = F.max_pool2d((~mask).float(), 2 * radius + 1, stride=1, padding=radius)
    return outside == 0


def disk_rectangles(radius: int) -> list[tuple[int, int]]:
    """Half-sizes (dy, dx) of the rectangles whose union is the disk of ``radius`` (module docstring)."""
    widths = [math.isqrt(radius * radius - dy * dy) for dy in range(radius + 1)]
    return [(dy, widths[dy]) for dy in range(radius + 1) if dy == radius or widths[dy] > widths[dy + 1]]


def dilate_disk(mask: Tensor, radius: int) -> Tensor:
    """The pixels of (N, K, H, W) within Euclidean distance ``radius`` of a pixel of ``mask``."""
    m = mask.float()
    near = torch.zeros_like(mask)
    for dy, dx in disk_rectangles(radius):
        near |= F.max_pool2d(m, (2 * dy + 1, 2 * dx + 1), stride=1, padding=(dy, dx)) > 0
    return near


def check_label_map(labels: Tensor, name: str = "labels") -> None:
    """ValueError naming ``name`` unless ``labels`` is an integer tensor of shape (N, H, W)."""
    if labels.ndim != 3 or labels.dtype.is_floating_point or labels.dtype == torch.bool:
        raise ValueError(f"{name} must be an integer label map of shape (N, H, W), got {labels.dtype} of shape "
                         f"{tuple(labels.shape)}")


def class_masks(labels: Tensor, num_classes: int, name: str = "labels") -> Tensor:
    """(N, H, W) integer labels in [0, num_classes) -> (N, num_classes, H, W) bool; ValueError naming ``name``."""
    check_int("num_classes", num_classes)
    check_label_map(labels, name)
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"{name} must hold class indices in [0, {num_classes}), got values from "
                         f"{int(labels.min())} to {int(labels.max())}")
    return F.one_hot(labels.long(), num_classes).permute(0, 3, 1, 2).bool()


def class_contours(labels: Tensor, num_classes: int, name: str = "labels") -> Tensor:
    """(N, K, H, W) bool: pixels of class c with an 8-neighbour of another class (the frame is no contour)."""
    masks = class_masks(labels, num_classes, name)
    return masks & ~erode_square(masks, 1)
