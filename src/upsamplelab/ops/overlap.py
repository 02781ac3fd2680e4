"""Kernel-overlap counts of a transposed convolution (Odena, Dumoulin & Olah 2016, "Deconvolution and
Checkerboard Artifacts", Distill).

With all-ones input and kernel the scatter-add view counts how many kernel taps land on every output cell.  The
interior count is uniform exactly when the kernel size is divisible by the stride; otherwise it alternates (the
1-2-4 checkerboard of K=3, S=2 in 2-D).
"""
from __future__ import annotations

import numpy as np

from ._args import IntOrPair, check_at_least, pair
from .scatter import conv_transpose2d_scatter


def overlap_map(kernel_size: IntOrPair, stride: IntOrPair, input_size: IntOrPair) -> np.ndarray:
    """Integer map (H_out, W_out) of taps landing on each output cell of an unpadded transposed conv.

    >>> overlap_map(3, 2, 3)[2]
    array([2, 2, 4, 2, 4, 2, 2])
    """
    k, s, i = pair(kernel_size, "kernel_size"), pair(stride, "stride"), pair(input_size, "input_size")
    check_at_least(i, 1, "input_size")
    counts = conv_transpose2d_scatter(np.ones((1, 1, *i)), np.ones((1, 1, *k)), stride=s)
    return np.rint(counts[0, 0]).astype(np.int64)


def is_checkerboard_free(kernel_size: IntOrPair, stride: IntOrPair) -> bool:
    """True when the kernel overlaps evenly (K % S == 0 on both axes), so no overlap checkerboard can arise."""
    k, s = pair(kernel_size, "kernel_size"), pair(stride, "stride")
    check_at_least(k, 1, "kernel_size")
    check_at_least(s, 1, "stride")
    return k[0] % s[0] == 0 and k[1] % s[1] == 0
