"""Statistics over seeds: the mean with a Student-t 95 % confidence interval, Welch's t-test, Holm's adjustment of
a family of p-values, and Hedges' g effect size."""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
ALPHA = 0.05                  # the family-wise error rate the report's "holds after correction" uses


@dataclass(frozen=True)
class MeanCI:
    """``mean`` ± ``half_width`` over ``n`` finite values; ``half_width`` is NaN for n < 2 (no CI)."""

    mean: float
    half_width: float
    n: int


def finite(values: Iterable[Optional[float]]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def sample_sd(x: Sequence[float]) -> float:
    """The sample standard deviation (ddof 1) of ``x``."""
    return float(np.std(x, ddof=1))


def mean_ci(values: Iterable[Optional[float]], confidence: float = CONFIDENCE) -> MeanCI:
    """Mean and the half-width t_{(1+c)/2, n-1} * s / sqrt(n) (s: sample standard deviation) of the finite values."""
    x = finite(values)
    n = len(x)
    if n == 0:
        return MeanCI(math.nan, math.nan, 0)
    mean = float(np.mean(x))
    if n == 1:
        return MeanCI(mean, math.nan, 1)
    s = sample_sd(x)
    return MeanCI(mean, float(stats.t.ppf((1 + confidence) / 2, n - 1)) * s / math.sqrt(n), n)


def welch_p(a: Iterable[Optional[float]], b: Iterable[Optional[float]]) -> Optional[float]:
    """Two-sided p-value of Welch's t-test (unequal variances) on the finite values; None when a side has < 2.
    NaN when both sides have zero variance."""
    x, y = finite(a), finite(b)
    if len(x) < 2 or len(y) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(stats.ttest_ind(x, y, equal_var=False).pvalue)


def holm(p_values: Sequence[Optional[float]]) -> list[Optional[float]]:
    """Holm's (1979) step-down adjusted p-values of a family: with the m finite p-values sorted ascending,
    p~_(i) = max_{j<=i} min(1, (m - j + 1) p_(j)); H_(i) is rejected at family-wise level alpha iff p~_(i) <= alpha.
    None and NaN (no test) stay as they are and do not count in m."""
    tested = sorted((i for i, p in enumerate(p_values) if p is not None and math.isfinite(p)),
                    key=lambda i: p_values[i])
    adjusted, running = list(p_values), 0.0
    for j, i in enumerate(tested, 1):
        running = max(running, min(1.0, (len(tested) - j + 1) * p_values[i]))
        adjusted[i] = running
    return adjusted


def hedges_g(a: Iterable[Optional[float]], b: Iterable[Optional[float]]) -> Optional[float]:
    """Hedges' g of ``a`` minus ``b`` over their finite values: Cohen's d = (mean_a - mean_b) / s_p with the pooled
    SD s_p = sqrt(((n_a - 1) s_a^2 + (n_b - 1) s_b^2) / (n_a + n_b - 2)), times the small-sample correction
    J = 1 - 3 / (4 (n_a + n_b) - 9) (Hedges 1981, J(m) ~ 1 - 3 / (4m - 1) with m = n_a + n_b - 2).
    None when a side has < 2 values; NaN when s_p = 0."""
    x, y = finite(a), finite(b)
    if len(x) < 2 or len(y) < 2:
        return None
    n_x, n_y = len(x), len(y)
    pooled = math.sqrt(((n_x - 1) * np.var(x, ddof=1) + (n_y - 1) * np.var(y, ddof=1)) / (n_x + n_y - 2))
    if pooled == 0:
        return math.nan
    return (1 - 3 / (4 * (n_x + n_y) - 9)) * (float(np.mean(x)) - float(np.mean(y))) / pooled
