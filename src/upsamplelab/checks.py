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
