"""Azimuthally averaged power spectra (Durall, Keuper & Keuper 2020, CVPR, "Watch your Up-Convolution: CNN Based
Generative Deep Neural Networks are Failing to Reproduce Spectral Distributions").

Upsampling artifacts show up as excess (or missing) power at high spatial frequencies; averaging the 2-D power
spectrum over rings of equal frequency radius turns each image into a 1-D curve that sets of images can be compared
by.
"""
from __future__ import annotations

import torch
from torch import Tensor


def power_spectrum(images: Tensor) -> Tensor:
    """2-D power spectrum of every image of an (N, C, H, W) batch, averaged over channels: float64 (N, H, W).

    Each channel x_c has its mean removed; its power is P_c[u, v] = |FFT2(x_c)[u, v]|^2 / (H W), so that, by
    Parseval, sum_{u, v} P_c[u, v] = sum_{y, x} (x_c[y, x] - mean x_c)^2.  P = mean_c P_c.  Frequencies are the
    integers u, v of ``torch.fft.fftfreq`` in cycles per image (index u stands for u - H when u >= H / 2); the FFT
    treats the image as periodic.
    """
    if images.ndim != 4:
        raise ValueError(f"images must be (N, C, H, W), got shape {tuple(images.shape)}")
    x = images.to(torch.float64)
    h, w = x.shape[-2:]
    x = x - x.mean(dim=(-2, -1), keepdim=True)
    return (torch.fft.fft2(x).abs().square() / (h * w)).mean(dim=1)


def radial_power_spectrum(images: Tensor) -> Tensor:
    """Azimuthally averaged power spectrum of every image of an (N, C, H, W) batch: float64, shape (N, n_bins).

    P is ``power_spectrum``.  Bin k = 0 .. floor(min(H, W) / 2) averages P over the frequencies with
    round(sqrt(u^2 + v^2)) = k, so a cosine of k cycles per image peaks in bin k.  Bin 0 holds only the removed
    mean (0); the corners beyond the largest full ring are dropped.  White noise of variance sigma^2 gives
    S(k) = sigma^2 on average for k >= 1.
    """
    power = power_spectrum(images)
    h, w = power.shape[-2:]
    power = power.flatten(1)                                                             # (N, H*W)
    u = torch.fft.fftfreq(h, 1 / h, dtype=torch.float64, device=power.device)
    v = torch.fft.fftfreq(w, 1 / w, dtype=torch.float64, device=power.device)
    radius = torch.sqrt(u[:, None].square() + v[None, :].square()).round().long().flatten()
    n_bins = min(h, w) // 2 + 1
    keep = radius < n_bins
    sums = power.new_zeros(power.shape[0], n_bins).index_add_(1, radius[keep], power[:, keep])
    counts = torch.bincount(radius[keep], minlength=n_bins).to(power)
    return sums / counts


def spectral_distance(images: Tensor, reference_images: Tensor) -> Tensor:
    """Log-spectrum L1 distance between two image sets of the same size (a float64 scalar tensor).

        d = mean_{k >= 1} | log10 S_a(k) - log10 S_b(k) |,   S = mean over the set of ``radial_power_spectrum``

    with S clamped below at the smallest positive float64 so the log is finite.  Bin 0 (the removed mean) is
    skipped.  d = 0 for identical sets, d is symmetric, and 1 means a factor of 10 in power on average.
    """
    if images.shape[1:] != reference_images.shape[1:]:
        raise ValueError(f"image sets differ in shape: {tuple(images.shape[1:])} vs "
                         f"{tuple(reference_images.shape[1:])}")
    return log_spectrum_l1(radial_power_spectrum(images).mean(0), radial_power_spectrum(reference_images).mean(0))


def log_spectrum_l1(spectra: Tensor, reference: Tensor) -> Tensor:
    """mean_{k >= 1} | log10 spectra[..., k] - log10 reference[k] | over the last axis, for radial spectra
    (``radial_power_spectrum``) of the same length; both clamped below at the smallest positive float64."""
    tiny = torch.finfo(torch.float64).tiny
    return (torch.log10(spectra.clamp_min(tiny)) - torch.log10(reference.clamp_min(tiny)))[..., 1:].abs().mean(-1)
