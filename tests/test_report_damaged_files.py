"""The report on damaged job files (issue 16.6): a ``metrics.csv`` cut off mid-write or with malformed rows, an
unreadable ``run.json``.  Rows that do not parse completely are dropped and listed, the job is incomplete; nothing is
misread."""
from __future__ import annotations

import json

import pytest

from test_report import completed, read_csv, write_job
from upsamplelab.report import build_report
from upsamplelab.report.history import read_history
from upsamplelab.report.job import load_job


def cut_last_row(job, keep: str) -> None:
    """Cut ``metrics.csv`` just after the first ``keep`` of its last line (no newline after it)."""
    text = (job / "metrics.csv").read_text()
    head, last = text.rstrip("\n").rsplit("\n", 1)
    (job / "metrics.csv").write_text(head + "\n" + last[:last.index(keep) + len(keep)])


def test_a_last_line_without_newline_is_a_cut_row(tmp_path):
    job = write_job(tmp_path, 0, "convT_k3", 0, [20, 8, 477.5], completed(100, 50))
    cut_last_row(job, ",47")                                   # "2,30,,1.5,47": the writer was stopped mid-value
    history = read_history(job)
    assert history.final("fid") == 8.0 and history.series("fid") == [(0, 20.0), (1, 8.0)]
    assert history.partial and history.problems == ["metrics.csv line 7 was cut off (no newline at its end): "
                                                    "dropped '2,30,,1.5,47'"]
    loaded = load_job(job, tmp_path)
    assert loaded.status == "incomplete" and "says completed, but metrics.csv has rows cut off" in loaded.error
    assert loaded.counted and loaded.flagged                   # its two complete validations count, flagged


def test_the_same_file_with_its_newline_is_complete(tmp_path):
    job = write_job(tmp_path, 0, "convT_k3", 0, [20, 8, 477.5], completed(100, 50))
    history = read_history(job)
    assert history.final("fid") == 477.5 and not history.partial and history.problems == []
    assert load_job(job, tmp_path).status == "completed"


def test_rows_with_the_wrong_number_of_fields_are_dropped(tmp_path):
    job = write_job(tmp_path, 0, "convT_k3", 0, [20, 8, 10], completed(100, 50))
    lines = (job / "metrics.csv").read_text().splitlines()
    lines[4] = "1,20,,1.5,8"                                   # 5 of 8 fields: epoch 1's validation
    lines[5] += ",7"                                           # 9 fields: epoch 2's training row
    (job / "metrics.csv").write_text("\n".join(lines) + "\n")
    history = read_history(job)
    assert history.series("fid") == [(0, 20.0), (2, 10.0)]
    assert history.problems == ["metrics.csv line 5 has 5 fields, the header 8: dropped",
                                "metrics.csv line 6 has 9 fields, the header 8: dropped"]
    assert load_job(job, tmp_path).status == "incomplete"


def test_a_cut_header_leaves_no_rows(tmp_path):
    job = write_job(tmp_path, 0, "convT_k3", 0, [20], {"status": "running"})
    (job / "metrics.csv").write_text("epoch,step,val/f")
    (job / "fidelity.jsonl").unlink()
    history = read_history(job)
    assert history.validations == [] and history.partial
    assert history.problems == ["metrics.csv line 1 was cut off (no newline at its end): dropped 'epoch,step,val/f'"]


def test_run_json_unreadable_is_not_no_run_json_and_unfinished_is_incomplete(tmp_path):
    job = write_job(tmp_path, 0, "convT_k3", 0, [20, 8])
    (job / "run.json").write_text('{"status": "compl')
    loaded = load_job(job, tmp_path)
    assert loaded.status == "incomplete" and loaded.error == "run.json unreadable (not a JSON object): status unknown"
    assert loaded.problems[0].startswith("run.json unreadable: JSONDecodeError")
    (job / "run.json").write_text("[1, 2]")
    assert load_job(job, tmp_path).problems == ["run.json is not a JSON object"]
    (job / "run.json").unlink()
    assert load_job(job, tmp_path).error == "no run.json: killed, or still running"
    (job / "run.json").write_text(json.dumps({"status": "running"}))
    running = load_job(job, tmp_path)
    assert (running.status, running.error, running.flagged) == ("incomplete", "run.json says running: killed, or "
                                                                "still running", True)
    (job / "run.json").write_text(json.dumps({"status": "interrupted"}))
    stopped = load_job(job, tmp_path)
    assert (stopped.status, stopped.problems) == ("incomplete", []) and "says interrupted: stopped" in stopped.error


@pytest.fixture
def damaged_sweep(tmp_path):
    root = tmp_path / "sweep"
    write_job(root, 0, "convT_k3", 0, [20, 10], completed(100, 50))
    write_job(root, 1, "convT_k3", 1, [18, 14], completed(100, 50))
    cut_last_row(write_job(root, 2, "resize_conv_nearest", 0, [15, 7, 477.5], completed(90, 60)), ",47")
    (write_job(root, 3, "resize_conv_nearest", 1, [12, 5]) / "run.json").write_text("{")
    return root


def test_the_report_lists_damaged_files_and_uses_only_complete_rows(damaged_sweep):
    text = build_report(damaged_sweep, echo=lambda _: None).read_text()
    results = {row["job"]: row for row in read_csv(damaged_sweep / "results.csv")}
    assert (results["2"]["status"], results["2"]["fid_final"], results["2"]["flagged"]) == ("incomplete", "7.0", "True")
    assert "line 7 was cut off" in results["2"]["problems"]
    assert results["3"]["status"] == "incomplete" and results["3"]["error"].startswith("run.json unreadable")
    summary = {row["upsampler"]: row for row in read_csv(damaged_sweep / "summary.csv")}
    assert float(summary["resize_conv_nearest"]["fid_final_mean"]) == pytest.approx(6.0)    # 7 and 5, not 477.5
    assert summary["resize_conv_nearest"]["n_incomplete"] == "2"
    problems = text.split("## Failed or incomplete jobs", 1)[1]
    assert "- job `2`: metrics.csv line 7 was cut off (no newline at its end): dropped '2,30,,1.5,47'" in problems
    assert "run.json unreadable (not a JSON object)" in problems and "- job `3`: run.json unreadable" in problems
