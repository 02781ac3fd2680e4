"""Argument checks shared by every configurable part: one wording for one kind of mistake."""
from __future__ import annotations

from typing import Any


def check_int(key: str, value: Any, minimum: int = 1, *, optional: bool = False, why: str = "") -> None:
    """ValueError naming the config ``key`` unless ``value`` is an int >= ``minimum`` (bools refused; None allowed
    when ``optional``); ``why`` is added in parentheses."""
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        reason = f" ({why})" if why else ""
        raise ValueError(f"{key} must be an int >= {minimum}{reason}, got {value!r}")


def _positive_ints(*channels: Any) -> bool:
    """Whether every count is an int >= 1 (bools are not): the channel rules check only those, and leave the others
    to ``Upsampler``'s own check."""
    return all(isinstance(c, int) and not isinstance(c, bool) and c >= 1 for c in channels)


def check_in_multiple_of_out(in_channels: int, out_channels: int, who: str) -> None:
    """ValueError unless ``in_channels`` is a multiple of ``out_channels``, as bilinear additive upsampling needs
    (it sums groups of in/out consecutive channels; Wojna et al. 2019); ``who`` names the upsampler.  Channels that
    are not positive ints are left to ``Upsampler``'s own check."""
    if _positive_ints(in_channels, out_channels) and in_channels % out_channels:
        raise ValueError(f"{who} needs in_channels to be a multiple of out_channels (it sums groups of "
                         f"in_channels / out_channels consecutive channels), got in_channels={in_channels}, "
                         f"out_channels={out_channels}")


def check_equal_channels(in_channels: int, out_channels: int, who: str) -> None:
    """ValueError unless ``in_channels == out_channels``, as an upsampler that maps channel i to channel i and has no
    weights to mix them needs (FCN's fixed bilinear head on the class scores; Long et al. 2015); ``who`` names the
    upsampler.  Channels that are not positive ints are left to ``Upsampler``'s own check."""
    if _positive_ints(in_channels, out_channels) and in_channels != out_channels:
        raise ValueError(f"{who} needs in_channels == out_channels (it maps channel i to channel i and has no "
                         f"weights to mix channels), got in_channels={in_channels}, out_channels={out_channels}")
