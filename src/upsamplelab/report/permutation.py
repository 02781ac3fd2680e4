"""Two-sample permutation test of the difference of means (Fisher 1935; Pitman 1937): under the null hypothesis that
the seeds of both groups come from one distribution, every split of the pooled values into groups of the observed
sizes is equally likely.  Exact over all C(n_a + n_b, n_a) splits up to ``EXACT_SPLITS``; above, a Monte Carlo
estimate from ``MONTE_CARLO_SPLITS`` random splits drawn with seed ``MONTE_CARLO_SEED``, counting the observed split
once more (p = (count + 1) / (R + 1), Phipson & Smyth 2010), so it is never 0.

Two-sided p = min(1, 2 min(P(T <= t), P(T >= t))), T = mean(a) - mean(b) over the splits, t its observed value: the
definition of ``scipy.stats.permutation_test``.  Splits whose T differs from t by rounding only (within
``TIE_TOLERANCE`` times the largest |value|) count as ties.  The smallest attainable exact p is 2 / C(n_a + n_b, n_a):
0.1 at 3 seeds against 3.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Iterable, Optional

import numpy as np

from .stats import finite

EXACT_SPLITS = 100_000
MONTE_CARLO_SPLITS = 100_000
MONTE_CARLO_SEED = 0
TIE_TOLERANCE = 1e-12


@dataclass(frozen=True)
class PermutationResult:
    """``splits``: the number of splits ``p`` counts (all of them when ``exact``, else the random ones)."""

    p: float
    splits: int
    exact: bool


def split_count(n_a: int, n_b: int) -> int:
    return math.comb(n_a + n_b, n_a)


def _split_sums(pooled: np.ndarray, n_a: int) -> tuple[np.ndarray, bool]:
    """The sum of the first group's values over every split (exact) or over the random ones; the observed split
    (the first ``n_a`` values) first."""
    n = len(pooled)
    if split_count(n_a, n - n_a) <= EXACT_SPLITS:
        chosen = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(n), n_a)), dtype=np.intp)
        return pooled[chosen.reshape(-1, n_a)].sum(axis=1), True
    rng = np.random.default_rng(MONTE_CARLO_SEED)
    orders = rng.permuted(np.tile(np.arange(n), (MONTE_CARLO_SPLITS, 1)), axis=1)[:, :n_a]
    return np.concatenate([pooled[:n_a].sum(keepdims=True), pooled[orders].sum(axis=1)]), False


def permutation_p(a: Iterable[Optional[float]], b: Iterable[Optional[float]]) -> Optional[PermutationResult]:
    """Two-sided permutation p of mean(a) - mean(b) over the finite values; None when a side has < 2."""
    x, y = finite(a), finite(b)
    if len(x) < 2 or len(y) < 2:
        return None
    pooled = np.array(x + y)
    n_a, n_b = len(x), len(y)
    sums, exact = _split_sums(pooled, n_a)
    stat = sums / n_a - (pooled.sum() - sums) / n_b
    observed, tol = stat[0], TIE_TOLERANCE * float(np.abs(pooled).max())
    counted = stat if exact else stat[1:]
    extra = 0 if exact else 1                          # Monte Carlo: the observed split counts once more
    below = (np.count_nonzero(counted <= observed + tol) + extra) / (len(counted) + extra)
    above = (np.count_nonzero(counted >= observed - tol) + extra) / (len(counted) + extra)
    return PermutationResult(float(min(1.0, 2 * min(below, above))), len(counted), exact)
