"""Procedural shapes: circles, squares and triangles on a textured background, with exact per-pixel masks.

Classes: 0 background, 1 circle, 2 square, 3 triangle.  Each RGB image holds 1..``max_shapes`` shapes (later ones
on top) of random colour and size (radius 8-20 % of the image side) over a smooth random colour field plus fine
noise, so neither colour nor texture tells the class: the network must learn shape and boundaries, which is where
an upsampler's artifacts show.  Generated in a vectorised pass (2,000 images of 64 px in well under a second).
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from .base import Part, check_int
from .convert import match_channels
from .generated import GeneratedSegmentationDataModule

NUM_SHAPE_CLASSES = 3


def shape_masks(kind: Tensor, cy: Tensor, cx: Tensor, radius: Tensor, size: int) -> Tensor:
    """(n, size, size) boolean masks: circle (kind 1), axis-aligned square (2) or upward triangle (3)."""
    grid = torch.arange(size, dtype=torch.float32) + 0.5
    dy = grid.view(1, -1, 1) - cy.view(-1, 1, 1)
    dx = grid.view(1, 1, -1) - cx.view(-1, 1, 1)
    r = radius.view(-1, 1, 1)
    circle = dy.square() + dx.square() <= r.square()
    square = torch.maximum(dy.abs(), dx.abs()) <= 0.85 * r
    depth = (dy + r) / (2 * r)                                          # 0 at the apex, 1 at the base
    triangle = (depth >= 0) & (depth <= 1) & (dx.abs() <= r * depth)
    kind = kind.view(-1, 1, 1)
    return torch.where(kind == 1, circle, torch.where(kind == 2, square, triangle))


def render_shapes(n: int, size: int, max_shapes: int, generator: torch.Generator) -> Part:
    """(images (n, 3, size, size) in [-1, 1], masks (n, size, size) int64)."""
    rand = lambda *shape: torch.rand(*shape, generator=generator)  # noqa: E731
    coarse = rand(n, 3, 4, 4) * 1.2 - 0.6                              # smooth colour field
    images = F.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=False)
    images = images + 0.15 * (rand(n, 3, size, size) - 0.5)
    masks = torch.zeros(n, size, size, dtype=torch.long)
    count = torch.randint(1, max_shapes + 1, (n,), generator=generator)
    for slot in range(max_shapes):
        kind = torch.randint(1, NUM_SHAPE_CLASSES + 1, (n,), generator=generator)
        radius = size * (0.08 + 0.12 * rand(n))
        cy, cx = radius + rand(n) * (size - 2 * radius), radius + rand(n) * (size - 2 * radius)
        inside = shape_masks(kind, cy, cx, radius, size) & (slot < count).view(-1, 1, 1)
        colour = rand(n, 3, 1, 1) * 2 - 1
        shade = colour + 0.1 * (rand(n, 3, size, size) - 0.5)
        images = torch.where(inside[:, None], shade, images)
        masks = torch.where(inside, kind.view(-1, 1, 1), masks)
    return images.clamp(-1, 1), masks


class ShapesDataModule(GeneratedSegmentationDataModule):
    name = "shapes"
    native_channels = 3
    dataset_num_classes = 1 + NUM_SHAPE_CLASSES

    def __init__(self, image_size: int = 64, max_shapes: int = 3, **kwargs: Any) -> None:
        super().__init__(image_size=image_size, **kwargs)
        check_int("max_shapes", max_shapes)
        self.max_shapes = max_shapes

    def identity(self) -> dict[str, Any]:
        return super().identity() | {"max_shapes": self.max_shapes}

    def generate(self, n: int, split: str, generator: torch.Generator) -> Part:
        images, masks = render_shapes(n, self.image_size, self.max_shapes, generator)
        return match_channels(images, self.channels).contiguous(), masks
