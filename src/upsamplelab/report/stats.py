"""Statistics over seeds: the mean with a Student-t 95 % confidence interval, and Welch's t-test."""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Iterable, Optional

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


@dataclass(frozen=True)
class MeanCI:
    """``mean`` ± ``half_width`` over ``n`` finite values; ``half_width`` is NaN for n < 2 (no CI)."""

    mean: float
    half_width: float
    n: int


def finite(values: Iterable[Optional[float]]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def mean_ci(values: Iterable[Optional[float]], confidence: float = CONFIDENCE) -> MeanCI:
    """Mean and the half-width t_{(1+c)/2, n-1} * s / sqrt(n) (s: sample standard deviation) of the finite values."""
    x = finite(values)
    n = len(x)
    if n == 0:
        return MeanCI(math.nan, math.nan, 0)
    mean = float(np.mean(x))
    if n == 1:
        return MeanCI(mean, math.nan, 1)
    s = float(np.std(x, ddof=1))
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
