"""Every group against its baseline on one quantity, one family of comparisons per task and quantity: Welch's p and
the permutation test's p, each with Holm's adjustment over the family; Hedges' g and the difference of means (the
group minus the baseline); the minimum detectable difference and the seeds per arm the observed difference would
need, both at 80 % power of Welch's test at alpha / m (m: the comparisons in the family; Holm's first and strictest
step, so that a difference found holds after the correction whatever the others give); the equivalence test (TOST)
against the metric's margin, Holm-adjusted over the family; and the verdict they give (``Comparison.verdict``)."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Iterator, Mapping, Optional, Sequence

import numpy as np

from ..metrics.registry import METRICS
from .equivalence import tost_p
from .permutation import permutation_p
from .power import min_detectable_difference, seeds_for_equivalence, seeds_needed
from .stats import ALPHA, MeanCI, finite, hedges_g, holm, mean_ci, sample_sd, welch_p

VERDICTS = ("different", "different, within the margin", "equivalent", "undecided")


@dataclass(frozen=True)
class Comparison:
    """``note``: "baseline", "no baseline", or "n/a (< 2 runs)" where there is no p-value.  ``n``, ``n_ref``: the
    finite values of the group and of its baseline; ``perm_splits``: the splits the permutation p counts (all when
    ``perm_exact``); ``alpha_power``: the level of the power figures; ``seeds_needed``: per arm, for Welch's test to
    find the observed difference, inf when it is 0 or needs more than ``power.MAX_SEEDS``; ``seeds_equivalence``:
    per arm, for the equivalence test to show it within the margin, inf when it is not inside; ``margin``: the
    equivalence margin (None: not tested)."""

    p: Optional[float] = None
    p_holm: Optional[float] = None
    g: Optional[float] = None
    note: str = ""
    n: int = 0
    n_ref: int = 0
    difference: Optional[float] = None
    p_perm: Optional[float] = None
    perm_splits: Optional[int] = None
    perm_exact: Optional[bool] = None
    p_perm_holm: Optional[float] = None
    alpha_power: Optional[float] = None
    mdd: Optional[float] = None
    seeds_needed: Optional[float] = None
    seeds_equivalence: Optional[float] = None
    margin: Optional[float] = None
    p_tost: Optional[float] = None
    p_tost_holm: Optional[float] = None

    @property
    def tested(self) -> bool:
        return self.p is not None and math.isfinite(self.p)

    @property
    def holds(self) -> bool:
        """The difference holds after Holm's correction: family-wise error rate ``ALPHA``."""
        return self.tested and self.p_holm <= ALPHA

    @property
    def equivalent(self) -> bool:
        """Equivalent within ±``margin`` after Holm's correction of the TOST p-values."""
        return self.p_tost_holm is not None and math.isfinite(self.p_tost_holm) and self.p_tost_holm <= ALPHA

    @property
    def verdict(self) -> Optional[str]:
        """"different" when Welch's p (Holm) <= ``ALPHA``; "equivalent" (within ±margin) when the TOST p (Holm) <=
        ``ALPHA``; both: "different, within the margin" (a real difference smaller than the margin); neither:
        "undecided" (``seeds_needed`` says how many seeds the observed difference would need).  None untested."""
        if not self.tested:
            return None
        if self.holds:
            return VERDICTS[1] if self.equivalent else VERDICTS[0]
        return VERDICTS[2] if self.equivalent else VERDICTS[3]


def margin_of(metric: str, margins: Mapping[str, float]) -> Optional[float]:
    """``margins[metric]`` (the report's options), else the registry's margin of ``metric``, else None."""
    if metric in margins:
        return margins[metric]
    spec = METRICS.get(metric)
    return spec.margin if spec is not None else None


def against_baseline(values: Sequence[list[float]], baseline: Sequence[Optional[int]],
                     margin: Optional[float] = None) -> list[Comparison]:
    """``values[i]`` (one value per run) against ``values[baseline[i]]``: its baseline group (itself for the baseline,
    None when the sweep has none for it); ``margin``: the equivalence margin, None for no equivalence test."""
    out, pairs = [], []
    for i, ref in enumerate(baseline):
        if ref is None or ref == i:
            out.append(Comparison(note="no baseline" if ref is None else "baseline"))
            pairs.append(None)
            continue
        x, y = finite(values[i]), finite(values[ref])
        p = welch_p(x, y)
        perm = permutation_p(x, y)
        out.append(Comparison(
            p=p, g=hedges_g(x, y), note="" if p is not None else "n/a (< 2 runs)", n=len(x), n_ref=len(y),
            difference=float(np.mean(x)) - float(np.mean(y)) if x and y else None,
            p_perm=perm.p if perm else None, perm_splits=perm.splits if perm else None,
            perm_exact=perm.exact if perm else None, margin=margin if p is not None else None,
            p_tost=tost_p(x, y, margin) if margin is not None else None))
        pairs.append((x, y))
    alpha = ALPHA / max(1, sum(c.tested for c in out))
    holm_p, holm_perm, holm_tost = (holm([getattr(c, name) for c in out]) for name in ("p", "p_perm", "p_tost"))
    result = []
    for c, pair, q, q_perm, q_tost in zip(out, pairs, holm_p, holm_perm, holm_tost):
        c = replace(c, p_holm=q, p_perm_holm=q_perm, p_tost_holm=q_tost)
        if c.tested:
            (x, y) = pair
            s_x, s_y = sample_sd(x), sample_sd(y)
            c = replace(c, alpha_power=alpha, mdd=min_detectable_difference(s_x, len(x), s_y, len(y), alpha),
                        seeds_needed=seeds_needed(c.difference, s_x, s_y, alpha),
                        seeds_equivalence=None if c.margin is None else
                        seeds_for_equivalence(c.difference, c.margin, s_x, s_y, alpha))
        result.append(c)
    return result


@dataclass(frozen=True)
class Member:
    """One group of a family: its values' mean ± CI and its comparison with the baseline."""

    upsampler: str
    variant: str
    summary: MeanCI
    comparison: Comparison

    @property
    def label(self) -> str:
        return f"{self.upsampler} ({self.variant})" if self.variant else self.upsampler


@dataclass(frozen=True)
class Family:
    """The comparisons of one task's groups with the baseline on one quantity (``kind``: "final", the last
    validation, or "final_eval", the final evaluation; ``metric``): one family for Holm's adjustment."""

    task: str
    kind: str
    metric: str
    baseline: Optional[str]            # None when the sweep has no run of it
    members: tuple[Member, ...]


def compare_family(task: str, kind: str, metric: str, keys: Sequence[tuple[str, str]],
                   values: Sequence[list[float]], baseline: str, margins: Mapping[str, float]) -> Family:
    """The groups ``keys`` ((upsampler, variant), their runs' ``values``) of ``task`` against ``baseline``'s group
    of the same variant, on (``kind``, ``metric``), with the equivalence margin ``margin_of(metric, margins)``."""
    references = [next((i for i, (upsampler, v) in enumerate(keys) if upsampler == baseline and v == variant), None)
                  for _, variant in keys]
    compared = against_baseline(values, references, margin_of(metric, margins))
    members = tuple(Member(upsampler, variant, mean_ci(v), c) for (upsampler, variant), v, c in
                    zip(keys, values, compared))
    return Family(task, kind, metric, baseline if any(u == baseline for u, _ in keys) else None, members)


def compared_members(families: Sequence[Family]) -> Iterator[tuple[Family, Member]]:
    """Every group of every family except the baselines themselves: the rows of the comparison tables."""
    for family in families:
        for member in family.members:
            if member.comparison.note != "baseline":
                yield family, member
