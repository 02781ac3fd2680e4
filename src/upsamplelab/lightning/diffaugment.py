"""Differentiable Augmentation (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training").

D only ever sees augmented images: L_D = f(D(T(x))) + f(D(T(G(z)))) and L_G = f(D(T(G(z)))), T one random
augmentation policy for real and fake images alike; T is differentiable, so G's gradient passes through it.  The
three transformations of the paper's section 3 (images in [-1, 1], each image its own random parameters):

- ``color``: brightness x + b, b ~ U[-0.5, 0.5]; contrast m + c (x - m), c ~ U[0.5, 1.5], m the image's mean;
  saturation m_p + s (x - m_p), s ~ U[0, 2], m_p the mean over the channels at each pixel;
- ``translation``: a shift by up to 1/8 of the image size in each direction, integer pixels, padded with zeros;
- ``cutout``: a square of half the image size, centred at a random pixel (cut off at the borders), set to zero.

Random parameters come from torch's global generator on the images' device: seeded by ``seed`` and restored with
a checkpoint, so a resumed run draws the same augmentations.  Under DDP each process draws those of the global batch
and keeps its images' share (``data_parallel.process_share``).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from .data_parallel import process_share

TRANSLATION_RATIO, CUTOUT_RATIO = 1 / 8, 1 / 2


def _uniform(x: Tensor, low: float, high: float) -> Tensor:
    """One value per image of ``x``, U[low, high), shaped to broadcast over (C, H, W)."""
    values = process_share(lambda n: torch.rand(n, 1, 1, 1, device=x.device, dtype=x.dtype), x.shape[0])
    return values * (high - low) + low


def color(x: Tensor) -> Tensor:
    """Brightness, then contrast, then saturation (a single-channel image has none to change)."""
    x = x + _uniform(x, -0.5, 0.5)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * _uniform(x, 0.5, 1.5) + mean
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * _uniform(x, 0.0, 2.0) + mean


def _pixel_grid(x: Tensor) -> tuple[Tensor, Tensor]:
    """Row and column indices of ``x``'s pixels, shaped (1, H, 1) and (1, 1, W)."""
    h, w = x.shape[-2:]
    return (torch.arange(h, device=x.device).view(1, h, 1), torch.arange(w, device=x.device).view(1, 1, w))


def _offsets(x: Tensor, low: int, high: int) -> Tensor:
    """One integer per image in [low, high], shaped (N, 1, 1)."""
    return process_share(lambda n: torch.randint(low, high + 1, (n, 1, 1), device=x.device), x.shape[0])


def translation(x: Tensor) -> Tensor:
    """Output pixel (i, j) of image n is input pixel (i + dy_n, j + dx_n), zero outside the image."""
    h, w = x.shape[-2:]
    sh, sw = int(h * TRANSLATION_RATIO + 0.5), int(w * TRANSLATION_RATIO + 0.5)
    rows, cols = _pixel_grid(x)
    rows, cols = rows + sh + _offsets(x, -sh, sh), cols + sw + _offsets(x, -sw, sw)
    batch = torch.arange(x.shape[0], device=x.device).view(-1, 1, 1)
    padded = F.pad(x, [sw, sw, sh, sh]).permute(0, 2, 3, 1)          # (N, H + 2 sh, W + 2 sw, C)
    return padded[batch, rows, cols].permute(0, 3, 1, 2)


def cutout(x: Tensor) -> Tensor:
    """Zero a ``CUTOUT_RATIO``-sized square: rows [cy - ch // 2, cy - ch // 2 + ch), likewise columns."""
    h, w = x.shape[-2:]
    ch, cw = int(h * CUTOUT_RATIO + 0.5), int(w * CUTOUT_RATIO + 0.5)
    rows, cols = _pixel_grid(x)
    top, left = _offsets(x, 0, h - 1) - ch // 2, _offsets(x, 0, w - 1) - cw // 2
    inside = (rows >= top) & (rows < top + ch) & (cols >= left) & (cols < left + cw)
    return x * (~inside).unsqueeze(1).to(x.dtype)


AUGMENTATIONS: dict[str, Callable[[Tensor], Tensor]] = {"color": color, "translation": translation,
                                                        "cutout": cutout}


class DiffAugment:
    """The transformations a ``policy`` names, applied in its order: "color,translation,cutout" (the paper's
    choice) or a list of the names."""

    def __init__(self, policy: str | Sequence[str]) -> None:
        names = policy.split(",") if isinstance(policy, str) else list(policy) if isinstance(policy, Sequence) else []
        names = [n.strip() if isinstance(n, str) else n for n in names]
        known = all(isinstance(n, str) and n in AUGMENTATIONS for n in names)
        if not names or not known or len(set(names)) < len(names):
            raise ValueError(f"model.diffaugment must be null or a comma-separated list of distinct names from "
                             f"{list(AUGMENTATIONS)} (e.g. \"color,translation,cutout\"), got {policy!r}")
        self.policy = names

    def __call__(self, x: Tensor) -> Tensor:
        for name in self.policy:
            x = AUGMENTATIONS[name](x)
        return x
