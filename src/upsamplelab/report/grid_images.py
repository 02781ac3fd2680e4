"""The per-epoch grid PNGs a run writes (``torchvision.utils.save_image``, padding 2): finding the last one, cutting
it into its tiles, cropping its first rows.

A grid of R x C tiles of s x s pixels is (R (s + 2) + 2) x (C (s + 2) + 2) pixels; tile (r, c) starts at
(2 + r (s + 2), 2 + c (s + 2)).  Grey images are saved as RGB with three equal channels.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from torch import Tensor

PADDING = 2
_EPOCH = re.compile(r"epoch_(\d+)\.png$")


def last_grid(job_dir: Path, grid_dir: str) -> Optional[tuple[int, Path]]:
    """(epoch, path) of the highest-epoch ``<job_dir>/<grid_dir>/epoch_XXX.png``; None if there is none."""
    found = [(int(m.group(1)), p) for p in (job_dir / grid_dir).glob("epoch_*.png") if (m := _EPOCH.search(p.name))]
    return max(found) if found else None


def read_png(path: Path) -> np.ndarray:
    """(H, W, 3) uint8."""
    from PIL import Image
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def grid_shape(grid: np.ndarray, tile_size: Optional[int] = None, columns: int = 8,
               padding: int = PADDING) -> tuple[int, int, int]:
    """(rows, columns, tile size) of a grid image; ``tile_size`` from the config, else derived from ``columns``."""
    h, w = grid.shape[:2]
    if tile_size is None:
        tile_size = (w - padding) // columns - padding
    step = tile_size + padding
    if tile_size < 1 or (w - padding) % step or (h - padding) % step:
        raise ValueError(f"a {h}x{w} grid is not made of {tile_size} px tiles with {padding} px padding")
    return (h - padding) // step, (w - padding) // step, tile_size


def split_grid(grid: np.ndarray, tile_size: Optional[int] = None, padding: int = PADDING) -> Tensor:
    """The tiles of a grid image as float32 (rows, columns, 3, s, s) in [-1, 1] (the models' range)."""
    rows, columns, s = grid_shape(grid, tile_size, padding=padding)
    step = s + padding
    tiles = np.stack([np.stack([grid[padding + r * step: padding + r * step + s,
                                     padding + c * step: padding + c * step + s] for c in range(columns)])
                      for r in range(rows)])                                        # (R, C, s, s, 3)
    return torch.from_numpy(tiles).permute(0, 1, 4, 2, 3).float() / 127.5 - 1


def crop_rows(grid: np.ndarray, rows: int, tile_size: Optional[int] = None, padding: int = PADDING) -> np.ndarray:
    """The first ``rows`` rows of tiles of a grid image (with their padding)."""
    total, _, s = grid_shape(grid, tile_size, padding=padding)
    return grid[: min(rows, total) * (s + padding) + padding]


def quantise(images: Tensor) -> Tensor:
    """[-1, 1] images through the uint8 round trip ``save_image`` applies, so real and saved images compare fairly."""
    return ((images.clamp(-1, 1) * 0.5 + 0.5) * 255 + 0.5).floor().clamp(0, 255) / 127.5 - 1
