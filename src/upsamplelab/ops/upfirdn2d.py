"""upfirdn2d: upsample, FIR filter, downsample, in 2-D (the resampling primitive of Karras et al. 2020, StyleGAN2).

For every channel of x (N, C, H, W), with factors (u_y, u_x), (d_y, d_x), padding (left, right, top, bottom) and a
filter f (a 1-D filter g stands for the separable g^T g):

1. upsample by zero insertion: ``z[u_y*i, u_x*j] = x[i, j]``, zero elsewhere, so z is (u_y*H, u_x*W);
2. pad z with zeros (a negative amount crops instead);
3. convolve with ``gain * f`` (a true convolution: f flipped; "valid", no further padding);
4. downsample: keep every d-th sample, starting with the first.

The output is ((u*H + pad_before + pad_after - k) // d + 1) per axis, with k the filter length.  A filter with equal
polyphase sums (for u = 2: f[0] + f[2] + ... == f[1] + f[3] + ..., true of [1, 3, 3, 1] and [1, 1]) maps a constant
input to a constant output away from the border: every output phase sees the same total weight.

``upfirdn2d_reference`` is the four steps above in NumPy; ``upfirdn2d`` is the same operation in PyTorch (zero
insertion by reshape, one depthwise ``conv2d`` per axis for a separable filter), held to it by the tests.
"""
from __future__ import annotations

from typing import Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..checks import check_int
from ._args import IntOrPair, check_at_least, pair
from ._arrays import as_array, pad_or_crop
from .zero_insertion import correlate2d

Padding = Union[int, Sequence[int]]


def upfirdn2d_args(fir_shape: Sequence[int], up: IntOrPair, down: IntOrPair,
                   padding: Padding) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int, int, int]]:
    """Validate ``up``, ``down`` (>= 1) and ``padding`` (an int or (left, right, top, bottom)) for a filter of shape
    ``fir_shape`` (1-D: separable, or 2-D (kH, kW)); return them as (y, x), (y, x) and (left, right, top, bottom)."""
    if len(fir_shape) not in (1, 2) or min(fir_shape, default=0) < 1:
        raise ValueError(f"fir must be a non-empty 1-D (separable) or 2-D filter, got shape {tuple(fir_shape)}")
    u, d = pair(up, "up"), pair(down, "down")
    check_at_least(u, 1, "up")
    check_at_least(d, 1, "down")
    if isinstance(padding, bool):
        raise ValueError(f"padding must be an int or (left, right, top, bottom), got {padding!r}")
    if isinstance(padding, int):
        pads = (padding,) * 4
    else:
        try:
            pads = tuple(int(p) for p in padding)
        except (TypeError, ValueError):
            pads = ()
        if len(pads) != 4:
            raise ValueError(f"padding must be an int or (left, right, top, bottom), got {padding!r}")
    return u, d, pads


def fir_2d(fir: np.ndarray) -> np.ndarray:
    """The 2-D filter: a 1-D filter g becomes the separable outer product g^T g."""
    return np.outer(fir, fir) if fir.ndim == 1 else fir


def output_size(size: tuple[int, int], fir_shape: tuple[int, int], up: tuple[int, int], down: tuple[int, int],
                pads: tuple[int, int, int, int]) -> tuple[int, int]:
    """(H_out, W_out); ValueError when the padded, upsampled input is smaller than the filter."""
    padded = (size[0] * up[0] + pads[2] + pads[3], size[1] * up[1] + pads[0] + pads[1])
    if padded[0] < fir_shape[0] or padded[1] < fir_shape[1]:
        raise ValueError(f"the upsampled, padded input {padded} is smaller than the filter {tuple(fir_shape)}: "
                         f"increase padding")
    return tuple((padded[a] - fir_shape[a]) // down[a] + 1 for a in range(2))


def upfirdn2d_reference(x, fir, up: IntOrPair = 1, down: IntOrPair = 1, padding: Padding = 0,
                        gain: float = 1.0) -> np.ndarray:
    """upfirdn2d in NumPy, step by step (module docstring): x (N, C, H, W), fir 1-D (separable) or 2-D."""
    x = as_array(x, "x", 4)
    fir = np.asarray(fir.detach().cpu().numpy() if hasattr(fir, "detach") else fir, dtype=np.float64)
    (uy, ux), (dy, dx), (left, right, top, bottom) = upfirdn2d_args(fir.shape, up, down, padding)
    f = fir_2d(fir).astype(x.dtype)
    n, c, h, w = x.shape
    output_size((h, w), f.shape, (uy, ux), (dy, dx), (left, right, top, bottom))

    upsampled = np.zeros((n, c, h * uy, w * ux), dtype=x.dtype)
    upsampled[:, :, ::uy, ::ux] = x                                          # 1. zero insertion
    padded = pad_or_crop(pad_or_crop(upsampled, 2, top, bottom), 3, left, right)  # 2. pad (or crop)
    flat = padded.reshape(n * c, 1, *padded.shape[2:])
    filtered = correlate2d(flat, gain * f[None, None, ::-1, ::-1])            # 3. convolve: correlate, f flipped
    return filtered.reshape(n, c, *filtered.shape[2:])[:, :, ::dy, ::dx]      # 4. keep every d-th sample


def upfirdn2d(x: Tensor, fir: Tensor, up: IntOrPair = 1, down: IntOrPair = 1, padding: Padding = 0,
              gain: float = 1.0) -> Tensor:
    """upfirdn2d in PyTorch: x (N, C, H, W), fir a 1-D (separable) or 2-D tensor; differentiable in x and fir."""
    if x.ndim != 4:
        raise ValueError(f"x must have 4 dimensions (N, C, H, W), got shape {tuple(x.shape)}")
    (uy, ux), (dy, dx), (left, right, top, bottom) = upfirdn2d_args(fir.shape, up, down, padding)
    n, c, h, w = x.shape
    kh, kw = (fir.shape[0],) * 2 if fir.ndim == 1 else fir.shape
    output_size((h, w), (kh, kw), (uy, ux), (dy, dx), (left, right, top, bottom))

    if uy > 1 or ux > 1:                                                      # zero insertion by reshape + pad
        x = F.pad(x.reshape(n, c, h, 1, w, 1), (0, ux - 1, 0, 0, 0, uy - 1)).reshape(n, c, h * uy, w * ux)
    x = F.pad(x, (left, right, top, bottom))                                  # F.pad crops on negative amounts
    fir = fir.to(x.dtype).flip(list(range(fir.ndim)))                         # convolution = correlation, flipped
    if fir.ndim == 1:                                                         # separable: rows, then columns
        x = F.conv2d(x, (gain * fir).view(1, 1, kh, 1).expand(c, 1, kh, 1), groups=c, stride=(dy, 1))
        return F.conv2d(x, fir.view(1, 1, 1, kw).expand(c, 1, 1, kw), groups=c, stride=(1, dx))
    return F.conv2d(x, (gain * fir).view(1, 1, kh, kw).expand(c, 1, kh, kw), groups=c, stride=(dy, dx))


def box_fir(length: int, order: int = 1) -> np.ndarray:
    """The box [1] * length convolved with itself ``order`` times: integer taps summing to length**order.

    Zero insertion by r followed by box_fir(r) is the zero-order hold (nearest-neighbour upsampling); order 2 is the
    triangle of linear interpolation ([1, 2, 1] for r = 2, to be divided by 4).  Its frequency response vanishes at
    every multiple of 2*pi/length, so it removes any pattern of period ``length``.  The taps are left unnormalised
    so that they are exact in any float format (equal polyphase sums stay exactly equal); divide by the sum.
    """
    check_int("length", length)
    check_int("order", order)
    taps = np.ones(1)
    for _ in range(order):
        taps = np.convolve(taps, np.ones(length))
    return taps
