"""DySample: upsampling by learned point sampling (Liu, Lu, Fu & Cao, ICCV 2023, "Learning to Upsample by Learning
to Sample").

The "lp" style ("linear + pixel shuffle"): a 1x1 convolution of the input predicts 2 * groups * s^2 offsets per
input location, scaled by 0.25 (the static scope factor that keeps neighbouring sampling ranges from overlapping)
or, with ``dynamic_scope``, by 0.5 * sigmoid of a second 1x1 convolution; pixel shuffle puts one (dx, dy) per group
on every output location.  Output location (i', j') samples the input with ``grid_sample`` (bilinear, border
padding) at the position bilinear resizing reads, ((j' + 0.5) / s - 0.5, (i' + 0.5) / s - 0.5), plus its offset
(in input pixels).  A 1x1 convolution maps C to the output channels when they differ.

The offset (and scope) convolutions start at zero, so at initialisation DySample is exactly bilinear upsampling
(``F.interpolate(mode="bilinear", align_corners=False)``).  Sampling a constant input anywhere gives that constant,
so the output of a constant input is constant for any weights.  The paper's default is 4 groups; here it is 1, so
that any channel count works (``groups`` must divide the input channels).
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..checks import check_int
from .base import Upsampler, WeightInit, init_conv_
from .registry import register_upsampler

STATIC_SCOPE = 0.25


class DySampleUpsampler(Upsampler):
    """DySample "lp": offsets from a 1x1 conv (scope 0.25, or dynamic), pixel shuffle, bilinear ``grid_sample``."""

    family = "dysample"

    def __init__(self, in_channels: int, out_channels: int, scale_factor: int = 2, groups: int = 1,
                 dynamic_scope: bool = False) -> None:
        super().__init__(in_channels, out_channels, scale_factor)
        check_int("groups", groups)
        if in_channels % groups:
            raise ValueError(f"groups must divide in_channels={in_channels}, got {groups}")
        if not isinstance(dynamic_scope, bool):
            raise ValueError(f"dynamic_scope must be a bool, got {dynamic_scope!r}")
        self.groups = groups
        offsets = 2 * groups * scale_factor ** 2
        self.offset = nn.Conv2d(in_channels, offsets, 1)
        self.scope = nn.Conv2d(in_channels, offsets, 1) if dynamic_scope else None
        self.project = nn.Conv2d(in_channels, out_channels, 1) if out_channels != in_channels else None
        self.reset_parameters()

    def reset_parameters(self, weight_init: Optional[WeightInit] = None) -> None:
        for conv in (self.offset, self.scope):
            if conv is not None:
                nn.init.zeros_(conv.weight)
                nn.init.zeros_(conv.bias)
        if self.project is not None:
            init_conv_(self.project, weight_init)

    def offsets(self, x: Tensor) -> Tensor:
        """(N, 2, groups, s*H, s*W): the (dx, dy) of every group at every output location, in input pixels."""
        offset = self.offset(x)
        offset = offset * (STATIC_SCOPE if self.scope is None else 0.5 * self.scope(x).sigmoid())
        n, _, h, w = x.shape
        s = self.scale_factor
        return F.pixel_shuffle(offset, s).reshape(n, 2, self.groups, s * h, s * w)

    def sampling_grid(self, x: Tensor) -> Tensor:
        """(N * groups, s*H, s*W, 2): where each output location samples, in ``grid_sample``'s [-1, 1] coordinates."""
        n, _, h, w = x.shape
        s = self.scale_factor
        offset = self.offsets(x)
        cols = (torch.arange(s * w, device=x.device, dtype=x.dtype) + 0.5) / s - 0.5    # bilinear resize's source
        rows = (torch.arange(s * h, device=x.device, dtype=x.dtype) + 0.5) / s - 0.5
        px = cols.view(1, 1, 1, s * w) + offset[:, 0]
        py = rows.view(1, 1, s * h, 1) + offset[:, 1]
        grid = torch.stack(((2 * px + 1) / w - 1, (2 * py + 1) / h - 1), dim=-1)       # align_corners=False
        return grid.view(n * self.groups, s * h, s * w, 2)

    def forward(self, x: Tensor) -> Tensor:
        n, c, h, w = x.shape
        s = self.scale_factor
        sampled = F.grid_sample(x.reshape(n * self.groups, c // self.groups, h, w), self.sampling_grid(x),
                                mode="bilinear", padding_mode="border", align_corners=False)
        y = sampled.reshape(n, c, s * h, s * w)
        return y if self.project is None else self.project(y)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, groups={self.groups}, dynamic_scope={self.scope is not None}"


@register_upsampler("dysample", operation="1×1 conv offsets ×0.25, PixelShuffle(r), bilinear grid_sample",
                    paper="Liu et al. 2023 (DySample, ICCV)", checkerboard_free_at_init=True,
                    tags=("content_aware", "checkerboard_free_any_weights"))
def dysample(in_channels: int, out_channels: int, scale_factor: int = 2, **overrides) -> DySampleUpsampler:
    """DySample "lp" with static scope 0.25; ``dynamic_scope=True`` and ``groups`` are overrides."""
    return DySampleUpsampler(in_channels, out_channels, scale_factor, **overrides)
