"""Transposed-convolution upsamplers ("deconvolution"; Dumoulin & Visin 2016; Odena et al. 2016).

The output is exactly r times the input iff K + output_padding - 2P = S (with S = r), from
O = (I - 1)S - 2P + K + output_padding.  K % S != 0 makes the kernel footprints overlap unevenly: the
checkerboard of Odena, Dumoulin & Olah (2016).
"""
from __future__ import annotations

import logging
from typing import Optional

from torch import Tensor, nn

from ..ops import bilinear_kernel, is_checkerboard_free
from ..ops.output_size import check_conv_transpose_args
from .base import Upsampler, WeightInit, init_conv_
from .registry import EVEN, register_upsampler

log = logging.getLogger(__name__)
_warned: set[tuple[int, int]] = set()


def warn_if_checkerboard_prone(kernel_size: int, stride: int) -> None:
    """Log one warning per (K, S) per process when K % S != 0 (uneven overlap)."""
    if is_checkerboard_free(kernel_size, stride) or (kernel_size, stride) in _warned:
        return
    _warned.add((kernel_size, stride))
    log.warning("transposed conv K=%d S=%d is checkerboard-prone: %d %% %d != 0 gives uneven kernel overlap "
                "(Odena et al. 2016)", kernel_size, stride, kernel_size, stride)


class TransposedConvUpsampler(Upsampler):
    """``ConvTranspose2d(kernel_size, stride=scale_factor, padding, output_padding)``.

    ``init="bilinear"`` sets the weight to FCN's bilinear kernel (Long et al. 2015) and the bias to zero; it stays
    learnable and ignores any ``weight_init`` a model passes to ``reset_parameters``.
    """

    family = "transposed_conv"

    def __init__(self, in_channels: int, out_channels: int, scale_factor: int = 2, kernel_size: int = 4,
                 padding: int = 1, output_padding: int = 0, bias: bool = True, init: str = "default") -> None:
        super().__init__(in_channels, out_channels, scale_factor)
        check_conv_transpose_args(kernel_size, scale_factor, padding, output_padding)
        if kernel_size + output_padding - 2 * padding != scale_factor:
            raise ValueError(
                f"kernel_size={kernel_size}, padding={padding}, output_padding={output_padding} do not upsample by "
                f"exactly scale_factor={scale_factor}: need kernel_size + output_padding - 2*padding == scale_factor"
            )
        if init not in ("default", "bilinear"):
            raise ValueError(f"init must be one of ['default', 'bilinear'], got {init!r}")
        self.init = init
        self.conv = nn.ConvTranspose2d(in_channels, out_channels, kernel_size, scale_factor, padding,
                                       output_padding, bias=bias)
        warn_if_checkerboard_prone(kernel_size, scale_factor)
        self.reset_parameters()

    def reset_parameters(self, weight_init: Optional[WeightInit] = None) -> None:
        if self.init == "bilinear":
            self.conv.weight.data.copy_(bilinear_kernel(self.in_channels, self.out_channels, self.conv.kernel_size))
            if self.conv.bias is not None:
                nn.init.zeros_(self.conv.bias)
        else:
            init_conv_(self.conv, weight_init)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(x)



@register_upsampler("convT_k3", operation="ConvTranspose2d(K3, S2, P1, output_padding 1)", scales=(2,),
                    paper="Dumoulin & Visin 2016; Odena et al. 2016 (the checkerboard case)",
                    checkerboard_free_at_init=False)
def convT_k3(in_channels: int, out_channels: int, scale_factor: int = 2, **overrides) -> TransposedConvUpsampler:
    """K3/S2: uneven overlap (3 % 2 != 0), the textbook checkerboard; the classic autoencoder decoder layer."""
    kwargs = dict(kernel_size=3, padding=1, output_padding=1) | overrides
    return TransposedConvUpsampler(in_channels, out_channels, scale_factor, **kwargs)


@register_upsampler("convT_k4", operation="ConvTranspose2d(K4, S2, P1)", scales=(2,),
                    paper="Radford et al. 2016 (DCGAN)", checkerboard_free_at_init=False)
def convT_k4(in_channels: int, out_channels: int, scale_factor: int = 2, **overrides) -> TransposedConvUpsampler:
    """K4/S2: even overlap, yet four independent sub-kernels, so random weights still give a stride-2 pattern."""
    kwargs = dict(kernel_size=4, padding=1) | overrides
    return TransposedConvUpsampler(in_channels, out_channels, scale_factor, **kwargs)


@register_upsampler("convT_k2", operation="ConvTranspose2d(K2, S2)", scales=(2,),
                    paper="Ronneberger et al. 2015 (U-Net)", checkerboard_free_at_init=False)
def convT_k2(in_channels: int, out_channels: int, scale_factor: int = 2, **overrides) -> TransposedConvUpsampler:
    """K2/S2: no overlap at all; each input cell paints its own 2x2 tile (a tiled, not a checkered, pattern)."""
    kwargs = dict(kernel_size=2, padding=0) | overrides
    return TransposedConvUpsampler(in_channels, out_channels, scale_factor, **kwargs)


@register_upsampler("bilinear_convT", operation="ConvTranspose2d(K=2r, S=r, P=r/2), bilinear init, learnable",
                    paper="Long, Shelhamer & Darrell 2015 (FCN)", checkerboard_free_at_init=True, scales=EVEN)
def bilinear_convT(in_channels: int, out_channels: int, scale_factor: int = 2,
                   **overrides) -> TransposedConvUpsampler:
    """FCN's learnable upsampling, initialised to bilinear interpolation; even r only (P = r/2)."""
    kwargs = dict(kernel_size=2 * scale_factor, padding=scale_factor // 2, init="bilinear") | overrides
    return TransposedConvUpsampler(in_channels, out_channels, scale_factor, **kwargs)
