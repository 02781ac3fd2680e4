"""One family of comparisons with the baseline: each p-value against SciPy, Holm's adjustment of each kind of
p-value over the same family, the power figures at alpha / m, the equivalence margin from the registry or the
report's options, and the verdict rule on groups built to be different, equivalent, different within the margin,
undecided and untestable."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from upsamplelab.metrics.registry import ARTIFACT_METRICS, METRICS
from upsamplelab.report.compare import VERDICTS, against_baseline, margin_of
from upsamplelab.report.power import POWER, welch_power
from upsamplelab.report.stats import ALPHA, holm

GROUPS = {  # the baseline is tight; "same" equals it, "close" sits 0.5 above it as tightly, "wide" scatters
    "baseline": [10.0, 10.01, 9.99],
    "far": [20.0, 20.01, 19.99],
    "same": [10.0, 10.01, 9.99],
    "close": [10.5, 10.51, 10.49],
    "wide": [5.0, 15.0, 12.0],
    "single": [12.0],
}
MARGIN = 1.0


def compared(margin=MARGIN):
    names = list(GROUPS)
    return dict(zip(names, against_baseline([GROUPS[n] for n in names], [0] * len(names), margin)))


def test_each_p_value_against_scipy_and_holm_over_the_same_family():
    result = compared()
    tested = [n for n in GROUPS if result[n].tested]
    assert tested == ["far", "same", "close", "wide"]
    base = GROUPS["baseline"]
    for name in tested:
        x, c = np.array(GROUPS[name]), result[name]
        assert c.p == pytest.approx(stats.ttest_ind(x, base, equal_var=False).pvalue, rel=1e-12)
        assert c.p_perm == pytest.approx(stats.permutation_test(
            (x, np.array(base)), lambda a, b, axis: a.mean(axis) - b.mean(axis), permutation_type="independent",
            vectorized=True, n_resamples=np.inf).pvalue, rel=1e-12)
        low = stats.ttest_ind(x + MARGIN, base, equal_var=False, alternative="greater").pvalue
        high = stats.ttest_ind(x - MARGIN, base, equal_var=False, alternative="less").pvalue
        assert c.p_tost == pytest.approx(max(low, high), rel=1e-10)
        assert (c.n, c.n_ref, c.perm_splits, c.perm_exact) == (3, 3, 20, True)
        assert c.difference == pytest.approx(x.mean() - np.mean(base), abs=1e-12)
    for raw, adjusted in (("p", "p_holm"), ("p_perm", "p_perm_holm"), ("p_tost", "p_tost_holm")):
        family = [getattr(result[n], raw) for n in GROUPS]
        assert [getattr(result[n], adjusted) for n in GROUPS] == holm(family)


def test_power_figures_are_at_alpha_over_the_family_size():
    result = compared()
    for name in ("far", "close", "wide"):
        c, x, base = result[name], GROUPS[name], GROUPS["baseline"]
        assert c.alpha_power == ALPHA / 4
        s_a, s_b = float(np.std(x, ddof=1)), float(np.std(base, ddof=1))
        assert welch_power(c.mdd, s_a, 3, s_b, 3, ALPHA / 4) == pytest.approx(POWER, abs=1e-9)
        n = c.seeds_needed
        assert welch_power(c.difference, s_a, int(n), s_b, int(n), ALPHA / 4) >= POWER
    assert result["same"].seeds_needed == math.inf                                # no difference to find
    assert result["close"].seeds_equivalence < 10 and result["far"].seeds_equivalence == math.inf


def test_verdicts():
    result = compared()
    assert result["far"].verdict == VERDICTS[0] == "different"
    assert result["close"].verdict == VERDICTS[1] == "different, within the margin"
    assert result["same"].verdict == VERDICTS[2] == "equivalent"
    assert result["wide"].verdict == VERDICTS[3] == "undecided"
    assert result["baseline"].verdict is None and result["baseline"].note == "baseline"
    assert result["single"].verdict is None and result["single"].note == "n/a (< 2 runs)"
    assert result["single"].margin is None and result["single"].p_tost is None
    without = compared(margin=None)                                            # no margin: no equivalence test
    assert [without[n].verdict for n in ("far", "same", "close", "wide")] == [
        "different", "undecided", "different", "undecided"]
    assert without["same"].p_tost is None and without["same"].seeds_equivalence is None


def test_margins_come_from_the_registry_unless_the_options_set_one():
    assert margin_of("stride_band_excess", {}) == 0.05 and margin_of("stride_peak_excess", {}) == 0.01
    assert margin_of("fid", {}) is None and margin_of("fid", {"fid": 2.0}) == 2.0
    assert margin_of("stride_peak_excess", {"stride_peak_excess": 0.02}) == 0.02
    assert margin_of("not_a_metric", {}) is None
    assert {m for m, spec in METRICS.items() if spec.margin is not None} <= set(ARTIFACT_METRICS)
