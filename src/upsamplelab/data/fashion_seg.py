"""Fashion-MNIST garments placed on a larger black canvas, with per-pixel class labels.

Classes: 0 background, 1 + k for Fashion-MNIST class k (11 in all).  Each canvas holds 1..``max_items`` garments
at random positions (later ones on top).  A garment pixel is foreground, and takes the garment's label, where its
intensity exceeds ``threshold`` (in (0, 1) of the 0..255 range); fainter pixels only brighten the canvas.
Training canvases use the official training garments, validation and test canvases the official test garments.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from .base import Part, check_int
from .convert import match_channels
from .fashion_mnist import fashion_mnist_source, load_fashion_mnist
from .generated import GeneratedSegmentationDataModule

GARMENT = 28


def paste_garments(garments: Tensor, labels: Tensor, n: int, size: int, max_items: int, threshold: float,
                   generator: torch.Generator) -> Part:
    """(images (n, 1, size, size) in [-1, 1], masks (n, size, size) int64) from uint8 garments (M, 28, 28)."""
    canvas = torch.zeros(n, size, size)
    masks = torch.zeros(n, size, size, dtype=torch.long)
    count = torch.randint(1, max_items + 1, (n,), generator=generator)
    rows = torch.arange(n).view(-1, 1, 1)
    offsets = torch.arange(GARMENT)
    for slot in range(max_items):
        pick = torch.randint(len(garments), (n,), generator=generator)
        top, left = (torch.randint(size - GARMENT + 1, (n,), generator=generator) for _ in range(2))
        ys, xs = (top.view(-1, 1, 1) + offsets.view(1, -1, 1)), (left.view(-1, 1, 1) + offsets.view(1, 1, -1))
        active = (slot < count).view(-1, 1, 1)
        garment = garments[pick].float() / 255
        foreground = (garment > threshold) & active
        region = canvas[rows, ys, xs]
        canvas[rows, ys, xs] = torch.where(foreground, garment,
                                           torch.where(active, torch.maximum(region, garment), region))
        masks[rows, ys, xs] = torch.where(foreground, labels[pick].view(-1, 1, 1) + 1, masks[rows, ys, xs])
    return canvas[:, None] * 2 - 1, masks


class FashionSegDataModule(GeneratedSegmentationDataModule):
    name = "fashion_seg"
    dataset_num_classes = 11

    def __init__(self, image_size: int = 64, max_items: int = 3, threshold: float = 0.2, **kwargs: Any) -> None:
        super().__init__(image_size=image_size, **kwargs)
        if image_size < GARMENT:
            raise ValueError(f"data.image_size must be >= {GARMENT} (the garment size), got {image_size}")
        check_int("max_items", max_items)
        if not 0 < threshold < 1:
            raise ValueError(f"data.threshold must be in (0, 1), got {threshold}")
        self.max_items, self.threshold = max_items, threshold

    def identity(self) -> dict[str, Any]:
        return super().identity() | {"max_items": self.max_items, "threshold": self.threshold,
                                     "source": fashion_mnist_source()}

    def generate(self, n: int, split: str, generator: torch.Generator) -> Part:
        source = "train" if split == "train" else "test"
        garments, labels = load_fashion_mnist(source, self.data_root, self.download)
        images, masks = paste_garments(garments, labels, n, self.image_size, self.max_items, self.threshold,
                                       generator)
        return match_channels(images, self.channels).contiguous(), masks
