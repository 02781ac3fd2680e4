"""The upsampler library: ``build_upsampler(name, in_channels, out_channels, scale_factor=2, **overrides)``.

``list_upsamplers()`` names every registered variant; ``upsampler_info(name)`` describes one.  Importing the
architecture files below registers their variants.
"""
from . import transposed_conv, resize_conv, pixel_shuffle  # noqa: F401,I001  (registration order = listing order)
from . import filtered, zero_order_hold, carafe, dysample  # noqa: F401,I001
from . import bilinear_additive, fixed_bilinear  # noqa: F401,I001
from .base import Upsampler, WeightInit
from .bilinear_additive import BilinearAdditiveResidualUpsampler, BilinearAdditiveUpsampler
from .carafe import CARAFEUpsampler
from .dysample import DySampleUpsampler
from .filtered import FilteredTransposedConvUpsampler
from .fixed_bilinear import FixedBilinearUpsampler
from .pixel_shuffle import BlurredPixelShuffleUpsampler, PixelShuffleUpsampler, icnr_
from .registry import UpsamplerInfo, build_upsampler, list_upsamplers, register_upsampler, upsampler_info
from .resize_conv import ResizeConvUpsampler
from .transposed_conv import TransposedConvUpsampler

__all__ = [
    "BilinearAdditiveResidualUpsampler",
    "BilinearAdditiveUpsampler",
    "BlurredPixelShuffleUpsampler",
    "CARAFEUpsampler",
    "DySampleUpsampler",
    "FilteredTransposedConvUpsampler",
    "FixedBilinearUpsampler",
    "PixelShuffleUpsampler",
    "ResizeConvUpsampler",
    "TransposedConvUpsampler",
    "Upsampler",
    "UpsamplerInfo",
    "WeightInit",
    "build_upsampler",
    "icnr_",
    "list_upsamplers",
    "register_upsampler",
    "upsampler_info",
]
