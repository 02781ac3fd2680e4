"""The report's final-evaluation section and its comparisons with the baseline, on a hand-written sweep whose
``final/*`` rows and ``final.json`` hold known values: means and CIs, Welch's p (SciPy), Holm's p and Hedges' g
(by hand), the sentence saying which differences hold, the CSV columns, the figure."""
from __future__ import annotations

import json
import math

import pytest
from scipy import stats

from test_report import completed, read_csv, write_job
from upsamplelab.report import build_report

FINAL = {  # upsampler: per seed (FID, FID∞, KID, stride-band excess)
    "convT_k3": [(100, 90, 0.10, 0.30), (110, 100, 0.11, 0.50), (120, 110, 0.12, 0.40)],
    "resize_conv_nearest": [(60, 55, 0.05, 0.01), (62, 57, 0.06, 0.02), (64, 59, 0.04, 0.03)],
    "pixel_shuffle": [(95, 80, 0.09, 0.20), (118, 100, 0.10, 0.30), (111, 90, 0.11, 0.25)],
}
COLUMNS = ("final/fid", "final/fid_inf", "final/kid_mean", "final/kid_std", "final/stride_band_excess")
RECORD = {"extractor": "inception-v3-bundled", "num_fake": 2000, "num_real": 5000}


def add_final_eval(job, values: tuple) -> None:
    """Append the ``final/*`` columns and the final-evaluation row to ``metrics.csv``; write ``final.json``."""
    lines = (job / "metrics.csv").read_text().splitlines()
    fields = len(lines[0].split(","))
    fid, fid_inf, kid, band = values
    rows = [lines[0] + "," + ",".join(COLUMNS)] + [line + "," * len(COLUMNS) for line in lines[1:]]
    rows.append("2,61" + "," * (fields - 2) + f",{fid},{fid_inf},{kid},0.001,{band}")
    (job / "metrics.csv").write_text("\n".join(rows) + "\n")
    (job / "final.json").write_text(json.dumps({"epoch": 2, "step": 61, "fid": fid, "fid_inf": fid_inf,
                                                "kid_mean": kid, "kid_std": 0.001, "fid_at": {"2000": fid}}
                                               | RECORD))


@pytest.fixture
def sweep(tmp_path):
    root = tmp_path / "sweep"
    num = 0
    for upsampler, runs in FINAL.items():
        for seed, values in enumerate(runs):
            add_final_eval(write_job(root, num, upsampler, seed, [20 + seed, 10 + num], completed(100, 50)), values)
            num += 1
    write_job(root, num, "convT_k3", 3, [99], {"status": "failed", "error": "boom"})      # no final evaluation
    return root


def column(upsampler: str, i: int) -> list[float]:
    return [run[i] for run in FINAL[upsampler]]


def hedges(a: list[float], b: list[float]) -> float:
    """By hand for three runs a side: J = 1 - 3 / (4 x 6 - 9) = 0.8, pooled variance (2 s_a^2 + 2 s_b^2) / 4."""
    pooled = (2 * stats.tvar(a) + 2 * stats.tvar(b)) / 4
    return 0.8 * (sum(a) / 3 - sum(b) / 3) / math.sqrt(pooled)


def test_final_evaluation_statistics_and_comparisons(sweep):
    text = build_report(sweep, echo=lambda _: None).read_text()
    summary = {row["upsampler"]: row for row in read_csv(sweep / "summary.csv")}
    a, b, c = summary["convT_k3"], summary["resize_conv_nearest"], summary["pixel_shuffle"]
    # means and CIs: FID 100, 110, 120 -> 110 ± t(0.975, 2) x 10 / sqrt(3); the failed run is left out
    assert float(a["fid_final_eval_mean"]) == pytest.approx(110.0) and a["fid_final_eval_n"] == "3"
    assert float(a["fid_final_eval_ci95"]) == pytest.approx(stats.t.ppf(0.975, 2) * 10 / math.sqrt(3))
    assert float(b["fid_inf_final_eval_mean"]) == pytest.approx(57.0)
    assert float(b["stride_band_excess_final_eval_mean"]) == pytest.approx(0.02)
    assert "kid_std_final_eval_mean" not in a                                 # no direction: not summarised
    assert (a["final_eval_num_fake"], a["final_eval_num_real"]) == ("2000", "5000")
    # hedges' g by hand: resize_conv_nearest 62 vs 110, s^2 4 and 100: 0.8 x -48 / sqrt(52) = -5.325
    assert hedges(column("resize_conv_nearest", 0), column("convT_k3", 0)) == pytest.approx(-5.3251, abs=1e-4)
    p = {u: stats.ttest_ind(column(u, 0), column("convT_k3", 0), equal_var=False).pvalue
         for u in ("resize_conv_nearest", "pixel_shuffle")}
    low, high = sorted(p.values())
    holm = {u: min(1.0, 2 * low) if p[u] == low else max(min(1.0, 2 * low), high) for u in p}
    for row, u in ((b, "resize_conv_nearest"), (c, "pixel_shuffle")):
        assert float(row["p_welch_fid_final_eval"]) == pytest.approx(p[u])
        assert float(row["p_holm_fid_final_eval"]) == pytest.approx(holm[u])
        assert float(row["hedges_g_fid_final_eval"]) == pytest.approx(hedges(column(u, 0), column("convT_k3", 0)))
        assert float(row["hedges_g_stride_band_excess_final_eval"]) == pytest.approx(
            hedges(column(u, 3), column("convT_k3", 3)))
    assert holm["resize_conv_nearest"] < 0.05 < holm["pixel_shuffle"]       # what the sentence below must say
    assert a["p_note_fid_final_eval"] == "baseline" and a["p_holm_fid_final_eval"] == ""

    section = text.split("### Final evaluation", 1)[1].split("###", 1)[0]
    assert "Final evaluation: extractor `inception-v3-bundled`, 2000 generated vs 5000 real images" in section
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| `")]
    means = {r[0]: r for r in rows if len(r) == 6}                          # upsampler, n, FID, FID∞, KID, band
    assert means["| `convT_k3`"][1:3] == ["3", f"110 ± {stats.t.ppf(0.975, 2) * 10 / math.sqrt(3):.4g}"]
    compared = {(r[0], r[1]): r for r in rows if len(r) == 5}
    fid = compared[("| `resize_conv_nearest`", "FID")]
    assert fid[2:] == [f"{p['resize_conv_nearest']:.3g}", f"{holm['resize_conv_nearest']:.3g}",
                       f"{hedges(column('resize_conv_nearest', 0), column('convT_k3', 0)):.4g} |"]
    assert ("| `convT_k3`", "FID") not in compared and ("| `pixel_shuffle`", "FID∞") in compared
    assert ("- *FID*: after Holm's correction over the 2 comparisons with the baseline `convT_k3`, at α = 0.05: "
            "`resize_conv_nearest` (lower, better: g = -5.325") in section
    assert "differs; `pixel_shuffle` does not." in section
    assert "![Final evaluation per upsampler](gan_final_eval.png)" in text
    assert 0 < (sweep / "gan_final_eval.png").stat().st_size < 300_000

    results = {row["job"]: row for row in read_csv(sweep / "results.csv")}
    assert (results["4"]["fid_final_eval"], results["4"]["fid_inf_final_eval"]) == ("62.0", "57.0")
    assert results["4"]["final_eval_num_real"] == "5000" and results["9"]["fid_final_eval"] == ""


def test_the_main_table_has_holm_and_g(sweep):
    text = build_report(sweep, echo=lambda _: None).read_text()
    header = next(line for line in text.splitlines() if line.startswith("| upsampler | n runs | n failed"))
    assert header.endswith("| p, final FID vs convT_k3 | p (Holm) | g |")
    summary = {row["upsampler"]: row for row in read_csv(sweep / "summary.csv")}
    finals = {u: [10 + 3 * i + s for s in range(3)] for i, u in enumerate(FINAL)}       # 10 + num per job
    assert finals["pixel_shuffle"] == [16, 17, 18]
    g = hedges(finals["resize_conv_nearest"], finals["convT_k3"])                       # equal spreads: 0.8 x 3 / 1
    assert g == pytest.approx(2.4)
    assert float(summary["resize_conv_nearest"]["hedges_g_fid_final"]) == pytest.approx(g)
    p = {u: stats.ttest_ind(finals[u], finals["convT_k3"], equal_var=False).pvalue
         for u in ("resize_conv_nearest", "pixel_shuffle")}
    holm = {"pixel_shuffle": 2 * p["pixel_shuffle"], "resize_conv_nearest": p["resize_conv_nearest"]}   # by hand
    assert 2 * p["pixel_shuffle"] < p["resize_conv_nearest"] < 0.05
    assert float(summary["pixel_shuffle"]["p_holm_fid_final"]) == pytest.approx(holm["pixel_shuffle"])
    assert float(summary["resize_conv_nearest"]["p_holm_fid_final"]) == pytest.approx(holm["resize_conv_nearest"])
    assert (f"`resize_conv_nearest` (higher, worse: g = 2.4, p (Holm) = {holm['resize_conv_nearest']:.3g}), "
            f"`pixel_shuffle` (higher, worse: g = 4.8, p (Holm) = {holm['pixel_shuffle']:.3g}) differ."
            ) in text.split("### Final evaluation")[0]
