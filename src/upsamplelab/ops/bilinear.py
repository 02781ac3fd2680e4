"""The bilinear-interpolation kernel of FCN's learnable upsampling (Long, Shelhamer & Darrell 2015).

For kernel size K, with f = ceil(K / 2) and c = f - 1 (K odd) or f - 1/2 (K even), the 1-D filter is
``1 - |t - c| / f`` for t = 0..K-1 (K = 4 gives [0.25, 0.75, 0.75, 0.25]); the 2-D filter is its outer product.
A ConvTranspose2d with K = 2S, stride S, padding S/2 and this filter reproduces bilinear resizing
(align_corners=False) away from the border.
"""
from __future__ import annotations

import numpy as np
import torch

from ._args import IntOrPair, check_at_least, pair


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
