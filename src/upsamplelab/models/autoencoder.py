"""Convolutional autoencoder whose decoder is a stack of swappable x2 upsamplers.

Encoder: Conv2d(4, 2, 1) + BatchNorm + ReLU per entry of ``widths`` (28 px with widths [32, 64]: 28 -> 14 -> 7),
then a 1x1 conv to ``latent_channels``.  Decoder: 1x1 conv back to widths[-1], then one upsampler per level
(widths reversed, ending at the image channels), BatchNorm + ReLU between, Tanh at the end (data in [-1, 1]).
With ``convT_k3`` this is the checkerboard-prone decoder of the classic MNIST exercise.
"""
from __future__ import annotations

from typing import Sequence, Union

from torch import Tensor, nn

from .factory import UpsamplerFactory, as_upsampler_factory


class ConvAutoencoder(nn.Module):
    def __init__(self, upsampler: Union[str, UpsamplerFactory] = "convT_k3", channels: int = 1,
                 widths: Sequence[int] = (32, 64), latent_channels: int = 16) -> None:
        super().__init__()
        widths = list(widths)
        if not widths or min(widths) < 1 or latent_channels < 1:
            raise ValueError(f"widths must be a non-empty list of positive ints and latent_channels >= 1, "
                             f"got widths={widths}, latent_channels={latent_channels}")
        make_up = as_upsampler_factory(upsampler)
        self.depth, self.channels = len(widths), channels
        enc: list[nn.Module] = []
        for c_in, c_out in zip([channels] + widths[:-1], widths):
            enc += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
        self.encoder = nn.Sequential(*enc, nn.Conv2d(widths[-1], latent_channels, 1))
        dec: list[nn.Module] = [nn.Conv2d(latent_channels, widths[-1], 1), nn.ReLU(inplace=True)]
        outs = widths[::-1][1:] + [channels]
        for i, (c_in, c_out) in enumerate(zip(widths[::-1], outs)):
            dec.append(make_up(in_channels=c_in, out_channels=c_out, scale_factor=2))
            dec += [nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)] if i < len(outs) - 1 else [nn.Tanh()]
        self.decoder = nn.Sequential(*dec)

    def forward(self, x: Tensor) -> Tensor:
        return self.decoder(self.encoder(x))
