"""Convolution as a matrix, and transposed convolution as its transpose (the "transposed im2col" view).

Dumoulin & Visin (2016, arXiv:1603.07285, sec. 4.1): unroll the input x (C, H, W) row-major into a vector; a
convolution is then a sparse matrix M with ``conv2d(x) = M @ x.ravel()``.  The transposed convolution with the SAME
weight tensor is ``M.T @ y.ravel()``: the adjoint, which is why PyTorch stores a ConvTranspose2d weight
(C_in, C_out // groups, kH, kW) in exactly the Conv2d layout (C_out, C_in // groups, kH, kW) of the forward
convolution it transposes.
"""
from __future__ import annotations

import numpy as np

from ._arrays import as_array, check_groups, transposed_operands
from ._args import IntOrPair, check_at_least, pair
from .output_size import check_conv_transpose_args, conv_transpose_output_size


def conv2d_output_size(size: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int],
                       padding: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int]:
    """floor((I + 2P - D(K - 1) - 1) / S) + 1 on each axis (Dumoulin & Visin, relationship 15 with dilation)."""
    return tuple((size[a] + 2 * padding[a] - dilation[a] * (kernel[a] - 1) - 1) // stride[a] + 1 for a in range(2))


def conv2d_matrix(
    weight,
    input_hw: IntOrPair,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> np.ndarray:
    """Dense matrix M of ``conv2d`` (no bias) with a Conv2d-layout ``weight`` on a C_in x H x W input.

    Shape (C_out * H_out * W_out, C_in * H * W): row (co, oy, ox), column (ci, iy, ix), both row-major, holds
    ``weight[co, ci_in_group, ky, kx]`` where iy = oy*S - P + ky*D and ix = ox*S - P + kx*D.
    """
    weight = as_array(weight, "weight", 4)
    c_out, cin_g, kh, kw = weight.shape
    c_in = cin_g * groups
    check_groups(c_in, c_out, groups, "C_in", "C_out")
    h, w = pair(input_hw, "input_hw")
    s, p, d = pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation")
    check_at_least((h, w), 1, "input_hw")
    check_at_least(s, 1, "stride")
    check_at_least(d, 1, "dilation")
    check_at_least(p, 0, "padding")
    out_h, out_w = conv2d_output_size((h, w), (kh, kw), s, p, d)
    if min(out_h, out_w) < 1:
        raise ValueError(f"the kernel does not fit: output size ({out_h}, {out_w}) for input_hw={(h, w)}")

    matrix = np.zeros((c_out * out_h * out_w, c_in * h * w), dtype=weight.dtype)
    cout_g = c_out // groups
    for g in range(groups):
        out_ch = np.arange(g * cout_g, (g + 1) * cout_g)
        in_ch = np.arange(g * cin_g, (g + 1) * cin_g)
        for oy in range(out_h):
            for ox in range(out_w):
                rows = out_ch * out_h * out_w + oy * out_w + ox
                for ky in range(kh):
                    iy = oy * s[0] - p[0] + ky * d[0]
                    for kx in range(kw):
                        ix = ox * s[1] - p[1] + kx * d[1]
                        if 0 <= iy < h and 0 <= ix < w:
                            cols = in_ch * h * w + iy * w + ix
                            matrix[np.ix_(rows, cols)] += weight[out_ch, :, ky, kx]
    return matrix


def conv_transpose2d_matrix(
    x,
    weight,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> np.ndarray:
    """``F.conv_transpose2d`` computed as ``M.T @ x`` with M = ``conv2d_matrix(weight, output_hw, ...)``.

    M is the forward convolution from the transposed conv's output size back to its input size.  When
    output_padding >= stride (allowed by PyTorch when it is below the dilation) that forward convolution yields
    more cells than x has; x is zero-padded to that size, i.e. only M's rows for cells of x are used.
    """
    x, weight, c_out = transposed_operands(x, weight, groups)
    n, c_in, h, w = x.shape
    out_hw = conv_transpose_output_size((h, w), weight.shape[2:], stride, padding, output_padding, dilation)
    (kh, kw), s, p, _, d = check_conv_transpose_args(weight.shape[2:], stride, padding, output_padding, dilation)
    matrix = conv2d_matrix(weight, out_hw, s, p, d, groups)          # (C_in * H' * W', C_out * Ho * Wo)
    fwd_h, fwd_w = conv2d_output_size(out_hw, (kh, kw), s, p, d)      # H' >= H, W' >= W
    matrix = matrix.reshape(c_in, fwd_h, fwd_w, -1)[:, :h, :w].reshape(c_in * h * w, -1)
    y = x.reshape(n, -1) @ matrix                                     # row vectors: (M.T @ x.ravel()).T
    return y.reshape(n, c_out, *out_hw)
