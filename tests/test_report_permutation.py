"""The report's permutation test of the difference of means against ``scipy.stats.permutation_test``: exact over
every split on the committed version-2 FIDs and on random samples with and without ties; Monte Carlo above
``EXACT_SPLITS`` within its sampling error of the exact p, reproducibly."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from committed_studies import study_values
from upsamplelab.report import permutation
from upsamplelab.report.permutation import permutation_p, split_count


def mean_difference(x, y, axis=-1):
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def scipy_p(x, y, n_resamples=np.inf) -> float:
    """SciPy's two-sided p (exact when ``n_resamples`` covers every split)."""
    return float(stats.permutation_test((np.asarray(x, float), np.asarray(y, float)), mean_difference,
                                        permutation_type="independent", vectorized=True, n_resamples=n_resamples,
                                        alternative="two-sided").pvalue)


def test_exact_on_the_committed_v2_fids():
    """Every upsampler's final-evaluation FIDs against convT_k3's (as many seeds as are committed): all splits.  On
    seeds 0-2, every nearest-resize run lies below every convT_k3 run: p is the two extremes of C(6, 3) = 20."""
    values = study_values("odena_fashion_mnist_v2", "fid_final_eval")
    for upsampler, x in values.items():
        if upsampler == "convT_k3":
            continue
        result = permutation_p(x, values["convT_k3"])
        assert (result.exact, result.splits) == (True, math.comb(len(x) + len(values["convT_k3"]), len(x)))
        assert result.p == pytest.approx(scipy_p(x, values["convT_k3"]), rel=1e-12)
    first = study_values("odena_fashion_mnist_v2", "fid_final_eval", seeds={0, 1, 2})
    assert max(first["resize_conv_nearest"]) < min(first["convT_k3"])
    assert permutation_p(first["resize_conv_nearest"], first["convT_k3"]).p == pytest.approx(0.1)   # 2/20


@pytest.mark.parametrize("n_a,n_b", [(2, 2), (2, 5), (3, 4), (5, 5), (4, 7), (8, 9)])
def test_exact_on_random_samples_and_ties(n_a, n_b):
    rng = np.random.default_rng(n_a * 10 + n_b)
    for x, y in ((rng.normal(0.5, 1, n_a), rng.normal(0, 2, n_b)),
                 (rng.integers(0, 3, n_a).astype(float), rng.integers(0, 3, n_b).astype(float))):   # many ties
        result = permutation_p(list(x), list(y))
        assert result.exact and result.splits == split_count(n_a, n_b) == math.comb(n_a + n_b, n_a)
        assert result.p == pytest.approx(scipy_p(x, y), rel=1e-12)


def test_smallest_p_and_what_is_left_out():
    assert permutation_p([10.0, 11.0, 12.0], [0.0, 1.0, 2.0]).p == pytest.approx(2 / 20)
    assert permutation_p([10.0, 11.0, 12.0, None, math.nan], [0.0, 1.0, 2.0]).p == pytest.approx(2 / 20)
    assert permutation_p([1.0], [2.0, 3.0]) is None
    assert permutation_p([2.0, 2.0], [2.0, 2.0]).p == 1.0


def test_monte_carlo_above_the_exact_limit(monkeypatch):
    """With the limit lowered below C(11, 5) = 462, the test draws ``MONTE_CARLO_SPLITS`` random splits with its
    fixed seed: p = (count + 1) / (R + 1) is within sampling error of the exact p, and the same on every call."""
    monkeypatch.setattr(permutation, "EXACT_SPLITS", 100)
    rng = np.random.default_rng(7)
    x, y = list(rng.normal(1.0, 1, 5)), list(rng.normal(0, 1, 6))
    result = permutation_p(x, y)
    assert (result.exact, result.splits) == (False, permutation.MONTE_CARLO_SPLITS)
    exact = scipy_p(x, y)
    standard_error = 2 * math.sqrt(exact / 2 * (1 - exact / 2) / permutation.MONTE_CARLO_SPLITS)
    assert abs(result.p - exact) < 5 * standard_error
    assert permutation_p(x, y) == result
    far = permutation_p([100.0, 101, 102, 103, 104], [0.0, 1, 2, 3, 4, 5])       # only the observed split as extreme
    assert abs(far.p - 2 / 462) < 5 * 2 * math.sqrt(1 / 462 / permutation.MONTE_CARLO_SPLITS) and far.p > 0


def test_the_default_limit_keeps_ten_seeds_a_side_exact_up_to_nine():
    assert split_count(9, 10) <= permutation.EXACT_SPLITS < split_count(10, 10)
