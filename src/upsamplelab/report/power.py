"""The power of Welch's two-sided t-test, the minimum detectable difference and the seeds per arm a difference would
need, with the observed standard deviations taken as the true ones (plug-in).

Under a true difference delta, Welch's statistic is approximately noncentral t with the Welch–Satterthwaite degrees
of freedom nu = (v_a + v_b)^2 / (v_a^2 / (n_a - 1) + v_b^2 / (n_b - 1)), v = s^2 / n, and noncentrality
lambda = delta / sqrt(v_a + v_b); its power at level alpha is
P(|T'| > t_{1 - alpha/2, nu}) = S(t_c; nu, lambda) + S(t_c; nu, -lambda) (e.g. Cohen 1988, ch. 2; S the
noncentral t survival function, ``scipy.stats.nct``; the second term is F(-t_c; nu, lambda) by symmetry, which
SciPy returns as NaN for a large lambda where this form gives its value, 0 or nearly).  The minimum detectable difference (MDD) at power ``POWER`` is the delta whose
power is ``POWER``; the seeds needed for a difference d are the smallest n per arm (both arms n, the same SDs) whose
power reaches ``POWER``.

The equivalence test (``equivalence.tost_p``) rejects both one-sided nulls when T_1 = (d + m) / SE > t_{1 - alpha, nu}
and T_2 = (d - m) / SE < -t_{1 - alpha, nu}; with T_1 and T_2 noncentral t with noncentralities (delta + m) / SE and
(delta - m) / SE, its power is at least P(T_1 > t_c) + P(T_2 < -t_c) - 1 (Bonferroni's inequality; exact when SE is
known, Schuirmann 1987), the bound used here, so the seeds it gives for equivalence are enough.
"""
from __future__ import annotations

import math
from typing import Callable, Optional

from scipy import optimize, stats

POWER = 0.8
MAX_SEEDS = 100_000          # above this, "seeds needed" reads inf


def welch_df(s_a: float, n_a: int, s_b: float, n_b: int) -> float:
    v_a, v_b = s_a ** 2 / n_a, s_b ** 2 / n_b
    return (v_a + v_b) ** 2 / (v_a ** 2 / (n_a - 1) + v_b ** 2 / (n_b - 1))


def power_at(noncentrality: float, df: float, alpha: float) -> float:
    """Power of the two-sided t-test at level ``alpha`` with ``df`` degrees of freedom and the given noncentrality."""
    t_c = stats.t.ppf(1 - alpha / 2, df)
    return float(stats.nct.sf(t_c, df, noncentrality) + stats.nct.sf(t_c, df, -noncentrality))


def welch_power(delta: float, s_a: float, n_a: int, s_b: float, n_b: int, alpha: float) -> float:
    """The power of Welch's test at level ``alpha`` to detect a true difference ``delta``."""
    se = math.sqrt(s_a ** 2 / n_a + s_b ** 2 / n_b)
    return power_at(abs(delta) / se, welch_df(s_a, n_a, s_b, n_b), alpha)


def min_detectable_difference(s_a: float, n_a: int, s_b: float, n_b: int, alpha: float,
                              power: float = POWER) -> Optional[float]:
    """The difference Welch's test at level ``alpha`` detects with probability ``power``; None when both SDs are 0
    or a side has < 2 values."""
    if n_a < 2 or n_b < 2 or s_a == s_b == 0:
        return None
    df = welch_df(s_a, n_a, s_b, n_b)
    upper = 1.0
    while power_at(upper, df, alpha) < power:
        upper *= 2
    noncentrality = optimize.brentq(lambda lam: power_at(lam, df, alpha) - power, 0.0, upper, xtol=1e-12, rtol=1e-12)
    return noncentrality * math.sqrt(s_a ** 2 / n_a + s_b ** 2 / n_b)


def tost_power(delta: float, margin: float, s_a: float, n_a: int, s_b: float, n_b: int, alpha: float) -> float:
    """The lower bound above of the power of the equivalence test within ±``margin`` at level ``alpha`` when the
    true difference is ``delta``."""
    se, df = math.sqrt(s_a ** 2 / n_a + s_b ** 2 / n_b), welch_df(s_a, n_a, s_b, n_b)
    t_c = stats.t.ppf(1 - alpha, df)
    return max(0.0, float(stats.nct.sf(t_c, df, (delta + margin) / se) + stats.nct.sf(t_c, df, (margin - delta) / se)
                          - 1))


def _seeds(power_of: Callable[[int], float], power: float) -> float:
    """The smallest n >= 2 with ``power_of(n) >= power`` (``power_of`` grows with n); inf beyond ``MAX_SEEDS``."""
    if power_of(MAX_SEEDS) < power:
        return math.inf
    low, high = 1, 2                       # power_of(low) < power <= power_of(high)
    while power_of(high) < power:
        low, high = high, min(2 * high, MAX_SEEDS)
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if power_of(mid) >= power else (mid, high)
    return float(high)


def seeds_needed(delta: float, s_a: float, s_b: float, alpha: float, power: float = POWER) -> Optional[float]:
    """The smallest n >= 2 seeds per arm at which Welch's test at level ``alpha`` detects ``delta`` with probability
    ``power``, given SDs ``s_a`` and ``s_b``; inf when ``delta`` is 0 or it would take more than ``MAX_SEEDS``;
    None when both SDs are 0."""
    if s_a == s_b == 0 or not math.isfinite(delta):
        return None
    if delta == 0:
        return math.inf
    return _seeds(lambda n: welch_power(delta, s_a, n, s_b, n, alpha), power)


def seeds_for_equivalence(delta: float, margin: float, s_a: float, s_b: float, alpha: float,
                          power: float = POWER) -> Optional[float]:
    """The smallest n >= 2 seeds per arm at which the equivalence test within ±``margin`` at level ``alpha`` shows
    a true difference ``delta`` equivalent with probability ``power`` (by the lower bound above); inf when
    |``delta``| >= ``margin`` or it would take more than ``MAX_SEEDS``; None when both SDs are 0."""
    if s_a == s_b == 0 or not math.isfinite(delta):
        return None
    if abs(delta) >= margin:
        return math.inf
    return _seeds(lambda n: tost_power(delta, margin, s_a, n, s_b, n, alpha), power)
