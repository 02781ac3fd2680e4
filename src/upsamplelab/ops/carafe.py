"""CARAFE's content-aware reassembly (Wang et al., ICCV 2019, "CARAFE: Content-Aware ReAssembly of FEatures", eq. 3).

Every output location l' = (i', j') of the s-times larger map has its own k_up x k_up kernel W_l' (predicted from
the content, normalised by a softmax); its value is the kernel-weighted sum of the k_up x k_up neighbourhood of its
source location l = (i' // s, j' // s) in the input, zeros outside, the same kernel for every channel:

    y[n, c, i', j'] = sum_{a, b = 0}^{k_up - 1} W[n, a * k_up + b, i', j'] * x[n, c, i'//s + a - r, j'//s + b - r]

with r = k_up // 2.  ``carafe_reassembly_reference`` loops over the k_up^2 offsets in NumPy;
``carafe_reassembly`` is one ``unfold`` of the input and one ``einsum`` in PyTorch, held to it by the tests.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..checks import check_int
from ._arrays import as_array


def reassembly_kernel_size(x_shape: tuple[int, ...], kernels_shape: tuple[int, ...], scale: int) -> int:
    """k_up from x (N, C, H, W) and kernels (N, k_up^2, s*H, s*W); ValueError naming what does not fit."""
    check_int("scale", scale)
    if len(x_shape) != 4 or len(kernels_shape) != 4:
        raise ValueError(f"x and kernels must have 4 dimensions, got shapes {tuple(x_shape)} and "
                         f"{tuple(kernels_shape)}")
    n, _, h, w = x_shape
    k_up = math.isqrt(kernels_shape[1])
    if k_up * k_up != kernels_shape[1] or k_up % 2 == 0:
        raise ValueError(f"kernels.shape[1] must be k_up^2 for an odd k_up, got {kernels_shape[1]}")
    expected = (n, k_up * k_up, scale * h, scale * w)
    if tuple(kernels_shape) != expected:
        raise ValueError(f"kernels must have shape (N, k_up^2, scale*H, scale*W) = {expected} for x of shape "
                         f"{tuple(x_shape)} and scale {scale}, got {tuple(kernels_shape)}")
    return k_up


def carafe_reassembly_reference(x, kernels, scale: int) -> np.ndarray:
    """The reassembly in NumPy: for each of the k_up^2 offsets, the shifted input, repeated to the output grid
    (its source location), times that offset's kernel weight."""
    x, kernels = as_array(x, "x", 4), as_array(kernels, "kernels", 4)
    k_up = reassembly_kernel_size(x.shape, kernels.shape, scale)
    n, c, h, w = x.shape
    r = k_up // 2
    padded = np.pad(x, ((0, 0), (0, 0), (r, r), (r, r)))
    out = np.zeros((n, c, h * scale, w * scale), dtype=np.result_type(x, kernels))
    for a in range(k_up):
        for b in range(k_up):
            shifted = padded[:, :, a:a + h, b:b + w]                             # x[i + a - r, j + b - r]
            at_source = shifted.repeat(scale, axis=2).repeat(scale, axis=3)     # at (i', j'): i = i' // s
            out += kernels[:, None, a * k_up + b] * at_source
    return out


def carafe_reassembly(x: Tensor, kernels: Tensor, scale: int) -> Tensor:
    """The reassembly in PyTorch: x (N, C, H, W), kernels (N, k_up^2, s*H, s*W) -> (N, C, s*H, s*W)."""
    k_up = reassembly_kernel_size(tuple(x.shape), tuple(kernels.shape), scale)
    n, c, h, w = x.shape
    neighbourhoods = F.unfold(x, k_up, padding=k_up // 2).view(n, c, k_up * k_up, h, w)
    per_source = kernels.reshape(n, k_up * k_up, h, scale, w, scale)             # output (i', j') = (i*s + a, j*s + b)
    out = torch.einsum("nckhw,nkhawb->nchawb", neighbourhoods, per_source)
    return out.reshape(n, c, h * scale, w * scale)
