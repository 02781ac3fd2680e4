"""How numbers and tables read in the report's Markdown: four significant digits, mean ± CI half-width, p-values,
pipe tables."""
from __future__ import annotations

import math
from typing import Optional

from .stats import MeanCI


def fmt(value: Optional[float]) -> str:
    """Four significant digits (whole numbers from 1000 on); "n/a" for None and NaN."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:.0f}"
    if value == 0 or abs(value) >= 1e-3:
        return f"{value:.4g}"
    return f"{value:.3e}"


def fmt_ci(m: Optional[MeanCI]) -> str:
    """"mean ± half-width"; "mean ± n/a" for a single run; "n/a" for none."""
    if m is None or m.n == 0:
        return "n/a"
    return f"{fmt(m.mean)} ± {fmt(m.half_width)}"


def fmt_p(p: Optional[float], note: str = "") -> str:
    if p is None:
        return note or "n/a"
    return "n/a (zero variance)" if math.isnan(p) else f"{p:.3g}"


def table(header: list[str], rows: list[list[str]], align: Optional[list[str]] = None) -> list[str]:
    align = align or ["---"] * len(header)
    return ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"] + ["| " + " | ".join(r) + " |"
                                                                            for r in rows]
