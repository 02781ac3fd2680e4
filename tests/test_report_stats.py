"""The report's statistics against hand-computed values: Holm's adjusted p-values (Holm 1979), Hedges' g (Hedges
1981), Welch's p against SciPy."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

from upsamplelab.report.stats import ALPHA, hedges_g, holm, welch_p


def test_holm_worked_example():
    # sorted: 0.005 (x4 = 0.02), 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04 -> running max 0.06)
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.3, 0.4, 0.6]) == pytest.approx([0.9, 0.9, 0.9])           # 0.9, max(0.9, 0.8), max(0.9, 0.6)
    assert holm([0.5, 0.6]) == [1.0, 1.0]                                    # min(1, 2 x 0.5), then the running max


def test_holm_leaves_untested_comparisons_out_of_the_family():
    adjusted = holm([0.02, None, math.nan, 0.5])                             # m = 2
    assert adjusted[0] == pytest.approx(0.04) and adjusted[3] == pytest.approx(0.5)
    assert adjusted[1] is None and math.isnan(adjusted[2])
    assert holm([]) == [] and holm([None]) == [None]
    assert holm([0.03]) == [0.03]                                            # a family of one: unchanged


def test_holm_rejects_what_the_step_down_procedure_rejects():
    """Adjusted p <= alpha  <=>  Holm's sequential rule: reject H_(1), H_(2), ... while p_(j) <= alpha / (m - j + 1)."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        p = list(rng.uniform(0, 0.1, size=rng.integers(1, 8)))
        m, rejected = len(p), set()
        for j, i in enumerate(np.argsort(p), 1):
            if p[i] > ALPHA / (m - j + 1):
                break
            rejected.add(int(i))
        adjusted = holm(p)
        assert {i for i, q in enumerate(adjusted) if q <= ALPHA} == rejected
        assert all(raw <= q <= min(1, m * raw) + 1e-15 for raw, q in zip(p, adjusted))   # between raw and Bonferroni


def test_hedges_g_worked_example():
    # a: mean 2.5, s^2 5/3; b: mean 5, s^2 4; s_p^2 = (3 x 5/3 + 2 x 4) / 5 = 2.6; d = -2.5 / sqrt(2.6) = -1.55043;
    # J = 1 - 3 / (4 x 7 - 9) = 16/19
    assert hedges_g([1, 2, 3, 4], [3, 5, 7]) == pytest.approx(-1.305629, abs=1e-6)
    assert hedges_g([3, 5, 7], [1, 2, 3, 4]) == pytest.approx(1.305629, abs=1e-6)
    assert hedges_g([1, 2, math.nan, None, 3, 4], [3, 5, 7]) == hedges_g([1, 2, 3, 4], [3, 5, 7])


def test_hedges_small_sample_factor_is_close_to_the_exact_one():
    """J = 1 - 3 / (4(n1 + n2) - 9) against Hedges' exact Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)), m = n1 + n2 - 2."""
    for n in (2, 3, 5, 10):
        a, b = np.arange(n, dtype=float), np.arange(n, dtype=float) + 1.0
        d = -1 / np.std(a, ddof=1)                                          # equal spreads: s_p = s_a
        m = 2 * n - 2
        exact = special.gamma(m / 2) / (math.sqrt(m / 2) * special.gamma((m - 1) / 2))
        assert hedges_g(a, b) / d == pytest.approx(exact, rel=0.03 if n == 2 else 3e-3)


def test_hedges_g_and_welch_edge_cases():
    assert hedges_g([1.0], [2.0, 3.0]) is None and welch_p([1.0], [2.0, 3.0]) is None
    assert math.isnan(hedges_g([2.0, 2.0], [5.0, 5.0]))                      # no spread: undefined
    a, b = [12.5, 14.0, 11.0], [20.0, 26.5]
    assert welch_p(a, b) == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
