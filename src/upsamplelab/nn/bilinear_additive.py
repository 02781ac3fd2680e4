"""Bilinear additive upsampling and its residual form (Wojna et al., IJCV 2019, "The Devil is in the Decoder:
Classification, Regression and GANs").

Bilinear additive upsampling resizes every channel bilinearly by r and sums each group of g = C_in / C_out
consecutive channels: a decoder's channel reduction without parameters.  C_in must be a multiple of C_out (g >= 1);
other pairs are refused, naming the upsampler and both counts, when the model is built (before any data is read).
Inside the models: every U-Net decoder stage (C -> C/2) and the FCN head (classes -> classes) fit; a DCGAN generator
(ngf * 2^k halving to ngf, then the image channels) fits when ngf is a multiple of the image channels, an autoencoder
when each decoder width is a multiple of the next (both always for one channel; for RGB ngf = 64 is refused).  The
residual form adds it, as a parameter-free skip branch, to the output of a learned upsampler: here DCGAN's transposed
conv K4/S2/P1.

The paper (and the NumPy reference, ``ops.bilinear_additive_reference``) resizes, then sums; the modules sum first,
then resize: the same linear map (bilinear resizing acts on each channel alone), on fewer channels.  Bilinear
resizing is ``F.interpolate(mode="bilinear", align_corners=False)``, so a constant input gives a constant output
everywhere.
"""
from __future__ import annotations

from typing import Optional

import torch.nn.functional as F
from torch import Tensor

from ..checks import check_in_multiple_of_out
from .base import Upsampler, WeightInit
from .registry import register_upsampler
from .transposed_conv import TransposedConvUpsampler


def bilinear_additive_upsampling(x: Tensor, out_channels: int, scale_factor: int) -> Tensor:
    """(N, C_in, H, W) -> (N, out_channels, r*H, r*W): the sum of each group of C_in / out_channels consecutive
    channels, bilinearly resized by r = ``scale_factor``."""
    summed = x.unflatten(1, (out_channels, x.shape[1] // out_channels)).sum(dim=2)
    return F.interpolate(summed, scale_factor=scale_factor, mode="bilinear", align_corners=False)


class BilinearAdditiveUpsampler(Upsampler):
    """Bilinear x r, then the sum of each group of in_channels / out_channels consecutive channels (in_channels must
    be a multiple of out_channels); no parameters."""

    family = "bilinear_additive"

    def __init__(self, in_channels: int, out_channels: int, scale_factor: int = 2) -> None:
        super().__init__(in_channels, out_channels, scale_factor)
        check_in_multiple_of_out(in_channels, out_channels, "bilinear additive upsampling")

    def reset_parameters(self, weight_init: Optional[WeightInit] = None) -> None:
        """Nothing to initialise."""

    def forward(self, x: Tensor) -> Tensor:
        return bilinear_additive_upsampling(x, self.out_channels, self.scale_factor)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, sums groups of {self.in_channels // self.out_channels}"


class BilinearAdditiveResidualUpsampler(TransposedConvUpsampler):
    """``ConvTranspose2d(x) + bilinear_additive_upsampling(x)``: the transposed conv learns a correction to the
    parameter-free upsampling (in_channels must be a multiple of out_channels).  A model's ``weight_init`` reaches
    the transposed conv."""

    family = "bilinear_additive_residual"

    def __init__(self, in_channels: int, out_channels: int, scale_factor: int = 2, **conv_kwargs) -> None:
        check_in_multiple_of_out(in_channels, out_channels, "the bilinear additive residual")
        super().__init__(in_channels, out_channels, scale_factor, **conv_kwargs)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(x) + bilinear_additive_upsampling(x, self.out_channels, self.scale_factor)


@register_upsampler("bilinear_additive", operation="bilinear ×r, then the sum of each group of C_in/C_out channels",
                    paper="Wojna et al. 2019 (The Devil is in the Decoder, IJCV)", checkerboard_free_at_init=True,
                    tags=("checkerboard_free_any_weights", "parameter_free"), channels="in_multiple_of_out")
def bilinear_additive(in_channels: int, out_channels: int, scale_factor: int = 2,
                      **overrides) -> BilinearAdditiveUpsampler:
    """Wojna et al.'s parameter-free decoder upsampling; in_channels must be a multiple of out_channels."""
    return BilinearAdditiveUpsampler(in_channels, out_channels, scale_factor, **overrides)


@register_upsampler("convT_k4_bau_residual", operation="ConvTranspose2d(K4, S2, P1) + bilinear additive upsampling",
                    paper="Wojna et al. 2019 (The Devil is in the Decoder, IJCV)", checkerboard_free_at_init=False,
                    scales=(2,), channels="in_multiple_of_out")
def convT_k4_bau_residual(in_channels: int, out_channels: int, scale_factor: int = 2,
                          **overrides) -> BilinearAdditiveResidualUpsampler:
    """The K4/S2 transposed conv with bilinear additive upsampling of its input added (Wojna et al.'s residual
    decoder connection); in_channels must be a multiple of out_channels."""
    kwargs = dict(kernel_size=4, padding=1) | overrides
    return BilinearAdditiveResidualUpsampler(in_channels, out_channels, scale_factor, **kwargs)
