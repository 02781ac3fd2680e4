"""Every group against its baseline on one quantity: Welch's p, Holm's adjusted p over the family of those
comparisons (one family per task and quantity), Hedges' g of the group minus the baseline."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Optional, Sequence

from .stats import ALPHA, hedges_g, holm, welch_p


@dataclass(frozen=True)
class Comparison:
    """``note``: "baseline", "no baseline", or "n/a (< 2 runs)" where there is no p-value."""

    p: Optional[float] = None
    p_holm: Optional[float] = None
    g: Optional[float] = None
    note: str = ""

    @property
    def tested(self) -> bool:
        return self.p is not None and math.isfinite(self.p)

    @property
    def holds(self) -> bool:
        """The difference holds after Holm's correction: family-wise error rate ``ALPHA``."""
        return self.tested and self.p_holm <= ALPHA


def against_baseline(values: Sequence[list[float]], baseline: Sequence[Optional[int]]) -> list[Comparison]:
    """``values[i]`` (one value per run) against ``values[baseline[i]]``: its baseline group (itself for the baseline,
    None when the sweep has none for it)."""
    out = []
    for i, ref in enumerate(baseline):
        if ref is None or ref == i:
            out.append(Comparison(note="no baseline" if ref is None else "baseline"))
            continue
        p = welch_p(values[i], values[ref])
        out.append(Comparison(p=p, g=hedges_g(values[i], values[ref]), note="" if p is not None else "n/a (< 2 runs)"))
    return [replace(c, p_holm=q) for c, q in zip(out, holm([c.p for c in out]))]
