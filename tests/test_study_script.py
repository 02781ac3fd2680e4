"""scripts/study.sh runs a sweep experiment and copies each finished job's records to <results>/jobs, from which
the report is rebuilt; relaunched, it skips the finished jobs."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REPO, cli_env
from upsamplelab.report.build import build_report

pytestmark = pytest.mark.slow
TINY = ["data=digits", "model.net.widths=[8,16]", "trainer.max_epochs=1", "trainer.limit_train_batches=2",
        "trainer.limit_val_batches=1", "trainer.accelerator=cpu", "extras.print_summary=false", "test=false",
        "upsampler=convT_k3,resize_conv_nearest", "seed=0",
        "~callbacks.progress_bar"]


def study(tmp_path, *extra: str) -> subprocess.CompletedProcess:
    env = cli_env(NO_COMMIT="1", POLL="1", PY=sys.executable, SWEEP=str(tmp_path / "sweep"), OMP_NUM_THREADS="1")
    return subprocess.run(["bash", "scripts/study.sh", "compare_upsamplers_autoencoder", str(tmp_path / "results"),
                           *TINY, *extra], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def test_study_publishes_every_finished_job_and_the_report_rebuilds_from_them(tmp_path):
    first = study(tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    jobs = tmp_path / "results" / "jobs"
    assert sorted(p.name for p in jobs.iterdir()) == ["seed=0,upsampler=convT_k3", "seed=0,upsampler=resize_conv_nearest"]
    for job in jobs.iterdir():
        assert json.loads((job / "run.json").read_text())["status"] == "completed"
        assert not (job / "checkpoints").exists()
    report = build_report(jobs, tmp_path / "results")
    assert "convT_k3" in report.read_text() and "resize_conv_nearest" in report.read_text()
    again = study(tmp_path)
    assert again.returncode == 0 and again.stdout.count("already completed") == 2 and "published" not in again.stdout


def test_study_needs_an_experiment_and_a_results_dir():
    proc = subprocess.run(["bash", "scripts/study.sh", "only_one"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 2 and "bash scripts/study.sh <experiment> <results dir>" in proc.stderr
