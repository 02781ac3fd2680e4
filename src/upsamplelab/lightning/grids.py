"""Image grids written during validation: one row per tensor, values in [-1, 1]."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor
from torchvision.utils import save_image


def to_rgb(images: Tensor) -> Tensor:
    """Grey (N, 1, H, W) -> (N, 3, H, W) so rows of different channel counts can share a grid."""
    return images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images


def save_grid(rows: list[Tensor], path: Path) -> None:
    """Stack ``rows`` (equal n and size) into one PNG, one row each, rescaled from [-1, 1] to [0, 1]."""
    n = rows[0].shape[0]
    grid = torch.cat([to_rgb(r.detach().float().cpu()) for r in rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(grid.clamp(-1, 1) * 0.5 + 0.5, path, nrow=n, padding=2, pad_value=1.0)


def mask_to_image(mask: Tensor, num_classes: int) -> Tensor:
    """Class-index masks (N, H, W) -> colour images (N, 3, H, W) in [-1, 1] with a fixed palette."""
    g = torch.Generator().manual_seed(0)
    palette = torch.rand(max(num_classes, 1), 3, generator=g) * 1.6 - 0.8
    palette[0] = -1.0                                                     # background is black
    return palette[mask.long().cpu()].permute(0, 3, 1, 2)
