"""Checkerboard-free transposed convolution by a zero-order hold (Sugawara, Shiota & Kiya 2019, "Checkerboard
artifacts free convolutional neural networks", APSIPA Trans. Signal Inf. Process. 8; Kinoshita & Kiya 2020).

A stride-S transposed conv followed by the fixed S x S box h_0 (the zero-order hold): the composite kernel is
w * h_0, and the box's S phases each sum to the same value, so a constant input gives a constant output away from
the border for ANY kernel w.  ``order`` n repeats the hold (h_0 convolved n times; n = 2 is the linear-interpolation
triangle); every order keeps the property.  The hold is normalised to preserve the mean, so zero insertion + hold
is exactly nearest-neighbour upsampling: at order 1 the layer computes nearest resize followed by a 3 x 3
convolution with padding 1 (``resize_conv_nearest``, kernel flipped), at the cost of a transposed conv at the low
resolution plus a fixed box filter instead of a convolution at the high one.
"""
from __future__ import annotations

from ..checks import check_int
from ..ops import box_fir
from .filtered import FilteredTransposedConvUpsampler
from .registry import register_upsampler


@register_upsampler("convT_k3_zoh", operation="ConvTranspose2d(K3, S=r) + r×r zero-order hold (order n)",
                    paper="Sugawara et al. 2019; Kinoshita & Kiya 2020", checkerboard_free_at_init=True,
                    tags=("fixed_filter", "checkerboard_free_any_weights"))
def convT_k3_zoh(in_channels: int, out_channels: int, scale_factor: int = 2, order: int = 1,
                 **overrides) -> FilteredTransposedConvUpsampler:
    """The K3 transposed conv made checkerboard-free by ``order`` zero-order holds of size ``scale_factor``."""
    check_int("order", order, why="the number of zero-order holds")
    return FilteredTransposedConvUpsampler(in_channels, out_channels, scale_factor,
                                           **(dict(fir=box_fir(scale_factor, order)) | overrides))
