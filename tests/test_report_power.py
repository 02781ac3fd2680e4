"""The report's power figures against references: the minimum detectable difference (MDD) against the rejection
rate of Welch's test (``scipy.stats.ttest_ind(equal_var=False)``) on simulated normal runs, at the spreads and run
counts of the committed version-2 FIDs and elsewhere; the power against the textbook noncentral-t formula
(``scipy.stats.nct``) where that formula is accurate (many runs); the seeds needed against the normal-approximation
formula n = (z_{1-alpha/2} + z_{power})^2 (s_a^2 + s_b^2) / delta^2 and for minimality; the equivalence test's power
against simulated TOST rejections."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from committed_studies import study_values
from upsamplelab.report.power import (MAX_SEEDS, POWER, QUADRATURE_MAX_RUNS, min_detectable_difference,
                                      seeds_for_equivalence, seeds_needed, tost_power, welch_df, welch_power)

SIMULATIONS = 200_000        # standard error of a rejection rate near 0.8: 0.0009


def simulated_welch_power(delta, s_a, n_a, s_b, n_b, alpha, seed=0) -> float:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(delta, s_a, (SIMULATIONS, n_a)), rng.normal(0.0, s_b, (SIMULATIONS, n_b))
    return float(np.mean(stats.ttest_ind(a, b, axis=1, equal_var=False).pvalue <= alpha))


def simulated_tost_power(delta, margin, s_a, n_a, s_b, n_b, alpha, seed=0) -> float:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(delta, s_a, (SIMULATIONS, n_a)), rng.normal(0.0, s_b, (SIMULATIONS, n_b))
    low = stats.ttest_ind(a + margin, b, axis=1, equal_var=False, alternative="greater").pvalue
    high = stats.ttest_ind(a - margin, b, axis=1, equal_var=False, alternative="less").pvalue
    return float(np.mean(np.maximum(low, high) <= alpha))


def nct_power(delta, s_a, n_a, s_b, n_b, alpha) -> float:
    """The textbook approximation: P(|T'| > t_{1-alpha/2, nu}), T' noncentral t with the Welch–Satterthwaite nu."""
    v_a, v_b = s_a ** 2 / n_a, s_b ** 2 / n_b
    nu = (v_a + v_b) ** 2 / (v_a ** 2 / (n_a - 1) + v_b ** 2 / (n_b - 1))
    t_c, lam = stats.t.ppf(1 - alpha / 2, nu), delta / math.sqrt(v_a + v_b)
    return float(1 - stats.nct.cdf(t_c, nu, lam) + stats.nct.cdf(-t_c, nu, lam))


def v2_spreads() -> tuple[float, float]:
    """The SDs of the committed version-2 final-evaluation FIDs of resize_conv_nearest and convT_k3 (3 seeds)."""
    values = study_values("odena_fashion_mnist_v2", "fid_final_eval")
    return float(np.std(values["resize_conv_nearest"], ddof=1)), float(np.std(values["convT_k3"], ddof=1))


@pytest.mark.parametrize("case", ["v2 nearest vs convT_k3, alpha/7", "equal SDs, 3 a side", "2 a side",
                                  "unequal n, alpha 0.01", "6 a side, alpha/7"])
def test_the_mdd_is_detected_with_80_percent_power(case):
    s_nearest, s_k3 = v2_spreads()
    s_a, n_a, s_b, n_b, alpha = {
        "v2 nearest vs convT_k3, alpha/7": (s_nearest, 3, s_k3, 3, 0.05 / 7),
        "equal SDs, 3 a side": (1.0, 3, 1.0, 3, 0.05),
        "2 a side": (1.0, 2, 3.0, 2, 0.05),
        "unequal n, alpha 0.01": (2.0, 4, 0.5, 8, 0.01),
        "6 a side, alpha/7": (s_nearest, 6, s_k3, 6, 0.05 / 7)}[case]
    mdd = min_detectable_difference(s_a, n_a, s_b, n_b, alpha)
    assert welch_power(mdd, s_a, n_a, s_b, n_b, alpha) == pytest.approx(POWER, abs=1e-9)
    assert simulated_welch_power(mdd, s_a, n_a, s_b, n_b, alpha) == pytest.approx(POWER, abs=0.005)


def test_power_agrees_with_the_noncentral_t_formula_where_it_is_accurate():
    """Within 2e-4 at 30 and 100 runs a side (and the two branches agree at the switch); at 3 runs the formula
    overstates the power, which is why the quadrature is used there."""
    for n_a, n_b in ((30, 40), (QUADRATURE_MAX_RUNS, QUADRATURE_MAX_RUNS)):
        for delta in (0.3, 0.6, 1.0):
            assert welch_power(delta, 1.0, n_a, 2.0, n_b, 0.05) == pytest.approx(
                nct_power(delta, 1.0, n_a, 2.0, n_b, 0.05), abs=2e-4)
    edge = QUADRATURE_MAX_RUNS
    assert welch_power(0.5, 1.0, edge + 1, 2.0, edge + 1, 0.05) == pytest.approx(
        nct_power(0.5, 1.0, edge + 1, 2.0, edge + 1, 0.05), rel=1e-9)
    mdd = min_detectable_difference(1.0, 3, 1.0, 3, 0.05)
    assert nct_power(mdd, 1.0, 3, 1.0, 3, 0.05) > POWER + 0.05
    assert welch_power(0.0, 1.0, 5, 2.0, 7, 0.05) == pytest.approx(0.05, abs=0.01)   # under the null: about alpha


def test_seeds_needed_is_the_smallest_n_with_the_power_and_matches_the_normal_formula():
    s_nearest, s_k3 = v2_spreads()
    for delta, s_a, s_b, alpha in ((12.33, s_nearest, s_k3, 0.05 / 7), (6.07, 1.08, s_k3, 0.05 / 7),
                                   (0.5, 1.0, 1.0, 0.05), (0.1, 1.0, 2.0, 0.05)):
        n = int(seeds_needed(delta, s_a, s_b, alpha))
        assert welch_power(delta, s_a, n, s_b, n, alpha) >= POWER
        if n > 2:
            assert welch_power(delta, s_a, n - 1, s_b, n - 1, alpha) < POWER
        assert seeds_needed(-delta, s_a, s_b, alpha) == n                                # two-sided
    for delta, s_a, s_b in ((0.5, 1.0, 1.0), (0.1, 1.0, 2.0)):                           # many runs: z formula
        z = (stats.norm.ppf(1 - 0.05 / 2) + stats.norm.ppf(POWER)) ** 2 * (s_a ** 2 + s_b ** 2) / delta ** 2
        assert math.ceil(z) <= seeds_needed(delta, s_a, s_b, 0.05) <= math.ceil(z) + 2
    assert seeds_needed(0.0, 1.0, 1.0, 0.05) == math.inf
    assert seeds_needed(1e-9, 1.0, 1.0, 0.05) == math.inf                                # beyond MAX_SEEDS
    assert seeds_needed(1.0, 0.0, 0.0, 0.05) is None
    assert seeds_needed(100.0, 1.0, 1.0, 0.05) == 2
    assert MAX_SEEDS >= 10_000


def test_the_equivalence_test_reaches_its_power_at_the_seeds_it_is_said_to_need():
    for delta, margin, s_a, s_b, alpha in ((0.0, 0.05, 0.01, 0.02, 0.05 / 7), (3e-4, 0.01, 0.003, 0.0016, 0.05 / 7),
                                           (0.02, 0.05, 0.02, 0.01, 0.05)):
        n = int(seeds_for_equivalence(delta, margin, s_a, s_b, alpha))
        assert tost_power(delta, margin, s_a, n, s_b, n, alpha) >= POWER
        assert tost_power(delta, margin, s_a, n - 1, s_b, n - 1, alpha) < POWER
        for runs in (n - 1, n):
            assert simulated_tost_power(delta, margin, s_a, runs, s_b, runs, alpha) == pytest.approx(
                tost_power(delta, margin, s_a, runs, s_b, runs, alpha), abs=0.006)
    assert seeds_for_equivalence(0.06, 0.05, 0.01, 0.01, 0.05) == math.inf              # outside the margin
    assert seeds_for_equivalence(0.01, 0.05, 0.0, 0.0, 0.05) is None


def test_welch_df_is_satterthwaites():
    a, b = [1.0, 2.5, 4.0], [2.0, 2.2, 2.9, 3.1]
    s_a, s_b = float(np.std(a, ddof=1)), float(np.std(b, ddof=1))
    t = stats.ttest_ind(a, b, equal_var=False)
    assert welch_df(s_a, 3, s_b, 4) == pytest.approx(t.df, rel=1e-12)
