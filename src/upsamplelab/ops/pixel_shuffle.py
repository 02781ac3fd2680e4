"""Pixel shuffle (sub-pixel convolution) and its inverse as pure reshapes (Shi et al. 2016, ESPCN, eq. 4).

    y[n, c, r*i + a, r*j + b] = x[n, c*r^2 + a*r + b, i, j]

No arithmetic happens: channel blocks of r^2 are re-laid out as r x r spatial tiles.  Rectangular factors
(r_h, r_w) are accepted too: channel c*r_h*r_w + a*r_w + b goes to offset (a, b).
"""
from __future__ import annotations

import numpy as np

from ._arrays import as_array
from ._args import IntOrPair, check_at_least, pair


def pixel_shuffle_reference(x, r: IntOrPair) -> np.ndarray:
    """(N, C*rh*rw, H, W) -> (N, C, H*rh, W*rw) by reshape + transpose; equals ``F.pixel_shuffle`` for int r."""
    x = as_array(x, "x", 4)
    rh, rw = pair(r, "r")
    check_at_least((rh, rw), 1, "r")
    n, c, h, w = x.shape
    if c % (rh * rw):
        raise ValueError(f"x.shape[1]={c} must be divisible by r_h * r_w = {rh * rw}")
    return (x.reshape(n, c // (rh * rw), rh, rw, h, w)
             .transpose(0, 1, 4, 2, 5, 3)            # (N, C, H, rh, W, rw)
             .reshape(n, c // (rh * rw), h * rh, w * rw))


def pixel_unshuffle_reference(x, r: IntOrPair) -> np.ndarray:
    """(N, C, H*rh, W*rw) -> (N, C*rh*rw, H, W), the inverse of ``pixel_shuffle_reference``."""
    x = as_array(x, "x", 4)
    rh, rw = pair(r, "r")
    check_at_least((rh, rw), 1, "r")
    n, c, hr, wr = x.shape
    if hr % rh or wr % rw:
        raise ValueError(f"spatial size ({hr}, {wr}) must be divisible by r = ({rh}, {rw})")
    h, w = hr // rh, wr // rw
    return (x.reshape(n, c, h, rh, w, rw)
             .transpose(0, 1, 3, 5, 2, 4)            # (N, C, rh, rw, H, W)
             .reshape(n, c * rh * rw, h, w))
