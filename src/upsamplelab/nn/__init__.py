"""The upsampler library: ``build_upsampler(name, in_channels, out_channels, scale_factor=2, **overrides)``.

``list_upsamplers()`` names every registered variant; ``upsampler_info(name)`` describes one.  Importing the
architecture files below registers their variants.
"""
from . import transposed_conv, resize_conv, pixel_shuffle  # noqa: F401,I001  (registration order = listing order)
from . import filtered, zero_order_hold, carafe, dysample  # noqa: F401,I001
from .base import Upsampler, WeightInit
from .carafe import CARAFEUpsampler
from .dysample import DySampleUpsampler
from .filtered import FilteredTransposedConvUpsampler
from .pixel_shuffle import BlurredPixelShuffleUpsampler, PixelShuffleUpsampler, icnr_
from .registry import UpsamplerInfo, build_upsampler, list_upsamplers, register_upsampler, upsampler_info
from .resize_conv import ResizeConvUpsampler
from .transposed_conv import TransposedConvUpsampler

__all__ = [
    "BlurredPixelShuffleUpsampler",
    "CARAFEUpsampler",
    "DySampleUpsampler",
    "FilteredTransposedConvUpsampler",
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
