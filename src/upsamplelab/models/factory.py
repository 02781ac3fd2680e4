"""How a model receives its upsampler: a factory ``(in_channels, out_channels, scale_factor) -> nn.Module``.

Hydra passes the partial of ``configs/upsampler/<name>.yaml``; Python users may pass a registered name instead.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, Union

from torch import nn

from ..nn import build_upsampler, upsampler_info

UpsamplerFactory = Callable[..., nn.Module]


MODEL_ARGUMENTS = frozenset({"in_channels", "out_channels", "scale_factor"})


def as_upsampler_factory(upsampler: Union[str, UpsamplerFactory]) -> UpsamplerFactory:
    """A registered name becomes ``partial(build_upsampler, name)``; a callable is returned as it is."""
    if isinstance(upsampler, str):
        upsampler_info(upsampler)                  # unknown name -> ValueError listing the valid ones
        return partial(build_upsampler, upsampler)
    if not callable(upsampler):
        raise ValueError(f"upsampler must be a registered name or a factory, got {upsampler!r}")
    fixed = sorted(MODEL_ARGUMENTS & set(getattr(upsampler, "keywords", None) or {}))
    if fixed:
        raise ValueError(f"upsampler.{fixed[0]}={upsampler.keywords[fixed[0]]} is set by the model for each of its "
                         f"upsampling layers ({', '.join(sorted(MODEL_ARGUMENTS))}); remove the override")
    return upsampler


def check_power_of_two_multiple(size: int, base: int, name: str) -> int:
    """Return k with size == base * 2**k (k >= 1); ValueError naming ``name`` otherwise."""
    k, s = 0, size
    while s > base and s % 2 == 0:
        s, k = s // 2, k + 1
    if s != base or k < 1:
        raise ValueError(f"{name} must be {base} * 2**k for some k >= 1 (e.g. {base * 4}, {base * 8}, {base * 16}), "
                         f"got {size}")
    return k
