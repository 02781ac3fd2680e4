"""FCN (Long, Shelhamer & Darrell 2015): encoder -> 1x1 class scores -> ONE upsampler by the total stride.

With ``upsampler=bilinear_convT`` and a total stride of 32 this is FCN-32s's learnable, bilinear-initialised
head (K = 2S, P = S/2).  The encoder is the U-Net's (``depth`` max-pools: total stride 2**depth).
"""
from __future__ import annotations

from typing import Union

from torch import Tensor, nn

from .blocks import Encoder
from .factory import UpsamplerFactory, as_upsampler_factory


class FCN(nn.Module):
    def __init__(self, upsampler: Union[str, UpsamplerFactory] = "bilinear_convT", in_channels: int = 3,
                 num_classes: int = 2, depth: int = 3, base_width: int = 32) -> None:
        super().__init__()
        make_up = as_upsampler_factory(upsampler)
        self.depth, self.in_channels, self.num_classes = depth, in_channels, num_classes
        self.encoder = Encoder(in_channels, base_width, depth)
        self.score = nn.Conv2d(self.encoder.widths[-1], num_classes, 1)
        self.up = make_up(in_channels=num_classes, out_channels=num_classes, scale_factor=2 ** depth)

    def forward(self, x: Tensor) -> Tensor:
        return self.up(self.score(self.encoder(x)[-1]))
