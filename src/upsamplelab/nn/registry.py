"""The upsampler registry: ``build_upsampler(name, in_channels, out_channels, scale_factor, **overrides)``.

As in timm's ``@register_model``, each architecture file registers its named variants with
``@register_upsampler``; configs, models and tests go through the registry only, so a new entry is configured,
documented and tested without touching anything else.
"""
from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Callable, Optional

from ..checks import check_equal_channels, check_in_multiple_of_out
from .base import Upsampler

UpsamplerFactory = Callable[..., Upsampler]


class EvenScales:
    """The even scale factors 2, 4, 6, ... (``scales=EVEN`` for an operation defined only there, e.g. padding r/2)."""

    def __contains__(self, scale_factor: object) -> bool:
        return isinstance(scale_factor, int) and not isinstance(scale_factor, bool) and scale_factor >= 2 \
            and scale_factor % 2 == 0

    def __repr__(self) -> str:
        return "even factors (2, 4, 6, ...)"


EVEN = EvenScales()

# the channel pairs an upsampler can map (``channels=`` of ``register_upsampler``): each rule's check raises a
# ValueError naming the upsampler (``who``) and both counts for a pair it cannot map
CHANNEL_RULES: dict[str, Callable[[int, int, str], None]] = {
    "any": lambda in_channels, out_channels, who: None,
    "in_multiple_of_out": check_in_multiple_of_out,     # sums groups of in/out channels (bilinear additive)
    "equal": check_equal_channels,                      # channel i to channel i, nothing to mix (fixed bilinear)
}


@dataclass(frozen=True)
class UpsamplerInfo:
    """What the README table and the tests need to know about a registered upsampler.

    ``checkerboard_free_at_init``: with its initial weights and a constant input, the output is constant away from
    the border (no stride-periodic pattern).  ``scales``: the scale factors it supports (a tuple, ``EVEN``, or None:
    any).  ``family``:
    the ``Upsampler.family`` of the module class the factory returns (read off its return annotation).  ``tags``:
    groups across families: "fixed_filter" (a fixed low-pass after the learned operation), "content_aware" (kernels
    or sampling positions predicted from the input), "checkerboard_free_any_weights" (a constant input gives a
    constant output away from the border for any weights, not only the initial ones), "parameter_free" (no
    learnable parameters at all: a fixed function of the input).  ``channels``: the channel pairs it maps, a key of
    ``CHANNEL_RULES`` ("any"; "in_multiple_of_out": the module sums groups of in/out channels; "equal": it maps
    channel i to channel i with nothing to mix them); ``build_upsampler`` refuses other pairs.
    """

    name: str
    factory: UpsamplerFactory
    operation: str
    paper: str
    checkerboard_free_at_init: bool
    scales: tuple[int, ...] | EvenScales | None = None
    family: str = ""
    tags: tuple[str, ...] = ()
    channels: str = "any"

    def supports(self, scale_factor: int) -> bool:
        """Whether the upsampler is defined for ``scale_factor``."""
        return self.scales is None or scale_factor in self.scales

    def supports_channels(self, in_channels: int, out_channels: int) -> bool:
        """Whether the upsampler can map ``in_channels`` to ``out_channels``."""
        try:
            CHANNEL_RULES[self.channels](in_channels, out_channels, self.name)
        except ValueError:
            return False
        return True


_REGISTRY: dict[str, UpsamplerInfo] = {}


def register_upsampler(name: str, *, operation: str, paper: str, checkerboard_free_at_init: bool,
                       scales: tuple[int, ...] | EvenScales | None = None,
                       tags: tuple[str, ...] = (),
                       channels: str = "any") -> Callable[[UpsamplerFactory], UpsamplerFactory]:
    """Decorator: register ``factory(in_channels, out_channels, scale_factor, **overrides)`` under ``name``.

    The factory's return annotation must name the ``Upsampler`` subclass it builds: its ``family`` is recorded.
    """

    def decorate(factory: UpsamplerFactory) -> UpsamplerFactory:
        if name in _REGISTRY:
            raise ValueError(f"upsampler {name!r} is already registered")
        if channels not in CHANNEL_RULES:
            raise ValueError(f"channels of upsampler {name!r} must be one of {list(CHANNEL_RULES)}, got {channels!r}")
        module_class = typing.get_type_hints(factory).get("return")
        if not (isinstance(module_class, type) and issubclass(module_class, Upsampler) and module_class.family):
            raise ValueError(f"the factory of upsampler {name!r} must annotate its return type with the Upsampler "
                             f"subclass it builds (one that sets `family`), got {module_class!r}")
        _REGISTRY[name] = UpsamplerInfo(name, factory, operation, paper, checkerboard_free_at_init, scales,
                                        module_class.family, tuple(tags), channels)
        return factory

    return decorate


def list_upsamplers(checkerboard_free: Optional[bool] = None, family: Optional[str] = None,
                    tag: Optional[str] = None, scale_factor: Optional[int] = None,
                    channels: Optional[str] = None) -> list[str]:
    """The registered upsampler names, in registration order; each given filter must hold.

    ``checkerboard_free``: the ``checkerboard_free_at_init`` flag; ``family``: ``Upsampler.family``; ``tag``: one of
    the entry's tags; ``scale_factor``: a factor the upsampler supports; ``channels``: its channel rule (a key of
    ``CHANNEL_RULES``).  ``list_upsamplers(checkerboard_free=True)`` names the upsamplers whose initial output of a
    constant input is constant.
    """
    for key, value, known in (("family", family, {i.family for i in _REGISTRY.values()}),
                              ("tag", tag, {t for i in _REGISTRY.values() for t in i.tags}),
                              ("channels", channels, set(CHANNEL_RULES))):
        if value is not None and value not in known:
            raise ValueError(f"{key} must be one of {sorted(known)}, got {value!r}")
    return [name for name, info in _REGISTRY.items()
            if (checkerboard_free is None or info.checkerboard_free_at_init == checkerboard_free)
            and (family is None or info.family == family)
            and (tag is None or tag in info.tags)
            and (channels is None or info.channels == channels)
            and (scale_factor is None or info.supports(scale_factor))]


def upsampler_info(name: str) -> UpsamplerInfo:
    """The registry entry of ``name``; ValueError listing the valid names when unknown."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown upsampler {name!r}; valid names: {', '.join(list_upsamplers())}") from None


def build_upsampler(name: str, in_channels: int, out_channels: int, scale_factor: int = 2,
                    **overrides) -> Upsampler:
    """Build the upsampler ``name`` mapping (N, in, H, W) to (N, out, r*H, r*W), r = ``scale_factor``.

    ``overrides`` are passed to the module's constructor (e.g. ``kernel_size``, ``bias``).  A scale factor or a
    channel pair the upsampler is not defined for is refused (ValueError naming the upsampler), before any module
    is built.
    """
    info = upsampler_info(name)
    if not info.supports(scale_factor):
        others = ", ".join(list_upsamplers(scale_factor=scale_factor)) if isinstance(scale_factor, int) else ""
        allowed = list(info.scales) if isinstance(info.scales, tuple) else info.scales
        raise ValueError(f"upsampler {name!r} supports scale_factor in {allowed}, got {scale_factor!r}"
                         + (f"; upsamplers defined for x{scale_factor}: {others}" if others else ""))
    CHANNEL_RULES[info.channels](in_channels, out_channels, f"upsampler {name!r}")
    module = info.factory(in_channels, out_channels, scale_factor, **overrides)
    module.registry_name = name                  # named in the checkpoints it writes (lightning.checkpoint_fit)
    return module
