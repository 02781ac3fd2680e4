"""Bilinear additive upsampling (Wojna et al., IJCV 2019, "The Devil is in the Decoder"): resize every
channel bilinearly by r, then sum each group of g = C_in / C_out consecutive channels:

    y[n, k] = sum_{j = 0}^{g - 1} bilinear_r(x[n, k * g + j])        for k = 0 .. C_out - 1

No parameters; the channel reduction by g is a sum, not a learned mixing.  C_in must be a multiple of C_out.
"""
from __future__ import annotations

import numpy as np

from ..checks import check_in_multiple_of_out
from ._args import IntOrPair
from ._arrays import as_array
from .bilinear import bilinear_resize_reference


def bilinear_additive_reference(x, out_channels: int, r: IntOrPair) -> np.ndarray:
    """(N, C_in, H, W) -> (N, out_channels, rh*H, rw*W): bilinear resizing, then the sum of each channel group."""
    x = as_array(x, "x", 4)
    n, c_in = x.shape[:2]
    check_in_multiple_of_out(c_in, out_channels, "bilinear additive upsampling")
    resized = bilinear_resize_reference(x, r)
    return resized.reshape(n, out_channels, c_in // out_channels, *resized.shape[2:]).sum(axis=2)
