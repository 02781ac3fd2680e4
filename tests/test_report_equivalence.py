"""The equivalence test (two one-sided Welch tests) against SciPy: ``scipy.stats.ttest_ind(equal_var=False)`` on the
values shifted by the margin, one-sided, on the committed version-2 artifact metrics and on random samples; and the
duality that defines it: p <= alpha exactly when the 1 - 2 alpha Welch confidence interval lies inside the margin."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from committed_studies import study_values
from upsamplelab.metrics.registry import METRICS
from upsamplelab.report.equivalence import tost_p


def scipy_tost(x, y, margin) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    low = stats.ttest_ind(x + margin, y, equal_var=False, alternative="greater").pvalue      # H0: d <= -margin
    high = stats.ttest_ind(x - margin, y, equal_var=False, alternative="less").pvalue       # H0: d >= margin
    return float(max(low, high))


@pytest.mark.parametrize("metric", ["stride_band_excess", "stride_peak_excess"])
def test_tost_on_the_committed_v2_artifact_metrics(metric):
    values = study_values("odena_fashion_mnist_v2", f"{metric}_final_eval")
    margin = METRICS[metric].margin
    for upsampler, x in values.items():
        if upsampler != "convT_k3":
            assert tost_p(x, values["convT_k3"], margin) == pytest.approx(
                scipy_tost(x, values["convT_k3"], margin), rel=1e-10)


def test_tost_is_the_confidence_interval_inside_the_margin():
    rng = np.random.default_rng(3)
    alpha = 0.05
    for _ in range(200):
        n_a, n_b = rng.integers(2, 8, size=2)
        x, y = rng.normal(rng.normal(0, 0.5), rng.uniform(0.1, 1), n_a), rng.normal(0, rng.uniform(0.1, 1), n_b)
        margin = float(rng.uniform(0.1, 2))
        p = tost_p(list(x), list(y), margin)
        assert p == pytest.approx(scipy_tost(x, y, margin), rel=1e-10)
        low, high = stats.ttest_ind(x, y, equal_var=False).confidence_interval(1 - 2 * alpha)
        if abs(p - alpha) > 1e-9:
            assert (p <= alpha) == (-margin < low and high < margin)


def test_tost_edge_cases():
    assert tost_p([1.0], [1.0, 2.0], 1.0) is None
    assert math.isnan(tost_p([2.0, 2.0], [2.0, 2.0], 1.0))
    assert tost_p([0.0, 0.01, -0.01, None], [0.0, 0.01, -0.01], 1.0) == tost_p([0.0, 0.01, -0.01], [0.0, 0.01, -0.01],
                                                                             1.0) < 1e-3
