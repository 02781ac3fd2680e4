"""Bilinear interpolation: FCN's upsampling kernel (Long, Shelhamer & Darrell 2015) and bilinear resizing.

For kernel size K, with f = ceil(K / 2) and c = f - 1 (K odd) or f - 1/2 (K even), the 1-D filter is
``1 - |t - c| / f`` for t = 0..K-1 (K = 4 gives [0.25, 0.75, 0.75, 0.25]); the 2-D filter is its outer product.
A ConvTranspose2d with K = 2S, stride S, padding S/2 and this filter reproduces bilinear resizing
(align_corners=False) away from the border.

``bilinear_resize_reference`` resizes by r as ``F.interpolate(mode="bilinear", align_corners=False)`` does: output
cell o of an axis of length n reads the input at s = max(0, (o + 1/2) / r - 1/2), i.e. (1 - t) x[floor(s)] +
t x[min(floor(s) + 1, n - 1)] with t = s - floor(s), one interpolation matrix per axis.
"""
from __future__ import annotations

import numpy as np
import torch

from ._args import IntOrPair, check_at_least, pair
from ._arrays import as_array


def bilinear_filter_1d(kernel_size: int) -> np.ndarray:
    """FCN's 1-D tent filter of length ``kernel_size``."""
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    return 1.0 - np.abs(np.arange(kernel_size) - center) / factor


def bilinear_kernel(in_channels: int, out_channels: int, kernel_size: IntOrPair) -> torch.Tensor:
    """ConvTranspose2d weight (in_channels, out_channels, kH, kW): the bilinear filter on the channel diagonal.

    Channel i maps to channel i for i < min(in_channels, out_channels); all other pairs are zero.
    """
    kh, kw = pair(kernel_size, "kernel_size")
    check_at_least((kh, kw), 1, "kernel_size")
    check_at_least((in_channels, out_channels), 1, "in_channels/out_channels")
    filt = torch.from_numpy(np.outer(bilinear_filter_1d(kh), bilinear_filter_1d(kw))).float()
    weight = torch.zeros(in_channels, out_channels, kh, kw)
    diag = torch.arange(min(in_channels, out_channels))
    weight[diag, diag] = filt
    return weight


def bilinear_resize_matrix(size: int, r: int) -> np.ndarray:
    """The (r * size, size) matrix of bilinear resizing by r along one axis (align_corners=False, edge clamped)."""
    source = np.maximum((np.arange(r * size) + 0.5) / r - 0.5, 0.0)
    lower = np.floor(source).astype(int)
    upper = np.minimum(lower + 1, size - 1)
    t = source - lower
    matrix = np.zeros((r * size, size))
    np.add.at(matrix, (np.arange(r * size), lower), 1 - t)
    np.add.at(matrix, (np.arange(r * size), upper), t)
    return matrix


def bilinear_resize_reference(x, r: IntOrPair) -> np.ndarray:
    """(N, C, H, W) -> (N, C, rh*H, rw*W) by one interpolation matrix per axis; equals ``F.interpolate(x,
    scale_factor=r, mode="bilinear", align_corners=False)``."""
    x = as_array(x, "x", 4)
    rh, rw = pair(r, "r")
    check_at_least((rh, rw), 1, "r")
    rows, cols = bilinear_resize_matrix(x.shape[2], rh), bilinear_resize_matrix(x.shape[3], rw)
    return np.einsum("ph,nchw,qw->ncpq", rows.astype(x.dtype), x, cols.astype(x.dtype))
