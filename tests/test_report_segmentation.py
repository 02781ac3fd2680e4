"""A segmentation sweep's report carries the boundary metrics beside mIoU and Dice, with the labels and directions of
``upsamplelab.metrics.registry``, and its results table the test values."""
from __future__ import annotations

import json
from pathlib import Path

from upsamplelab.report import mean_ci
from upsamplelab.report.build import load_jobs
from upsamplelab.report.markdown import fmt_ci, render
from upsamplelab.report.results_csv import job_rows
from upsamplelab.report.aggregate import summarise
from upsamplelab.report.tasks import TASKS, best_mode, metric_label

HEADER = "epoch,step,val/miou,val/dice,val/boundary_f1,val/boundary_iou,test/miou,test/boundary_f1,test/boundary_iou"


def write_job(sweep: Path, num: int, upsampler: str, seed: int, boundary_f1: float) -> None:
    """Two validations (boundary F1 0.1 below its final value at the first) and a test row."""
    job = sweep / str(num)
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "config.yaml").write_text(f"seed: {seed}\nupsampler:\n  name: {upsampler}\nmodel:\n"
                                                f"  _target_: upsamplelab.lightning.SegmentationModule\n")
    (job / ".hydra" / "overrides.yaml").write_text(f"- upsampler={upsampler}\n- seed={seed}\n")
    rows = [HEADER, f"0,10,0.5,0.6,{boundary_f1 - 0.1},0.2,,,", f"1,20,0.6,0.7,{boundary_f1},0.3,,,",
            f"1,20,,,,,0.55,{boundary_f1 - 0.05},0.25"]
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
