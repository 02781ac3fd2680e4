"""A segmentation sweep's report carries the boundary metrics beside mIoU and Dice, with the labels and directions of
``upsamplelab.metrics.registry``, and its results table the test values; it compares mIoU, Dice, the boundary
metrics and the stride-peak excess with the baseline, one Holm family each (Welch's p against SciPy), against the
baseline the jobs' configs name."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from upsamplelab.report import mean_ci
from upsamplelab.report.baseline import DEFAULT_BASELINE, MixedBaselines
from upsamplelab.report.cli import run as report_cli
from upsamplelab.report.build import load_jobs
from upsamplelab.report.markdown import fmt_ci, render
from upsamplelab.report.results_csv import job_rows
from upsamplelab.report.stats import holm       # held to textbook values in test_report_stats
from upsamplelab.report.aggregate import TaskSummary, summarise
from upsamplelab.report.tasks import TASKS, best_mode, metric_label

VALIDATED = ("miou", "dice", "boundary_f1", "boundary_iou")
HEADER = "epoch,step,val/miou,val/dice,val/boundary_f1,val/boundary_iou,test/miou,test/boundary_f1,test/boundary_iou"


def write_job(sweep: Path, num: int, upsampler: str, seed: int, boundary_f1: float, baseline: str | None = None,
              last: dict[str, float] | None = None) -> None:
    """Two validations (boundary F1 0.1 below its final value at the first) and a test row; ``last``: values of the
    last validation (other metrics get a column each)."""
    job = sweep / str(num)
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "config.yaml").write_text(f"seed: {seed}\nupsampler:\n  name: {upsampler}\nmodel:\n"
                                                f"  _target_: upsamplelab.lightning.SegmentationModule\n"
                                                + (f"baseline: {baseline}\n" if baseline else ""))
    (job / ".hydra" / "overrides.yaml").write_text(f"- upsampler={upsampler}\n- seed={seed}\n")
    last = {"miou": 0.6, "dice": 0.7, "boundary_f1": boundary_f1, "boundary_iou": 0.3} | (last or {})
    extra = [m for m in last if m not in VALIDATED]
    rows = [HEADER + "".join(f",val/{m}" for m in extra),
            f"0,10,0.5,0.6,{boundary_f1 - 0.1},0.2,,," + "," * len(extra),
            "1,20," + ",".join(repr(last[m]) for m in VALIDATED) + ",,," + "".join(f",{last[m]!r}" for m in extra),
            f"1,20,,,,,0.55,{boundary_f1 - 0.05},0.25" + "," * len(extra)]
    (job / "metrics.csv").write_text("\n".join(rows) + "\n")
    (job / "run.json").write_text(json.dumps({"status": "completed", "error": None, "wall_time_s": 10.0,
                                              "train_images_per_s": 5.0, "epochs": 2, "global_step": 20}))


def test_segmentation_summary_has_boundary_columns(tmp_path):
    sweep = tmp_path / "sweep"
    for num, (upsampler, seed, f1) in enumerate([("convT_k2", 0, 0.5), ("convT_k2", 1, 0.7),
                                                 ("bilinear_additive", 0, 0.6), ("bilinear_additive", 1, 0.8)]):
        write_job(sweep, num, upsampler, seed, f1)
    jobs = load_jobs(sweep, echo=lambda _: None)
    assert {job.task.name for job in jobs} == {"segmentation"}
    assert TASKS["segmentation"].metrics[:4] == ("miou", "dice", "boundary_f1", "boundary_iou")
    assert best_mode("boundary_f1") == best_mode("boundary_iou") == "max"
    text = render("sweep", jobs, summarise(jobs, "convT_k2"), {}, [])
    header = next(line for line in text.splitlines() if line.startswith("| upsampler | n runs | n failed"))
    for label in (metric_label("boundary_f1"), metric_label("boundary_iou")):
        assert f"| {label} final | {label} best |" in header
    columns = [c.strip() for c in header.split("|")]
    row = next(line for line in text.splitlines() if line.startswith("| `bilinear_additive`"))
    cells = [c.strip() for c in row.split("|")]
    assert cells[columns.index("boundary F1 final")] == fmt_ci(mean_ci([0.6, 0.8]))
    assert cells[columns.index("Boundary IoU best")] == fmt_ci(mean_ci([0.3, 0.3]))
    rows = {(r["upsampler"], r["seed"]): r for r in job_rows(summarise(jobs, "convT_k2"))}
    assert rows[("bilinear_additive", 1)]["test_boundary_f1"] == 0.75
    assert rows[("convT_k2", 0)]["boundary_iou_best"] == 0.3


COMPARED = ("miou", "dice", "boundary_f1", "boundary_iou", "stride_peak_excess")


def test_segmentation_compares_regions_boundaries_and_stride_peaks_each_in_its_own_holm_family(tmp_path):
    rng = np.random.default_rng(0)
    groups = {"convT_k2": 0.0, "bilinear_additive": 0.03, "carafe": -0.02}      # shifts from the baseline
    values = {(u, seed): {m: float(0.5 + shift + 0.01 * rng.standard_normal()) for m in COMPARED}
              for u, shift in groups.items() for seed in range(3)}
    sweep = tmp_path / "sweep"
    for num, ((upsampler, seed), last) in enumerate(values.items()):
        write_job(sweep, num, upsampler, seed, 0.6, baseline="convT_k2", last=last)
    jobs = load_jobs(sweep, echo=lambda _: None)
    (summary,) = summarise(jobs)                                         # the baseline the configs name
    assert summary.baseline == "convT_k2" and summary.baseline_found
    assert [(f.kind, f.metric) for f in summary.families] == [("final", m) for m in COMPARED]
    for family in summary.families:
        tested = [m for m in family.members if m.upsampler != "convT_k2"]
        expected = [stats.ttest_ind([values[(m.upsampler, s)][family.metric] for s in range(3)],
                                    [values[("convT_k2", s)][family.metric] for s in range(3)],
                                    equal_var=False).pvalue for m in tested]
        np.testing.assert_allclose([m.comparison.p for m in tested], expected, rtol=1e-10)
        np.testing.assert_allclose([m.comparison.p_holm for m in tested], holm(expected), rtol=1e-10)
    text = render("sweep", jobs, [summary], {}, [])
    for metric in COMPARED:
        assert f"- *{metric_label(metric)}*: after Holm's correction over the 2 comparisons" in text


def test_the_foreground_scores_are_compared_in_a_study_whose_runs_logged_them(tmp_path):
    """Runs that logged ``fg_iou`` and ``fg_boundary_f1`` get them compared after the task's fixed metrics, from the
    jobs and from the study's results.csv alike; runs that did not (the studies committed before them) get the
    fixed metrics alone (the test above)."""
    from upsamplelab.report.build import build_report
    from upsamplelab.report.from_results import families_from_results

    compared = (*COMPARED, "fg_iou", "fg_boundary_f1")
    rng = np.random.default_rng(1)
    sweep = tmp_path / "sweep"
    for num, (upsampler, seed) in enumerate((u, s) for u in ("convT_k2", "carafe") for s in range(3)):
        write_job(sweep, num, upsampler, seed, 0.6, baseline="convT_k2",
                  last={m: float(0.5 + 0.01 * rng.standard_normal()) for m in compared})
    (summary,) = summarise(load_jobs(sweep, echo=lambda _: None))
    assert [(f.kind, f.metric) for f in summary.families] == [("final", m) for m in compared]
    build_report(sweep, echo=lambda _: None)
    from_csv = families_from_results(sweep / "results.csv", "convT_k2", {})
    assert [(f.kind, f.metric) for f in from_csv] == [("final", m) for m in compared]
    for family, again in zip(summary.families, from_csv):
        assert [m.comparison.p for m in family.members] == pytest.approx([m.comparison.p for m in again.members],
                                                                         nan_ok=True)


def test_the_baseline_is_the_one_the_configs_name_the_default_without_one_and_refused_when_they_disagree(tmp_path):
    sweep = tmp_path / "sweep"
    write_job(sweep, 0, "convT_k2", 0, 0.5)
    write_job(sweep, 1, "convT_k3", 0, 0.5)
    assert summarise(load_jobs(sweep, echo=lambda _: None))[0].baseline == DEFAULT_BASELINE == "convT_k3"
    write_job(sweep, 2, "convT_k2", 1, 0.5, baseline="convT_k2")          # jobs without the key do not count
    assert summarise(load_jobs(sweep, echo=lambda _: None))[0].baseline == "convT_k2"
    assert summarise(load_jobs(sweep, echo=lambda _: None), "convT_k3")[0].baseline == "convT_k3"   # --baseline
    write_job(sweep, 3, "convT_k3", 1, 0.5, baseline="convT_k3")
    with pytest.raises(MixedBaselines, match=r"baseline=convT_k2 in job 2, baseline=convT_k3 in job 3"):
        summarise(load_jobs(sweep, echo=lambda _: None))


def test_the_cli_names_disagreeing_baselines_in_one_line(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    write_job(sweep, 0, "convT_k2", 0, 0.5, baseline="convT_k2")
    write_job(sweep, 1, "convT_k3", 0, 0.5, baseline="convT_k3")
    with pytest.raises(SystemExit) as exit_info:
        report_cli([str(sweep)])
    assert exit_info.value.code == 2 and "choose one with --baseline" in capsys.readouterr().err
    assert report_cli([str(sweep), "--baseline", "convT_k2"]).is_file()


def test_the_compared_metrics_are_drawn_a_row_per_dataset(tmp_path):
    """The report's "Compared metrics per upsampler" figure: one panel per compared metric, one row per dataset of
    the sweep (the figure twice as tall for two as for one); a task that compares its primary metric only gets
    none, with a note."""
    import matplotlib.image as mpimg

    from upsamplelab.report.build import build_report
    from upsamplelab.report.fig_compared import plot_compared

    heights = {}
    for datasets in (["fashion_seg"], ["fashion_seg", "nuclei"]):
        sweep, num = tmp_path / f"sweep{len(datasets)}", 0
        for data in datasets:
            for upsampler, f1 in (("convT_k2", 0.5), ("carafe", 0.6)):
                for seed in (0, 1):
                    write_job(sweep, num, upsampler, seed, f1 + 0.01 * seed, baseline="convT_k2")
                    with open(sweep / str(num) / ".hydra" / "overrides.yaml", "a") as f:
                        f.write(f"- data={data}\n")
                    num += 1
        text = build_report(sweep, echo=lambda _: None).read_text()
        assert "![Compared metrics per upsampler](segmentation_compared.png)" in text
        heights[len(datasets)] = mpimg.imread(sweep / "segmentation_compared.png").shape[0]
    assert heights[2] == pytest.approx(2 * heights[1], rel=0.05)
    gan = TaskSummary(TASKS["gan"], [], "convT_k3", False)
    assert plot_compared(gan, tmp_path / "gan.png") == (None, ["the GAN report compares its primary metric only"])
    assert not (tmp_path / "gan.png").exists()
