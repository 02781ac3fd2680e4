"""Equivalence within a margin: two one-sided tests (TOST; Schuirmann 1987) with Welch's statistic.

With d = mean(a) - mean(b), SE = sqrt(s_a^2 / n_a + s_b^2 / n_b) and nu the Welch–Satterthwaite degrees of freedom,
the null hypotheses d <= -m and d >= m are tested by p_low = P(T_nu >= (d + m) / SE) and
p_high = P(T_nu <= (d - m) / SE); the difference is equivalent to 0 within ±m at level alpha when both are rejected,
that is when p = max(p_low, p_high) <= alpha (equivalently, the 1 - 2 alpha confidence interval of d lies inside
(-m, m)).
"""
from __future__ import annotations

import math
from typing import Iterable, Optional

import numpy as np
from scipy import stats

from .power import welch_df
from .stats import finite, sample_sd


def tost_p(a: Iterable[Optional[float]], b: Iterable[Optional[float]], margin: float) -> Optional[float]:
    """The TOST p-value of |mean(a) - mean(b)| < ``margin`` over the finite values; None when a side has < 2 values,
    NaN when both have zero variance."""
    x, y = finite(a), finite(b)
    if len(x) < 2 or len(y) < 2:
        return None
    s_a, s_b = sample_sd(x), sample_sd(y)
    if s_a == s_b == 0:
        return math.nan
    d = float(np.mean(x)) - float(np.mean(y))
    se, df = math.sqrt(s_a ** 2 / len(x) + s_b ** 2 / len(y)), welch_df(s_a, len(x), s_b, len(y))
    return max(float(stats.t.sf((d + margin) / se, df)), float(stats.t.cdf((d - margin) / se, df)))
