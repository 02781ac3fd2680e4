"""Transposed convolution as zero insertion followed by an ordinary stride-1 convolution.

Dumoulin & Visin (2016, arXiv:1603.07285, sec. 4.5-4.6): insert S - 1 zeros between neighbouring input cells,
pad every side by D(K - 1) - P (crop when negative; output_padding adds extra rows/columns at the bottom/right),
then correlate at stride 1 and dilation D with the kernel flipped in both spatial axes and its in/out channels
swapped.  This is the "fractionally strided convolution" picture: most of the multiplies hit inserted zeros.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._arrays import pad_or_crop, transposed_operands
from ._args import IntOrPair
from .output_size import check_conv_transpose_args, conv_transpose_output_size


def correlate2d(x: np.ndarray, weight: np.ndarray, dilation: tuple[int, int] = (1, 1), groups: int = 1) -> np.ndarray:
    """Stride-1, unpadded cross-correlation (PyTorch's conv2d): x (N, C_in, H, W), weight (C_out, C_in/g, kH, kW)."""
    c_out, cin_g, kh, kw = weight.shape
    dh, dw = dilation
    windows = sliding_window_view(x, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))[..., ::dh, ::dw]
    cout_g = c_out // groups
    outs = [
        np.einsum("nchwkl,ockl->nohw", windows[:, g * cin_g:(g + 1) * cin_g], weight[g * cout_g:(g + 1) * cout_g])
        for g in range(groups)
    ]
    return np.concatenate(outs, axis=1)


def conv_transpose2d_zero_insertion(
    x,
    weight,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> np.ndarray:
    """``F.conv_transpose2d`` as zero insertion + padding + stride-1 conv with the flipped, swapped kernel."""
    x, weight, c_out = transposed_operands(x, weight, groups)
    n, c_in, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (oph, opw), (dh, dw) = check_conv_transpose_args(
        weight.shape[2:], stride, padding, output_padding, dilation
    )
    conv_transpose_output_size((h, w), (kh, kw), stride, padding, output_padding, dilation)  # validates size

    dilated = np.zeros((n, c_in, (h - 1) * sh + 1, (w - 1) * sw + 1), dtype=x.dtype)
    dilated[:, :, ::sh, ::sw] = x                                        # S - 1 zeros between cells
    edge_h, edge_w = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    padded = pad_or_crop(dilated, 2, edge_h, edge_h + oph)
    padded = pad_or_crop(padded, 3, edge_w, edge_w + opw)

    cin_g, cout_g = c_in // groups, c_out // groups
    swapped = (weight.reshape(groups, cin_g, cout_g, kh, kw)
               .transpose(0, 2, 1, 3, 4)
               .reshape(c_out, cin_g, kh, kw))                            # (C_out, C_in / g, kH, kW)
    flipped = swapped[:, :, ::-1, ::-1]
    return correlate2d(padded, flipped, (dh, dw), groups)
