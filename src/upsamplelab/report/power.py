"""The power of Welch's two-sided t-test and of the equivalence test (``equivalence``), the minimum detectable
difference and the seeds per arm a difference would need, with the observed standard deviations taken as the true
ones (plug-in), for normally distributed runs.

Welch's test rejects when |D| > t_{1 - alpha/2, nu^} SE^, with D = mean(a) - mean(b) ~ N(delta, sigma^2),
sigma^2 = s_a^2 / n_a + s_b^2 / n_b, SE^ and nu^ (Welch–Satterthwaite) computed from the sample variances
S_a^2 ~ s_a^2 chi^2_{n_a - 1} / (n_a - 1) and S_b^2 (likewise), which are independent of D.  Given them the power is
Phi((delta - c) / sigma) + Phi((-delta - c) / sigma), c = t_{1 - alpha/2, nu^} SE^; the power is its expectation over
the two sample variances, taken here by Gauss–Laguerre quadrature (``QUADRATURE_NODES`` nodes per variance) for up to
``QUADRATURE_MAX_RUNS`` runs per arm.  Above, the usual noncentral t approximation (e.g. Cohen 1988, ch. 2):
P(|T'| > t_c) with T' noncentral t, nu the Welch–Satterthwaite degrees of freedom of the true SDs, noncentrality
delta / sigma (``scipy.stats.nct``), which agrees with the quadrature within 1e-5 there but overstates the power at
3 runs per arm by up to 0.1.

The equivalence test within ±m rejects both one-sided nulls when -m + c' < D < m - c', c' = t_{1 - alpha, nu^} SE^:
given the sample variances its power is max(0, Phi((m - c' - delta) / sigma) - Phi((-m + c' - delta) / sigma)),
taken the same way (above ``QUADRATURE_MAX_RUNS``: P(T'_1 > t_c) + P(T'_2 < -t_c) - 1 with noncentralities
(delta + m) / sigma and (delta - m) / sigma, exact when SE is known).

The minimum detectable difference (MDD) at power ``POWER`` is the delta whose power is ``POWER``; the seeds needed
for a difference are the smallest n per arm (both arms n, the same SDs) whose power reaches ``POWER``.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable, Optional

import numpy as np
from scipy import optimize, special, stats

POWER = 0.8
MAX_SEEDS = 100_000               # above this, "seeds needed" reads inf
QUADRATURE_NODES = 64
QUADRATURE_MAX_RUNS = 100


def welch_df(s_a: float, n_a: int, s_b: float, n_b: int) -> float:
    """nu = (v_a + v_b)^2 / (v_a^2 / (n_a - 1) + v_b^2 / (n_b - 1)), v = s^2 / n (Welch 1947, Satterthwaite 1946)."""
    v_a, v_b = s_a ** 2 / n_a, s_b ** 2 / n_b
    return (v_a + v_b) ** 2 / (v_a ** 2 / (n_a - 1) + v_b ** 2 / (n_b - 1))


@lru_cache(maxsize=None)
def _variance_nodes(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes q and weights w with sum(w f(q)) ~ E f(chi^2_{n-1} / (n - 1)): generalised Gauss–Laguerre in
    u = chi^2 / 2, whose density is proportional to u^((n-1)/2 - 1) e^-u."""
    u, w = special.roots_genlaguerre(QUADRATURE_NODES, (n - 1) / 2 - 1)
    return 2 * u / (n - 1), w / w.sum()


@lru_cache(maxsize=1024)
def _critical_values(s_a: float, n_a: int, s_b: float, n_b: int, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The test's critical difference c = t_{level, nu^} SE^ at each quadrature node of the two sample variances of
    normal samples with SDs ``s_a`` and ``s_b``, and the nodes' weights (the same for every delta: cached)."""
    (q_a, w_a), (q_b, w_b) = _variance_nodes(n_a), _variance_nodes(n_b)
    v_a, v_b = s_a ** 2 * q_a[:, None] / n_a, s_b ** 2 * q_b[None, :] / n_b
    df = (v_a + v_b) ** 2 / (v_a ** 2 / (n_a - 1) + v_b ** 2 / (n_b - 1))
    return (stats.t.ppf(level, df) * np.sqrt(v_a + v_b)).ravel(), (w_a[:, None] * w_b[None, :]).ravel()


def _quadrature(n_a: int, n_b: int) -> bool:
    return max(n_a, n_b) <= QUADRATURE_MAX_RUNS


def welch_power(delta: float, s_a: float, n_a: int, s_b: float, n_b: int, alpha: float) -> float:
    """The power of Welch's two-sided test at level ``alpha`` to detect a true difference ``delta``."""
    sigma = math.sqrt(s_a ** 2 / n_a + s_b ** 2 / n_b)
    if not _quadrature(n_a, n_b):
        df = welch_df(s_a, n_a, s_b, n_b)
        t_c, lam = stats.t.ppf(1 - alpha / 2, df), abs(delta) / sigma
        return float(stats.nct.sf(t_c, df, lam) + stats.nct.sf(t_c, df, -lam))
    c, w = _critical_values(s_a, n_a, s_b, n_b, 1 - alpha / 2)
    return float(w @ (special.ndtr((delta - c) / sigma) + special.ndtr((-delta - c) / sigma)))


def tost_power(delta: float, margin: float, s_a: float, n_a: int, s_b: float, n_b: int, alpha: float) -> float:
    """The power of the equivalence test within ±``margin`` at level ``alpha`` when the true difference is
    ``delta``."""
    sigma = math.sqrt(s_a ** 2 / n_a + s_b ** 2 / n_b)
    if not _quadrature(n_a, n_b):
        df = welch_df(s_a, n_a, s_b, n_b)
        t_c = stats.t.ppf(1 - alpha, df)
        return max(0.0, float(stats.nct.sf(t_c, df, (delta + margin) / sigma)
                              + stats.nct.sf(t_c, df, (margin - delta) / sigma) - 1))
    c, w = _critical_values(s_a, n_a, s_b, n_b, 1 - alpha)
    return float(w @ np.maximum(0.0, special.ndtr((margin - c - delta) / sigma)
                                - special.ndtr((-margin + c - delta) / sigma)))


def min_detectable_difference(s_a: float, n_a: int, s_b: float, n_b: int, alpha: float,
                              power: float = POWER) -> Optional[float]:
    """The difference Welch's test at level ``alpha`` detects with probability ``power``; None when both SDs are 0
    or a side has < 2 values."""
    if n_a < 2 or n_b < 2 or s_a == s_b == 0:
        return None
    sigma = math.sqrt(s_a ** 2 / n_a + s_b ** 2 / n_b)
    upper = sigma
    while welch_power(upper, s_a, n_a, s_b, n_b, alpha) < power:
        upper *= 2
    # to machine precision, so that the value does not depend on the path the solver takes (which rounding steers)
    return float(optimize.brentq(lambda d: welch_power(d, s_a, n_a, s_b, n_b, alpha) - power, 0.0, upper,
                                 xtol=1e-300, rtol=4 * np.finfo(float).eps))


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
    a true difference ``delta`` equivalent with probability ``power``; inf when |``delta``| >= ``margin`` or it
    would take more than ``MAX_SEEDS``; None when both SDs are 0."""
    if s_a == s_b == 0 or not math.isfinite(delta):
        return None
    if abs(delta) >= margin:
        return math.inf
    return _seeds(lambda n: tost_power(delta, margin, s_a, n, s_b, n, alpha), power)
