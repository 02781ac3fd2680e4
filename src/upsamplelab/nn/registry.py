"""The upsampler registry: ``build_upsampler(name, in_channels, out_channels, scale_factor, **overrides)``.

As in timm's ``@register_model``, each architecture file registers its named variants with
``@register_upsampler``; configs, models and tests go through the registry only, so a new entry is configured,
documented and tested without touching anything else.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .base import Upsampler

UpsamplerFactory = Callable[..., Upsampler]


@dataclass(frozen=True)
class UpsamplerInfo:
    """What the README table and the tests need to know about a registered upsampler.

    ``checkerboard_free_at_init``: with its initial weights and a constant input, the output is constant away from
    the border (no stride-periodic pattern).  ``scales``: the scale factors it supports (None: any).
    """

    name: str
    factory: UpsamplerFactory
    operation: str
    paper: str
    checkerboard_free_at_init: bool
    scales: tuple[int, ...] | None = None


_REGISTRY: dict[str, UpsamplerInfo] = {}


def register_upsampler(name: str, *, operation: str, paper: str, checkerboard_free_at_init: bool,
                       scales: tuple[int, ...] | None = None) -> Callable[[UpsamplerFactory], UpsamplerFactory]:
    """Decorator: register ``factory(in_channels, out_channels, scale_factor, **overrides)`` under ``name``."""

    def decorate(factory: UpsamplerFactory) -> UpsamplerFactory:
        if name in _REGISTRY:
            raise ValueError(f"upsampler {name!r} is already registered")
        _REGISTRY[name] = UpsamplerInfo(name, factory, operation, paper, checkerboard_free_at_init, scales)
        return factory

    return decorate


def list_upsamplers() -> list[str]:
    """The registered upsampler names, in registration order."""
    return list(_REGISTRY)


def upsampler_info(name: str) -> UpsamplerInfo:
    """The registry entry of ``name``; ValueError listing the valid names when unknown."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown upsampler {name!r}; valid names: {', '.join(list_upsamplers())}") from None


def build_upsampler(name: str, in_channels: int, out_channels: int, scale_factor: int = 2,
                    **overrides) -> Upsampler:
    """Build the upsampler ``name`` mapping (N, in, H, W) to (N, out, r*H, r*W), r = ``scale_factor``.

    ``overrides`` are passed to the module's constructor (e.g. ``kernel_size``, ``bias``).
    """
    info = upsampler_info(name)
    if info.scales is not None and scale_factor not in info.scales:
        raise ValueError(f"upsampler {name!r} supports scale_factor in {list(info.scales)}, got {scale_factor}; "
                         f"use 'bilinear_convT', 'resize_conv_*' or 'pixel_shuffle*' for other factors")
    return info.factory(in_channels, out_channels, scale_factor, **overrides)
