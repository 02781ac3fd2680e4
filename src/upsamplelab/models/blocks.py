"""Building blocks shared by the U-Net and FCN: the double 3x3 convolution and the max-pool encoder."""
from __future__ import annotations

from torch import Tensor, nn


class DoubleConv(nn.Sequential):
    """(Conv2d 3x3, BatchNorm, ReLU) x 2 — the U-Net stage of Ronneberger et al. (2015), with BN."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )


class Encoder(nn.Module):
    """DoubleConv at full resolution, then ``depth`` x (MaxPool 2x2, DoubleConv doubling the width).

    ``forward`` returns the features of every level, finest first: widths base_width * 2**i, sizes H / 2**i.
    """

    def __init__(self, in_channels: int, base_width: int, depth: int) -> None:
        super().__init__()
        if depth < 1 or base_width < 1:
            raise ValueError(f"depth and base_width must be >= 1, got depth={depth}, base_width={base_width}")
        self.widths = [base_width * 2 ** i for i in range(depth + 1)]
        self.stem = DoubleConv(in_channels, base_width)
        self.downs = nn.ModuleList(
            nn.Sequential(nn.MaxPool2d(2), DoubleConv(self.widths[i], self.widths[i + 1])) for i in range(depth)
        )
        self.depth = depth

    def forward(self, x: Tensor) -> list[Tensor]:
        features = [self.stem(x)]
        for down in self.downs:
            features.append(down(features[-1]))
        return features


def check_divisible(size: int, depth: int, size_key: str, depth_key: str) -> None:
    """A network that halves the size ``depth`` times needs size % 2**depth == 0."""
    if size % 2 ** depth:
        raise ValueError(f"{size_key}={size} is not divisible by 2**{depth_key} = {2 ** depth} "
                         f"({depth_key}={depth}); choose a size that is a multiple of {2 ** depth} or a smaller depth")
