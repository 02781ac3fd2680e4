"""Argument handling shared by the reference operators: int-or-pair parameters and their checks."""
from __future__ import annotations

from typing import Sequence, Union

IntOrPair = Union[int, Sequence[int]]


def pair(value: IntOrPair, name: str) -> tuple[int, int]:
    """Return ``(h, w)`` for an int or a pair; raise ``ValueError`` naming ``name`` otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    if isinstance(value, int):
        return value, value
    try:
        h, w = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}") from None
    return h, w


def check_at_least(value: tuple[int, int], minimum: int, name: str) -> None:
    """Raise ``ValueError`` naming ``name`` when either component is below ``minimum``."""
    if min(value) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value if value[0] != value[1] else value[0]}")
