"""Every committed ``comparisons.csv`` row against references computed here from the same study's ``results.csv``:
Welch's p (``scipy.stats.ttest_ind(equal_var=False)``), the permutation p (``scipy.stats.permutation_test``, every
split), the equivalence p (two one-sided ``ttest_ind`` on the values shifted by the margin), Holm's adjustment of
each over its family, the level alpha / m of the power figures, the MDD's power (80 %) and the minimality of the seeds
needed (``report.power``, itself held to simulated Welch tests in test_report_power.py), and the verdict rule."""
from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest
from scipy import stats

from committed_studies import RESULTS, read_rows
from upsamplelab.report.power import POWER, welch_power
from upsamplelab.report.stats import ALPHA, holm

STUDIES = sorted(p.parent for p in RESULTS.glob("*/comparisons.csv"))


def optional(cell: str):
    return float(cell) if cell else None


def run_values(study) -> dict[tuple[str, str, str], dict[str, list[float]]]:
    """(task, upsampler, variant) -> column -> the counted runs' finite values."""
    values: dict = defaultdict(lambda: defaultdict(list))
    for row in read_rows(study / "results.csv"):
        if row["counted"] == "True":
            for column, cell in row.items():
                if cell and column.endswith(("_final", "_final_eval")):
                    try:
                        value = float(cell)
                    except ValueError:
                        continue
                    if math.isfinite(value):
                        values[(row["task"], row["upsampler"], row["variant"])][column].append(value)
    return values


@pytest.mark.parametrize("study", STUDIES, ids=lambda p: p.name)
def test_committed_comparisons_hold_to_scipy(study):
    values, rows = run_values(study), read_rows(study / "comparisons.csv")
    assert rows
    families = defaultdict(list)
    for row in rows:
        families[(row["task"], row["kind"], row["metric"])].append(row)
    for family in families.values():
        tested = [row for row in family if row["p_welch"]]
        for row in tested:
            column = f"{row['metric']}_{row['kind']}"
            x = np.array(values[(row["task"], row["upsampler"], row["variant"])][column])
            y = np.array(values[(row["task"], row["baseline"], row["variant"])][column])
            assert (int(row["n"]), int(row["n_baseline"])) == (len(x), len(y))
            assert float(row["difference"]) == pytest.approx(x.mean() - y.mean(), rel=1e-12, abs=1e-15)
            assert float(row["p_welch"]) == pytest.approx(stats.ttest_ind(x, y, equal_var=False).pvalue, rel=1e-9)
            perm = stats.permutation_test((x, y), lambda a, b, axis: a.mean(axis) - b.mean(axis),
                                          permutation_type="independent", vectorized=True, n_resamples=np.inf)
            assert row["perm_exact"] == "True" and int(row["perm_splits"]) == math.comb(len(x) + len(y), len(x))
            assert float(row["p_perm"]) == pytest.approx(perm.pvalue, rel=1e-12)
            if row["margin"]:
                m = float(row["margin"])
                low = stats.ttest_ind(x + m, y, equal_var=False, alternative="greater").pvalue
                high = stats.ttest_ind(x - m, y, equal_var=False, alternative="less").pvalue
                assert float(row["p_tost"]) == pytest.approx(max(low, high), rel=1e-9)
            alpha = float(row["alpha_power"])
            assert alpha == pytest.approx(ALPHA / len(tested), rel=1e-15)
            s_x, s_y = float(np.std(x, ddof=1)), float(np.std(y, ddof=1))
            assert welch_power(float(row["mdd80"]), s_x, len(x), s_y, len(y), alpha) == pytest.approx(POWER, abs=1e-9)
            seeds = float(row["seeds_needed80"])
            if math.isfinite(seeds):
                d = float(row["difference"])
                assert welch_power(d, s_x, int(seeds), s_y, int(seeds), alpha) >= POWER
                assert seeds == 2 or welch_power(d, s_x, int(seeds) - 1, s_y, int(seeds) - 1, alpha) < POWER
            different = float(row["p_welch_holm"]) <= ALPHA
            equivalent = bool(row["p_tost_holm"]) and float(row["p_tost_holm"]) <= ALPHA
            assert row["verdict"] == {(True, False): "different", (True, True): "different, within the margin",
                                      (False, True): "equivalent", (False, False): "undecided"}[(different, equivalent)]
        for raw, adjusted in (("p_welch", "p_welch_holm"), ("p_perm", "p_perm_holm"), ("p_tost", "p_tost_holm")):
            expected = holm([optional(row[raw]) for row in family])
            for row, q in zip(family, expected):
                assert optional(row[adjusted]) == (None if q is None else pytest.approx(q, rel=1e-12))
