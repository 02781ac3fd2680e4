"""Transposed convolution as scatter-add: every input cell paints a scaled copy of the kernel.

The view of Dumoulin & Visin (2016, arXiv:1603.07285, sec. 4) and of Odena, Dumoulin & Olah (2016, Distill):
input cell (i, j) adds ``x[i, j] * w`` onto the output canvas with its top-left tap at (i*S, j*S), the taps spaced by
the dilation D.  Where the painted kernels overlap unevenly (K % S != 0) the sums form a checkerboard.
Padding P then crops P cells from every side of the full canvas; output_padding extends the bottom/right edge.
"""
from __future__ import annotations

import numpy as np

from ._arrays import transposed_operands
from ._args import IntOrPair
from .output_size import check_conv_transpose_args, conv_transpose_output_size


def conv_transpose2d_scatter(
    x,
    weight,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> np.ndarray:
    """``F.conv_transpose2d(x, weight, None, stride, padding, output_padding, groups, dilation)`` by scatter-add.

    ``x`` is (N, C_in, H, W); ``weight`` has PyTorch's ConvTranspose2d layout (C_in, C_out // groups, kH, kW).
    """
    x, weight, c_out = transposed_operands(x, weight, groups)
    n, c_in, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), _, (dh, dw) = check_conv_transpose_args(
        weight.shape[2:], stride, padding, output_padding, dilation
    )
    out_h, out_w = conv_transpose_output_size((h, w), (kh, kw), stride, padding, output_padding, dilation)
    # The full canvas before cropping; it must reach P + O on each axis (output_padding may go past its edge).
    canvas = np.zeros((n, c_out, max((h - 1) * sh + dh * (kh - 1) + 1, ph + out_h),
                       max((w - 1) * sw + dw * (kw - 1) + 1, pw + out_w)), dtype=x.dtype)
    cin_g, cout_g = c_in // groups, c_out // groups
    for g in range(groups):
        xg = x[:, g * cin_g:(g + 1) * cin_g]                  # (N, C_in/g, H, W)
        wg = weight[g * cin_g:(g + 1) * cin_g]                # (C_in/g, C_out/g, kH, kW)
        for i in range(h):
            for j in range(w):
                painted = np.einsum("nc,cokl->nokl", xg[:, :, i, j], wg)   # the kernel scaled by x[i, j]
                canvas[:, g * cout_g:(g + 1) * cout_g,
                       i * sh: i * sh + dh * (kh - 1) + 1: dh,
                       j * sw: j * sw + dw * (kw - 1) + 1: dw] += painted
    return canvas[:, :, ph:ph + out_h, pw:pw + out_w]
