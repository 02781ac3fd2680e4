"""CARAFE: content-aware reassembly of features (Wang, Chen, Xu, Liu, Loy & Lin, ICCV 2019).

Kernel prediction: a 1x1 channel compressor C -> C_m, a k_encoder x k_encoder content encoder C_m -> s^2 k_up^2
logits, pixel shuffle to one k_up^2 vector per output location, softmax over it.  Reassembly
(``upsamplelab.ops.carafe_reassembly``): each output location is its kernel's weighted sum of the k_up x k_up
neighbourhood of its source location, for every channel.  Pure PyTorch (unfold + einsum); the authors' mmcv op is
CUDA only.  A 1x1 convolution maps C to the output channels when they differ.

The kernels are normalised (they sum to 1), so a constant input gives a constant output away from the border for
any weights.  The content encoder starts at N(0, 0.001) as in the authors' release, so the initial kernels are
nearly uniform (a k_up x k_up box over the nearest-upsampled input); a model's ``weight_init`` reaches the
compressor and the 1x1 projection only.
"""
from __future__ import annotations

from typing import Optional

import torch.nn.functional as F
from torch import Tensor, nn

from ..checks import check_int
from ..ops import carafe_reassembly
from .base import Upsampler, WeightInit, init_conv_
from .registry import register_upsampler

ENCODER_INIT_STD = 1e-3


def check_odd_kernel(key: str, value: int) -> None:
    """ValueError naming ``key`` unless ``value`` is a positive odd int (a kernel centred on its location)."""
    check_int(key, value)
    if value % 2 == 0:
        raise ValueError(f"{key} must be odd (a kernel centred on its location), got {value}")


class CARAFEUpsampler(Upsampler):
    """CARAFE with ``compressed_channels`` (C_m), ``k_encoder`` and ``k_up`` (paper defaults 64, 3, 5)."""

    family = "carafe"

    def __init__(self, in_channels: int, out_channels: int, scale_factor: int = 2, compressed_channels: int = 64,
                 k_encoder: int = 3, k_up: int = 5) -> None:
        super().__init__(in_channels, out_channels, scale_factor)
        check_int("compressed_channels", compressed_channels)
        check_odd_kernel("k_encoder", k_encoder)
        check_odd_kernel("k_up", k_up)
        self.k_up = k_up
        self.compressor = nn.Conv2d(in_channels, compressed_channels, 1)
        self.encoder = nn.Conv2d(compressed_channels, scale_factor ** 2 * k_up ** 2, k_encoder, padding=k_encoder // 2)
        self.project = nn.Conv2d(in_channels, out_channels, 1) if out_channels != in_channels else None
        self.reset_parameters()

    def reset_parameters(self, weight_init: Optional[WeightInit] = None) -> None:
        init_conv_(self.compressor, weight_init)
        nn.init.normal_(self.encoder.weight, 0.0, ENCODER_INIT_STD)
        nn.init.zeros_(self.encoder.bias)
        if self.project is not None:
            init_conv_(self.project, weight_init)

    def kernels(self, x: Tensor) -> Tensor:
        """The reassembly kernels (N, k_up^2, s*H, s*W), each summing to 1 over its k_up^2 taps."""
        logits = F.pixel_shuffle(self.encoder(self.compressor(x)), self.scale_factor)
        return logits.softmax(dim=1)

    def forward(self, x: Tensor) -> Tensor:
        y = carafe_reassembly(x, self.kernels(x), self.scale_factor)
        return y if self.project is None else self.project(y)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, k_up={self.k_up}"


@register_upsampler("carafe", operation="1×1 compress to 64, 3×3 encoder to r²·5² kernels, softmax, reassembly",
                    paper="Wang et al. 2019 (CARAFE, ICCV)", checkerboard_free_at_init=True,
                    tags=("content_aware", "checkerboard_free_any_weights"))
def carafe(in_channels: int, out_channels: int, scale_factor: int = 2, **overrides) -> CARAFEUpsampler:
    """Content-aware reassembly with the paper's defaults (C_m = 64, k_encoder = 3, k_up = 5)."""
    return CARAFEUpsampler(in_channels, out_channels, scale_factor, **overrides)
