"""Stride-peak excess: narrow spectral peaks at the stride frequencies of stacked x2 layers, relative to their
own neighbours, in one image set against another.

A trained generator whose upsamplers leave a faint stride pattern need not have *more* high-frequency power than
the real images (its spectrum may lie below theirs everywhere, so ``stride_band_excess`` reads about 0), but its
power at the stride frequencies stands out from the frequencies next to them.  L layers of x2 upsampling put
patterns of periods 2, 4, ..., 2^L (``stride_periods``) into the output, at the frequencies f = k * size / p,
k = 1 .. p - 1 (``stride_frequencies``; f and size - f are the same line of a real image's spectrum).

For a set of images: S = mean over the set of each image's 2-D power spectrum (``spectrum.power_spectrum``)
divided by its total, so every image weighs the same and offset and scale do not matter.  Along the y axis,
L_y(f) = mean_v S[f, v] is the mean power of the line of vertical frequency f (all horizontal frequencies: the
pattern's sign and position may vary across the image and spread its power along the line); L_x likewise.

    contrast(S) = mean over the two axes a and the stride frequencies f of
                  log10 L_a(f) - log10((L_a(f - 1) + L_a(f + 1)) / 2)

    stride_peak_excess(images, reference) = contrast(S_images) - contrast(S_reference)

The neighbours f +- 1 lie in the stride direction, so a spectrum that merely falls faster (blurrier images) does
not read as a peak: by Jensen's inequality a steeper slope lowers the contrast.  Line powers are floored at 1e-10
(of the total): a [1, 2, 1] blur, nearest or bilinear x2 resizing remove the Nyquist line exactly, which would
otherwise give -inf; such images read strongly negative.  0 for two samples of one
distribution, > 0 for extra peaks at the stride frequencies.  ``stride_peak_score`` is the contrast of each
image's own spectrum (noisy: one image's spectrum is a single draw per frequency).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from ..checks import check_int
from .bootstrap import ExcessCI, bootstrap_excess
from .spectrum import power_spectrum

DEFAULT_PERIODS = (2, 4, 8)
FLOOR = 1e-10               # of an image's total power: where a line's power is exactly 0


def stride_periods(n_layers: int) -> tuple[int, ...]:
    """(2, 4, ..., 2**n_layers): the output periods of ``n_layers`` stacked x2 upsamplers."""
    check_int("n_layers", n_layers, 1)
    return tuple(2 ** (i + 1) for i in range(n_layers))


def stride_frequencies(size: int, periods: Sequence[int] = DEFAULT_PERIODS) -> tuple[int, ...]:
    """The distinct f = k * size / p (k = 1 .. p - 1, p in ``periods``) folded to f <= size / 2, ascending.

    ValueError unless every period divides ``size`` and size >= 2 * max(periods) (so f - 1 >= 1).
    """
    if (isinstance(periods, (int, str)) or not periods
            or any(isinstance(p, bool) or not isinstance(p, int) or p < 2 for p in periods)):
        raise ValueError(f"periods must be a non-empty sequence of ints >= 2, got {periods!r}")
    if any(size % p for p in periods) or size < 2 * max(periods):
        raise ValueError(f"every period must divide the image size and be at most half of it: size {size}, "
                         f"periods={tuple(periods)}")
    return tuple(sorted({min(k * size // p, size - k * size // p) for p in periods for k in range(1, p)}))


def normalised_spectra(images: Tensor) -> Tensor:
    """``power_spectrum(images)`` (N, H, W) with each image's spectrum divided by its total (0 for a constant one)."""
    power = power_spectrum(images)
    total = power.sum(dim=(-2, -1), keepdim=True)
    return power / torch.where(total > 0, total, 1.0)


def peak_contrast(spectra: Tensor, periods: Sequence[int] = DEFAULT_PERIODS) -> Tensor:
    """contrast(S) of the module docstring for a batch of 2-D spectra (..., H, W): float64 (...)."""
    h, w = spectra.shape[-2:]
    terms = [_line_contrast(spectra.mean(dim=-1), stride_frequencies(h, periods)),
             _line_contrast(spectra.mean(dim=-2), stride_frequencies(w, periods))]
    return torch.cat(terms, dim=-1).mean(dim=-1)


def _line_contrast(lines: Tensor, freqs: tuple[int, ...]) -> Tensor:
    """log10 L(f) - log10 of the mean of L(f - 1) and L(f + 1) (indices modulo the size), for each f: (..., F);
    line powers below ``FLOOR`` count as ``FLOOR``."""
    size = lines.shape[-1]
    f = torch.tensor(freqs, device=lines.device)
    neighbours = (lines[..., (f - 1) % size] + lines[..., (f + 1) % size]) / 2
    return torch.log10(lines[..., f].clamp_min(FLOOR)) - torch.log10(neighbours.clamp_min(FLOOR))


def _check(images: Tensor, name: str, periods: Sequence[int]) -> None:
    """ValueError unless ``images`` is an (N, C, H, W) tensor whose H and W suit ``periods``."""
    if not isinstance(images, Tensor) or images.ndim != 4:
        shape = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
        raise ValueError(f"{name} must be an (N, C, H, W) tensor, got {shape}")
    for size in images.shape[-2:]:
        stride_frequencies(size, periods)


def stride_peak_score(images: Tensor, periods: Sequence[int] = DEFAULT_PERIODS) -> Tensor:
    """Per-image contrast (module docstring) of each image's own normalised spectrum: float32 (N,)."""
    _check(images, "images", periods)
    return peak_contrast(normalised_spectra(images), periods).float()


def stride_peak_excess(images: Tensor, reference: Tensor, periods: Sequence[int] = DEFAULT_PERIODS) -> float:
    """contrast(S_images) - contrast(S_reference) (module docstring); the sets must have the same H, W."""
    a, b = _set_spectra(images, reference, periods)
    return float(peak_contrast(a.mean(0), periods) - peak_contrast(b.mean(0), periods))


def stride_peak_excess_ci(images: Tensor, reference: Tensor, periods: Sequence[int] = DEFAULT_PERIODS, *,
                          n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> ExcessCI:
    """``stride_peak_excess`` with a percentile-bootstrap interval (``bootstrap.bootstrap_excess``)."""
    a, b = _set_spectra(images, reference, periods)
    return bootstrap_excess(a, b, lambda x, y: peak_contrast(x, periods) - peak_contrast(y, periods),
                            n_boot=n_boot, level=level, seed=seed)


def _set_spectra(images: Tensor, reference: Tensor, periods: Sequence[int]) -> tuple[Tensor, Tensor]:
    _check(images, "images", periods)
    _check(reference, "reference", periods)
    if images.shape[-2:] != reference.shape[-2:]:
        raise ValueError(f"images and reference differ in size: {tuple(images.shape[-2:])} vs "
                         f"{tuple(reference.shape[-2:])}")
    return normalised_spectra(images), normalised_spectra(reference)
