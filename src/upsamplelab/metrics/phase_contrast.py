"""Phase contrast: how strong a stride-periodic pattern is, relative to the image (the visible checkerboard).

Phase energy (``phase_energy``) is a share of the fine detail and ignores amplitude: on an otherwise flat image a
faint pattern scores as high as a strong one.  Phase contrast measures the amplitude.  For one image x (C, H, W)
and period P, on the region Omega left after cropping ``border`` pixels per side and trimming to whole periods:

    m[c, a, b] = mean of x[c, y, x] over (y, x) in Omega with y = a, x = b (mod P),   m0[c] = mean_{a, b} m[c, a, b]

    contrast = sqrt( mean_{c, a, b} (m[c, a, b] - m0[c])^2 ) / sqrt( mean_{c, (y, x) in Omega} x[c, y, x]^2 + eps )

the RMS deviation of the P^2 phase means over the RMS of the image.  0 for any image whose phases agree on average
(constant, smooth, resize-conv outputs); for the 1-2-4 overlap pattern of K3/S2 (phase means 1, 2, 2, 4)
sqrt(19)/10 = 0.436.
Unlike phase energy it is not invariant to an offset: it compares the pattern with the image's brightness, as an
eye looking at the at-initialisation images of Odena, Dumoulin & Olah (2016) does.
"""
from __future__ import annotations

import torch
from torch import Tensor

EPS = 1e-12


def phase_contrast(images: Tensor, period: int = 2, border: int | None = None) -> Tensor:
    """Per-image phase contrast (module docstring) of an (N, C, H, W) batch: float32, shape (N,).

    ``border`` defaults to ``period``.  Computed in float64.
    """
    if images.ndim != 4:
        raise ValueError(f"images must be (N, C, H, W), got shape {tuple(images.shape)}")
    border = period if border is None else border
    if period < 1 or border < 0:
        raise ValueError(f"need period >= 1 and border >= 0, got period={period}, border={border}")
    x = images.to(torch.float64)[..., border:images.shape[-2] - border, border:images.shape[-1] - border]
    h, w = (s - s % period for s in x.shape[-2:])
    if min(h, w) < period:
        raise ValueError(f"images of size {tuple(images.shape[-2:])} leave no full period after a border of {border}")
    x = x[..., :h, :w]
    n, c = x.shape[:2]
    means = x.reshape(n, c, h // period, period, w // period, period).mean(dim=(2, 4))
    spread = (means - means.mean(dim=(2, 3), keepdim=True)).square().mean(dim=(1, 2, 3))
    return (spread.sqrt() / (x.square().mean(dim=(1, 2, 3)) + EPS).sqrt()).float()
