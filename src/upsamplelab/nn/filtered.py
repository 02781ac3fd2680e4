"""Filtered transposed convolution: a stride-S transposed conv followed by a fixed low-pass FIR (upfirdn2d).

Karras et al. (2020, StyleGAN2, "Analyzing and Improving the Image Quality of StyleGAN") upsample with the x2
transposed conv followed by the separable filter [1, 3, 3, 1]^T [1, 3, 3, 1] / 64 with gain 4.  Convolutions
commute, so ConvTranspose2d(w, stride S) followed by the filter f equals zero insertion by S, then f, then a
stride-1 convolution with w: a fixed interpolation ("upfirdn2d(x, f, up=S, gain=S^2)") followed by a learned
convolution.  When f has equal polyphase sums (for S = 2: f[0] + f[2] = f[1] + f[3], which [1, 3, 3, 1] satisfies)
that interpolation maps a constant to a constant, so the whole layer is checkerboard-free for ANY weights w.

The bias is added after the filter (a bias before it would be filtered, i.e. scaled by the gain and shaped by the
zero border), and starts at zero as in StyleGAN2.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from ..checks import check_int
from ..ops import upfirdn2d
from .base import Upsampler, WeightInit, init_conv_
from .registry import register_upsampler

STYLEGAN2_FIR = (1, 3, 3, 1)


class FilteredTransposedConvUpsampler(Upsampler):
    """``ConvTranspose2d(K, stride S, no padding)``, then ``upfirdn2d(fir, gain S^2)`` padded to S*H, then + bias.

    ``fir`` is a 1-D filter (used separably) kept as given in a fixed buffer, so integer taps stay exact; the gain
    S^2 / sum(fir)^2 normalises it.  A model's ``weight_init`` reaches the transposed conv only.  The convT's output is (H - 1)S + K; the filter of length L
    then needs S + L - K - 1 cells of padding in all (negative: cropped), split as evenly as possible, more before.
    """

    family = "filtered_transposed_conv"

    def __init__(self, in_channels: int, out_channels: int, scale_factor: int = 2, fir: Sequence[float] = STYLEGAN2_FIR,
                 kernel_size: int = 3, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, scale_factor)
        check_int("kernel_size", kernel_size)
        taps = np.asarray(fir, dtype=np.float64)
        if taps.ndim != 1 or taps.size < 1 or not np.isfinite(taps).all() or taps.sum() == 0:
            raise ValueError(f"fir must be a non-empty 1-D sequence of finite taps with a non-zero sum, got {fir!r}")
        self.conv = nn.ConvTranspose2d(in_channels, out_channels, kernel_size, scale_factor, bias=False)
        self.register_buffer("fir", torch.from_numpy(taps).float(), persistent=False)
        self.gain = scale_factor ** 2 / taps.sum() ** 2
        total = scale_factor + taps.size - kernel_size - 1
        self.padding = ((total + 1) // 2, total // 2) * 2                   # (left, right, top, bottom)
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self, weight_init: Optional[WeightInit] = None) -> None:
        init_conv_(self.conv, weight_init)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        y = upfirdn2d(self.conv(x), self.fir, padding=self.padding, gain=self.gain)
        return y if self.bias is None else y + self.bias.view(1, -1, 1, 1)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, fir={self.fir.tolist()}, gain={self.gain:.6g}"


@register_upsampler("convT_k3_fir", operation="ConvTranspose2d(K3, S2) + FIR [1,3,3,1]ᵀ[1,3,3,1]/64, gain 4",
                    scales=(2,), paper="Karras et al. 2020 (StyleGAN2)", checkerboard_free_at_init=True,
                    tags=("fixed_filter", "checkerboard_free_any_weights"))
def convT_k3_fir(in_channels: int, out_channels: int, scale_factor: int = 2,
                 **overrides) -> FilteredTransposedConvUpsampler:
    """StyleGAN2's filtered x2 upsampling; [1, 3, 3, 1] has equal polyphase sums, so no checkerboard for any w."""
    return FilteredTransposedConvUpsampler(in_channels, out_channels, scale_factor, **overrides)
