"""FCN's fixed bilinear upsampling (Long, Shelhamer & Darrell 2015: the final upsampling layer is fixed to bilinear
interpolation, the intermediate ones are initialised to it and learned).

The transposed conv of ``bilinear_convT`` (K = 2r, stride r, padding r/2, ``bilinear_kernel`` on the channel
diagonal, no bias) with its kernel in a buffer: no parameters, no gradient, and a model's initialisation never
touches it.  It is ``bilinear_convT`` at initialisation, frozen.  It maps channel i to channel i and has no weights
to mix channels, so it takes in_channels == out_channels only (FCN's class scores) and refuses other pairs (a U-Net
stage C -> C/2 would drop half of its channels).
"""
from __future__ import annotations

from typing import Optional

import torch.nn.functional as F
from torch import Tensor

from ..checks import check_equal_channels
from ..ops import bilinear_kernel
from .base import Upsampler, WeightInit
from .registry import EVEN, register_upsampler


class FixedBilinearUpsampler(Upsampler):
    """``conv_transpose2d(x, bilinear_kernel(in, out, 2r), stride r, padding r/2)``, the kernel a fixed buffer."""

    family = "fixed_bilinear"

    def __init__(self, in_channels: int, out_channels: int, scale_factor: int = 2) -> None:
        super().__init__(in_channels, out_channels, scale_factor)
        check_equal_channels(in_channels, out_channels, "the fixed bilinear upsampling")
        if scale_factor % 2:
            raise ValueError(f"scale_factor must be even (padding r/2), got {scale_factor}")
        self.register_buffer("kernel", bilinear_kernel(in_channels, out_channels, 2 * scale_factor), persistent=False)

    def reset_parameters(self, weight_init: Optional[WeightInit] = None) -> None:
        """Nothing to initialise: the bilinear kernel is fixed."""

    def forward(self, x: Tensor) -> Tensor:
        return F.conv_transpose2d(x, self.kernel, stride=self.scale_factor, padding=self.scale_factor // 2)


@register_upsampler("bilinear_fixed", operation="ConvTranspose2d(K=2r, S=r, P=r/2), bilinear kernel, fixed",
                    paper="Long, Shelhamer & Darrell 2015 (FCN)", checkerboard_free_at_init=True, scales=EVEN,
                    tags=("checkerboard_free_any_weights", "parameter_free"), channels="equal")
def bilinear_fixed(in_channels: int, out_channels: int, scale_factor: int = 2, **overrides) -> FixedBilinearUpsampler:
    """FCN's fixed final upsampling: bilinear interpolation, not learned; even r only (P = r/2); in == out."""
    return FixedBilinearUpsampler(in_channels, out_channels, scale_factor, **overrides)
