"""Resize-then-convolve upsampling (Odena, Dumoulin & Olah 2016, "Deconvolution and Checkerboard Artifacts").

Interpolate by r (nearest or bilinear), then a 3x3 convolution with padding 1.  Every output cell sees the same
number of kernel taps, so no overlap checkerboard can arise; the price is a convolution at the high resolution.
"""
from __future__ import annotations

from typing import Optional

import torch.nn.functional as F
from torch import Tensor, nn

from .base import Upsampler, WeightInit, init_conv_
from .registry import register_upsampler

RESIZE_MODES = ("nearest", "bilinear")


class ResizeConvUpsampler(Upsampler):
    """``Upsample(scale_factor, mode)`` followed by ``Conv2d(kernel_size, padding=kernel_size // 2)``."""

    family = "resize_conv"

    def __init__(self, in_channels: int, out_channels: int, scale_factor: int = 2, mode: str = "nearest",
                 kernel_size: int = 3, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, scale_factor)
        if mode not in RESIZE_MODES:
            raise ValueError(f"mode must be one of {list(RESIZE_MODES)}, got {mode!r}")
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be a positive odd int (to keep the size), got {kernel_size}")
        self.mode = mode
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=bias)

    def reset_parameters(self, weight_init: Optional[WeightInit] = None) -> None:
        init_conv_(self.conv, weight_init)

    def forward(self, x: Tensor) -> Tensor:
        align = False if self.mode == "bilinear" else None
        return self.conv(F.interpolate(x, scale_factor=self.scale_factor, mode=self.mode, align_corners=align))

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, mode={self.mode}"


@register_upsampler("resize_conv_nearest", operation="Upsample(nearest) + Conv2d 3x3", checkerboard_free_at_init=True,
                    paper="Odena, Dumoulin & Olah 2016", tags=("checkerboard_free_any_weights",))
def resize_conv_nearest(in_channels: int, out_channels: int, scale_factor: int = 2,
                        **overrides) -> ResizeConvUpsampler:
    """Odena et al.'s recommendation: nearest-neighbour resize, then a same-size convolution."""
    return ResizeConvUpsampler(in_channels, out_channels, scale_factor, **(dict(mode="nearest") | overrides))


@register_upsampler("resize_conv_bilinear", operation="Upsample(bilinear) + Conv2d 3x3", checkerboard_free_at_init=True,
                    paper="Odena, Dumoulin & Olah 2016", tags=("checkerboard_free_any_weights",))
def resize_conv_bilinear(in_channels: int, out_channels: int, scale_factor: int = 2,
                         **overrides) -> ResizeConvUpsampler:
    """Bilinear resize (align_corners=False), then a same-size convolution."""
    return ResizeConvUpsampler(in_channels, out_channels, scale_factor, **(dict(mode="bilinear") | overrides))
