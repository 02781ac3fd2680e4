"""The common interface of every upsampler module."""
from __future__ import annotations

from typing import Callable, Optional

import torch
from torch import nn

WeightInit = Callable[[torch.Tensor], None]
"""An in-place initialiser for one weight tensor, e.g. ``lambda w: nn.init.normal_(w, 0.0, 0.02)`` (DCGAN)."""


class Upsampler(nn.Module):
    """Maps (N, in_channels, H, W) to (N, out_channels, r*H, r*W) with r = ``scale_factor``.

    Subclasses implement ``forward`` and ``reset_parameters(weight_init)``.  A model that imposes its own
    initialisation scheme (DCGAN's N(0, 0.02)) calls ``reset_parameters(weight_init)`` instead of overwriting the
    weights, so an upsampler whose initialisation IS its method (ICNR, bilinear) keeps its structure: ICNR draws
    its sub-kernel with ``weight_init`` and copies it, the bilinear transposed conv ignores ``weight_init``.

    ``family`` groups upsamplers that run the same kernels ("transposed_conv", "resize_conv", "pixel_shuffle"):
    performance choices such as the memory format are made per family.
    """

    family = ""

    def __init__(self, in_channels: int, out_channels: int, scale_factor: int) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels),
                            ("scale_factor", scale_factor)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.in_channels, self.out_channels, self.scale_factor = in_channels, out_channels, scale_factor

    def reset_parameters(self, weight_init: Optional[WeightInit] = None) -> None:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return f"{self.in_channels} -> {self.out_channels}, x{self.scale_factor}"


def init_conv_(conv: nn.Module, weight_init: Optional[WeightInit]) -> None:
    """PyTorch's default initialisation of ``conv`` when ``weight_init`` is None, else ``weight_init`` + zero bias."""
    if weight_init is None:
        conv.reset_parameters()
        return
    weight_init(conv.weight.data)
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)
