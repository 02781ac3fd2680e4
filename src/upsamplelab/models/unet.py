"""U-Net (Ronneberger, Fischer & Brox 2015) with a swappable upsampler in every decoder stage.

Decoder stage: upsampler (C -> C/2, x2), concatenate the encoder skip (C/2), DoubleConv (C -> C/2).
A final 1x1 convolution gives ``num_classes`` logits per pixel.
"""
from __future__ import annotations

from typing import Union

import torch
from torch import Tensor, nn

from .blocks import DoubleConv, Encoder
from .factory import UpsamplerFactory, as_upsampler_factory


class UNet(nn.Module):
    def __init__(self, upsampler: Union[str, UpsamplerFactory] = "convT_k2", in_channels: int = 3,
                 num_classes: int = 2, depth: int = 4, base_width: int = 32) -> None:
        super().__init__()
        make_up = as_upsampler_factory(upsampler)
        self.depth, self.in_channels, self.num_classes = depth, in_channels, num_classes
        self.encoder = Encoder(in_channels, base_width, depth)
        widths = self.encoder.widths
        self.ups = nn.ModuleList(
            make_up(in_channels=widths[i + 1], out_channels=widths[i], scale_factor=2) for i in reversed(range(depth))
        )
        self.decoders = nn.ModuleList(DoubleConv(2 * widths[i], widths[i]) for i in reversed(range(depth)))
        self.head = nn.Conv2d(base_width, num_classes, 1)

    def forward(self, x: Tensor) -> Tensor:
        *skips, y = self.encoder(x)
        for up, decode, skip in zip(self.ups, self.decoders, reversed(skips)):
            y = decode(torch.cat([up(y), skip], dim=1))
        return self.head(y)
