"""Stride-band energy: the share of an image's fine detail that lies at the stride frequencies of an upsampler.

A x``P`` upsampler that treats its P x P output phases differently leaves a pattern that repeats every P pixels,
whose spectrum sits at the frequencies k * size / P, k = 1 .. P - 1, along either axis (for P = 2 the Nyquist
row and column).  When the pattern's sign or position varies across the image (multiplied by the content, by a
smooth field, by the edges), its power spreads a few bins around those frequencies but stays there, whereas the
global phase means of ``phase_energy`` cancel.  For one image x (C, H, W):

1. High-pass, circularly: R_c[u, v] = X_c[u, v] (1 - T(u / H) T(v / W)), X_c the 2-D DFT of channel c and
   T(f) = (sin(pi P f) / (P sin(pi f)))^2, T(0) = 1, the transfer function of the triangle t = box_P * box_P / P^2
   of ``phase_energy`` (for P = 2, [1, 2, 1] / 4 along each axis).  T vanishes at f = k / P, so the stride
   frequencies pass untouched, and at f = 0, so the offset is removed.
2. Band B: the frequencies (u, v) with u within ``width`` bins of some k H / P or v within ``width`` bins of some
   k W / P (circular distance in the DFT's integer frequencies).

        energy = sum_{c, (u, v) in B} |R_c[u, v]|^2 / (sum_{c, u, v} |R_c[u, v]|^2 + eps C H W),    eps = 1e-30

in [0, 1]: 1 for a pure stride pattern (a Nyquist cosine), 0 for a constant image.  Power spectra ignore sign and
circular position, and the ratio ignores offset and scale, so the score is invariant to all four.  The DFT treats
the image as periodic: a jump between opposite borders adds broadband power, the same in any compared set.

``stride_band_excess`` compares sets: log10 of the ratio of their mean energies, 0 for two samples of one
distribution, > 0 when the first carries extra stride-periodic power (generated vs real, reconstruction vs input,
probability map vs one-hot truth).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from ..checks import check_int
from .bootstrap import ExcessCI, bootstrap_excess

EPS = 1e-30


def stride_band_energy(images: Tensor, period: int = 2, width: int = 1) -> Tensor:
    """Per-image stride-band energy (module docstring) of an (N, C, H, W) batch: float32 (N,) in [0, 1].

    Needs H, W >= 2 * ``period`` and 2 * ``width`` < min(H, W) / ``period`` (bands of neighbouring stride
    frequencies stay apart and away from 0).  Computed in float64 on the input's device.
    """
    return _band_energy(images, period, width).float()


def stride_band_excess(images: Tensor, reference: Tensor, period: int = 2, width: int = 1) -> float:
    """log10(mean stride_band_energy(images) / mean stride_band_energy(reference)); 0 when both means are 0."""
    a, b = _band_energy(images, period, width), _band_energy(reference, period, width)
    return float(_log_ratio(a.mean(), b.mean()))


def stride_band_excess_ci(images: Tensor, reference: Tensor, period: int = 2, width: int = 1, *,
                          n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> ExcessCI:
    """``stride_band_excess`` with a percentile-bootstrap interval (``bootstrap.bootstrap_excess``)."""
    a, b = _band_energy(images, period, width), _band_energy(reference, period, width)
    return bootstrap_excess(a[:, None], b[:, None], lambda x, y: _log_ratio(x[..., 0], y[..., 0]),
                            n_boot=n_boot, level=level, seed=seed)


def _log_ratio(a: Tensor, b: Tensor) -> Tensor:
    """log10(a / b), 0 where both are 0."""
    tiny = torch.finfo(torch.float64).tiny
    return torch.where((a == 0) & (b == 0), 0.0, torch.log10(a.clamp_min(tiny) / b.clamp_min(tiny)))


def _band_energy(images: Tensor, period: int, width: int) -> Tensor:
    if not isinstance(images, Tensor) or images.ndim != 4:
        shape = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
        raise ValueError(f"images must be an (N, C, H, W) tensor, got {shape}")
    check_int("period", period, 2)
    check_int("width", width, 0)
    n, c, h, w = images.shape
    if min(h, w) < 2 * period:
        raise ValueError(f"images must be at least 2 * period = {2 * period} pixels high and wide for period="
                         f"{period}, got {h} x {w}")
    if 2 * width >= min(h, w) / period:
        raise ValueError(f"width={width} merges the stride bands of {h} x {w} images at period={period}: need "
                         f"2 * width < min(H, W) / period = {min(h, w) / period:g}")
    x = images.to(torch.float64)
    gain = 1 - highpass_gain(h, period, x.device)[:, None] * highpass_gain(w, period, x.device)[None, :]
    power = (torch.fft.fft2(x).abs().square() * gain.square()).sum(dim=1)              # (N, H, W)
    band = stride_band_mask(h, period, width, x.device)[:, None] | stride_band_mask(w, period, width, x.device)
    return power[:, band].sum(dim=1) / (power.sum(dim=(1, 2)) + EPS * c * h * w)


def highpass_gain(size: int, period: int, device=None) -> Tensor:
    """T(f) = (sin(pi P f) / (P sin(pi f)))^2 at the DFT frequencies f = u / size, u = 0 .. size - 1 (float64):
    the transfer function of the triangle box_P * box_P / P^2, 1 at f = 0 and 0 at f = k / P."""
    f = torch.arange(size, dtype=torch.float64, device=device) / size
    den = period * torch.sin(math.pi * f)
    return torch.where(den.abs() < 1e-12, 1.0, torch.sin(math.pi * period * f) / den.where(den != 0, 1.0)).square()


def stride_band_mask(size: int, period: int, width: int, device=None) -> Tensor:
    """Bool (size,): the DFT frequencies u = 0 .. size - 1 within ``width`` bins (circularly) of some k size / P."""
    u = torch.arange(size, dtype=torch.float64, device=device)[:, None]
    centres = torch.arange(1, period, dtype=torch.float64, device=device)[None, :] * size / period
    distance = torch.remainder(u - centres + size / 2, size) - size / 2
    return (distance.abs() <= width + 1e-9).any(dim=1)
