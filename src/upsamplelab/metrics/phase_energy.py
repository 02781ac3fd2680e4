"""Phase energy: how much of an image's fine detail is a stride-periodic pattern (the checkerboard of Odena,
Dumoulin & Olah 2016, "Deconvolution and Checkerboard Artifacts", Distill).

An upsampler with stride P that treats the P x P output phases differently (uneven kernel overlap, independent
sub-kernels) leaves a pattern that repeats every P pixels.  For one image x (C, H, W) with period P:

1. Standardise: z = (x - mean(x)) / max(std(x), 1e-8), mean and std over all channels and pixels, so the score
   is invariant to brightness offset and scale.
2. High-pass: r = z - t * z, with t = (b * b) / P^2 the separable triangle filter (b the length-P box, * the 2-D
   convolution, "valid", so no padding enters).  t is symmetric (it keeps linear ramps, so r is about the second
   derivative of smooth content) and b, hence t, maps every P-periodic pattern to its mean: the checkerboard
   passes into r untouched.  For P = 2, t = [1, 2, 1]^T [1, 2, 1] / 16.
3. Crop ``border`` pixels on every side (padding effects of the network; at least P - 1, the filter's margin) and
   trim the end so the region Omega is a whole number of periods, n cells per phase.
4. Phase means m[c, a, b] = mean of r[c, y, x] over (y, x) in Omega with y = a, x = b (mod P); overall mean
   m0[c] = mean over (a, b) of m[c, a, b].

        score = sum_{c, (y, x) in Omega} (m[c, y mod P, x mod P] - m0[c])^2
                / (sum_{c, (y, x) in Omega} (r[c, y, x] - m0[c])^2 + eps |Omega| C),     eps = 1e-10

The numerator is the between-phase sum of squares (a one-way ANOVA with the P^2 phases as groups), the denominator
the total one, so the score is the eta^2 of the phase: in [0, 1]; 0 for a constant image (r = 0) and for bilinear
x2 resizing; of order (P^2 - 1) / |Omega| for white noise and natural images; close to 1 when a smooth image is
multiplied by the K3/S2 1-2-4 overlap pattern.  Being a share, it ignores the pattern's amplitude: on an image with
no other fine detail a faint pattern scores as high as a strong one.  The phase means are global, so a pattern
whose sign flips across the image (the staircase of nearest resizing follows the sign of the gradient) cancels.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

EPS = 1e-10


def phase_energy(images: Tensor, period: int = 2, border: int | None = None) -> Tensor:
    """Per-image phase energy (module docstring) of an (N, C, H, W) batch: a float tensor of shape (N,) in [0, 1].

    ``border`` defaults to ``period``.  Computed in float64 on the input's device; returns float32.
    """
    if images.ndim != 4:
        raise ValueError(f"images must be (N, C, H, W), got shape {tuple(images.shape)}")
    border = period if border is None else border
    if period < 1 or border < period - 1:
        raise ValueError(f"need period >= 1 and border >= period - 1, got period={period}, border={border}")
    size = min(images.shape[-2:]) - 2 * border
    if size < period:
        raise ValueError(f"images of size {tuple(images.shape[-2:])} leave no full period after a border of {border}")
    z = _standardise(images.to(torch.float64))
    r = _crop(_highpass(z, period), border - (period - 1), period)
    n, c, h, w = r.shape
    phases = r.reshape(n, c, h // period, period, w // period, period)
    means = phases.mean(dim=(2, 4))                                         # m[n, c, a, b]
    overall = means.mean(dim=(2, 3), keepdim=True)                          # m0[n, c]
    between = (means - overall).square().sum(dim=(1, 2, 3)) * (h // period) * (w // period)
    total = (r - overall).square().sum(dim=(1, 2, 3))
    return (between / (total + EPS * c * h * w)).float()


def _standardise(x: Tensor) -> Tensor:
    """Per image: subtract the mean and divide by the standard deviation (at least 1e-8)."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    std = x.std(dim=(1, 2, 3), keepdim=True, unbiased=False).clamp_min(1e-8)
    return (x - mean) / std


def _highpass(x: Tensor, period: int) -> Tensor:
    """r = x - t * x on the 'valid' region (P - 1 pixels less on every side), t = box_P * box_P / P^2."""
    box = torch.ones(period, dtype=x.dtype, device=x.device) / period
    tri = F.conv1d(box.view(1, 1, -1), box.flip(0).view(1, 1, -1), padding=period - 1).flatten()
    c = x.shape[1]
    blurred = F.conv2d(x, tri.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
    blurred = F.conv2d(blurred, tri.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return x[..., period - 1:x.shape[-2] - period + 1, period - 1:x.shape[-1] - period + 1] - blurred


def _crop(r: Tensor, margin: int, period: int) -> Tensor:
    """Drop ``margin`` more pixels from each side of the residual region, then trim to multiples of ``period``."""
    r = r[..., margin:r.shape[-2] - margin, margin:r.shape[-1] - margin]
    return r[..., :r.shape[-2] - r.shape[-2] % period, :r.shape[-1] - r.shape[-1] % period]
