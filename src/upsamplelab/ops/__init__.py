"""Textbook views of transposed convolution and resampling as exact, readable NumPy references.

Each function computes the same thing as a fast PyTorch operator, the way a textbook explains it; the test suite
holds the PyTorch paths to them (as stylegan3's ``impl='ref'`` ops do).  Where PyTorch has no such operator, the
fast path lives beside its reference (``upfirdn2d``, ``carafe_reassembly``).

- ``conv_transpose_output_size``: O = (I-1)S - 2P + D(K-1) + output_padding + 1
- ``conv_transpose2d_scatter``: each input cell paints a scaled kernel
- ``conv2d_matrix`` / ``conv_transpose2d_matrix``: the convolution matrix and its transpose
- ``conv_transpose2d_zero_insertion``: zero insertion + stride-1 conv with the flipped kernel
- ``pixel_shuffle_reference`` / ``pixel_unshuffle_reference``: reshape + transpose
- ``bilinear_kernel``: FCN's bilinear initialisation; ``bilinear_resize_reference``: bilinear resizing by r
- ``bilinear_additive_reference``: bilinear resizing, then sums of channel groups (Wojna et al. 2019)
- ``overlap_map`` / ``is_checkerboard_free``: Odena et al.'s uneven-overlap analysis
- ``upfirdn2d`` / ``upfirdn2d_reference``: zero insertion, pad, FIR, downsample (Karras et al. 2020); ``box_fir``
- ``carafe_reassembly`` / ``carafe_reassembly_reference``: CARAFE's content-aware reassembly (Wang et al. 2019)
"""
from .bilinear import bilinear_kernel, bilinear_resize_reference
from .bilinear_additive import bilinear_additive_reference
from .carafe import carafe_reassembly, carafe_reassembly_reference
from .matrix import conv2d_matrix, conv_transpose2d_matrix
from .output_size import conv_transpose_output_size
from .overlap import is_checkerboard_free, overlap_map
from .pixel_shuffle import pixel_shuffle_reference, pixel_unshuffle_reference
from .scatter import conv_transpose2d_scatter
from .upfirdn2d import box_fir, upfirdn2d, upfirdn2d_reference
from .zero_insertion import conv_transpose2d_zero_insertion

__all__ = [
    "bilinear_additive_reference",
    "bilinear_kernel",
    "bilinear_resize_reference",
    "box_fir",
    "carafe_reassembly",
    "carafe_reassembly_reference",
    "conv2d_matrix",
    "conv_transpose2d_matrix",
    "conv_transpose2d_scatter",
    "conv_transpose2d_zero_insertion",
    "conv_transpose_output_size",
    "is_checkerboard_free",
    "overlap_map",
    "pixel_shuffle_reference",
    "pixel_unshuffle_reference",
    "upfirdn2d",
    "upfirdn2d_reference",
]
