"""Sub-pixel convolution: a convolution to C_out * r^2 channels, then pixel shuffle (Shi et al. 2016, ESPCN).

With ``init="icnr"`` (Aitken et al. 2017, arXiv:1707.02937, "Checkerboard artifact free sub-pixel convolution"),
one kernel per output channel is drawn and copied to all r^2 sub-pixel positions, so at initialisation the layer
equals nearest-neighbour resize followed by that convolution: the output is constant inside every r x r block.

``BlurredPixelShuffleUpsampler`` adds a fixed blur after the shuffle (Sugawara et al. 2019; fastai's
``PixelShuffle_ICNR(blur=True)``; lucidrains' lightweight-gan): the triangle box_r * box_r with replicate padding,
[1, 2, 1] / 4 per axis for r = 2.  Its frequency response vanishes at every multiple of 2*pi/r, so it removes the
stride-r pattern of independent sub-kernels whatever the weights, not only at an ICNR initialisation.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..ops import box_fir, upfirdn2d
from .base import Upsampler, WeightInit, init_conv_
from .registry import register_upsampler

PIXEL_SHUFFLE_INITS = ("default", "icnr")


class PixelShuffleUpsampler(Upsampler):
    """``Conv2d(in, out * r^2, kernel_size, padding=kernel_size // 2)`` then ``PixelShuffle(r)``."""

    family = "pixel_shuffle"

    def __init__(self, in_channels: int, out_channels: int, scale_factor: int = 2, kernel_size: int = 3,
                 bias: bool = True, init: str = "default") -> None:
        super().__init__(in_channels, out_channels, scale_factor)
        if init not in PIXEL_SHUFFLE_INITS:
            raise ValueError(f"init must be one of {list(PIXEL_SHUFFLE_INITS)}, got {init!r}")
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be a positive odd int (to keep the size), got {kernel_size}")
        self.init = init
        self.conv = nn.Conv2d(in_channels, out_channels * scale_factor ** 2, kernel_size,
                              padding=kernel_size // 2, bias=bias)
        self.shuffle = nn.PixelShuffle(scale_factor)
        self.reset_parameters()

    def reset_parameters(self, weight_init: Optional[WeightInit] = None) -> None:
        init_conv_(self.conv, weight_init)
        if self.init == "icnr":
            icnr_(self.conv, self.scale_factor)

    def forward(self, x: Tensor) -> Tensor:
        return self.shuffle(self.conv(x))

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, init={self.init}"


class BlurredPixelShuffleUpsampler(PixelShuffleUpsampler):
    """Sub-pixel convolution (ICNR-initialised by default), then the box_r * box_r blur with replicate padding."""

    family = "filtered_pixel_shuffle"

    def __init__(self, in_channels: int, out_channels: int, scale_factor: int = 2, kernel_size: int = 3,
                 bias: bool = True, init: str = "icnr") -> None:
        super().__init__(in_channels, out_channels, scale_factor, kernel_size, bias, init)
        self.register_buffer("blur", torch.from_numpy(box_fir(scale_factor, order=2)).float(), persistent=False)
        self.gain = 1.0 / scale_factor ** 4                                  # 1 / sum(blur)^2

    def forward(self, x: Tensor) -> Tensor:
        edge = self.scale_factor - 1                                         # (the blur's length - 1) / 2
        return upfirdn2d(F.pad(super().forward(x), (edge,) * 4, mode="replicate"), self.blur, gain=self.gain)


def icnr_(conv: nn.Conv2d, scale_factor: int) -> None:
    """ICNR in place: make the r^2 sub-kernels (and biases) of every output channel equal to its first one.

    PixelShuffle sends channel c*r^2 + k to sub-pixel k of output channel c, so channels c*r^2 .. c*r^2 + r^2 - 1
    get copies of channel c*r^2's kernel.
    """
    r2 = scale_factor ** 2
    weight = conv.weight.data
    base = weight[::r2]                                                  # (C_out, C_in, k, k)
    weight.copy_(base.repeat_interleave(r2, dim=0))
    if conv.bias is not None:
        conv.bias.data.copy_(conv.bias.data[::r2].repeat_interleave(r2))


@register_upsampler("pixel_shuffle", operation="Conv2d 3x3 to out*r^2 + PixelShuffle(r)",
                    paper="Shi et al. 2016 (ESPCN)", checkerboard_free_at_init=False)
def pixel_shuffle(in_channels: int, out_channels: int, scale_factor: int = 2, **overrides) -> PixelShuffleUpsampler:
    """Sub-pixel convolution with independent random sub-kernels (a stride-r pattern at initialisation)."""
    return PixelShuffleUpsampler(in_channels, out_channels, scale_factor, **overrides)


@register_upsampler("pixel_shuffle_icnr", operation="Conv2d 3x3 to out*r^2 + PixelShuffle(r), ICNR init",
                    paper="Aitken et al. 2017 (ICNR)", checkerboard_free_at_init=True)
def pixel_shuffle_icnr(in_channels: int, out_channels: int, scale_factor: int = 2,
                       **overrides) -> PixelShuffleUpsampler:
    """Sub-pixel convolution initialised to equal nearest resize + conv (Aitken et al. 2017)."""
    return PixelShuffleUpsampler(in_channels, out_channels, scale_factor, **(dict(init="icnr") | overrides))


@register_upsampler("pixel_shuffle_blur", operation="Conv2d 3x3 to out*r^2 + PixelShuffle(r), ICNR, [1,2,1] blur",
                    paper="Sugawara et al. 2019; fastai PixelShuffle_ICNR(blur=True)", checkerboard_free_at_init=True,
                    tags=("fixed_filter", "checkerboard_free_any_weights"))
def pixel_shuffle_blur(in_channels: int, out_channels: int, scale_factor: int = 2,
                       **overrides) -> BlurredPixelShuffleUpsampler:
    """ICNR sub-pixel convolution followed by a [1, 2, 1] blur (x2; the triangle of length 2r - 1 for x r)."""
    return BlurredPixelShuffleUpsampler(in_channels, out_channels, scale_factor, **overrides)
