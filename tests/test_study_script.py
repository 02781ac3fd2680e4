"""scripts/study.sh runs a sweep experiment and copies each finished job's records to <results>/jobs, rebuilding the
report in <results> with each; relaunched, it skips the finished jobs."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO, cli_env
from upsamplelab.report.build import build_report

pytestmark = pytest.mark.slow
TINY = ["data=digits", "model.net.widths=[8,16]", "trainer.max_epochs=1", "trainer.limit_train_batches=2",
        "trainer.limit_val_batches=1", "trainer.accelerator=cpu", "extras.print_summary=false", "test=false",
        "upsampler=convT_k3,resize_conv_nearest", "seed=0",
        "~callbacks.progress_bar"]


def study(tmp_path, poll: str, log: str) -> subprocess.Popen:
    """The study in the background, its output in <tmp_path>/<log> (a pipe nobody reads could fill and block it)."""
    env = cli_env(NO_COMMIT="1", POLL=poll, PY=sys.executable, SWEEP=str(tmp_path / "sweep"), OMP_NUM_THREADS="1")
    with open(tmp_path / log, "w") as out:
        return subprocess.Popen(["bash", "scripts/study.sh", "compare_upsamplers_autoencoder",
                                 str(tmp_path / "results"), *TINY], cwd=REPO, env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def completed(run_json) -> bool:
    return run_json.exists() and json.loads(run_json.read_text())["status"] == "completed"


def test_a_stopped_study_publishes_what_finished_and_a_relaunch_publishes_the_rest(tmp_path):
    """TERM once the first job has finished, while the poll loop waits (10 minutes here): the study stops within
    seconds and that job is in <results>/jobs.  Relaunched, it skips the finished job, runs the other, publishes only
    that one, and the report rebuilds from the folder."""
    jobs, names = tmp_path / "results" / "jobs", ["seed=0,upsampler=convT_k3", "seed=0,upsampler=resize_conv_nearest"]
    first = study(tmp_path, poll="600", log="first.log")
    deadline = time.monotonic() + 300
    while not completed(tmp_path / "sweep" / names[0] / "run.json"):
        assert first.poll() is None and time.monotonic() < deadline, (tmp_path / "first.log").read_text()[-2000:]
        time.sleep(0.2)
    signalled = time.monotonic()
    first.send_signal(signal.SIGTERM)
    first.wait(timeout=120)
    assert first.returncode == 130 and time.monotonic() - signalled < 60, (tmp_path / "first.log").read_text()[-2000:]
    published = sorted(p.name for p in jobs.iterdir())
    assert published[0] == names[0]                        # the second job may have finished before the signal
    again = study(tmp_path, poll="1", log="again.log")
    again.wait(timeout=600)
    out = (tmp_path / "again.log").read_text()
    assert again.returncode == 0, out[-2000:]
    assert sorted(p.name for p in jobs.iterdir()) == names
    assert out.count("already completed") == len(published)
    assert ("published" in out) == (published != names)    # nothing copied twice
    for job in jobs.iterdir():
        assert json.loads((job / "run.json").read_text())["status"] == "completed"
        assert not (job / "checkpoints").exists()
    written = (tmp_path / "results" / "report.md").read_text()            # study.sh rebuilt it with each record
    assert "convT_k3" in written and "resize_conv_nearest" in written
    summary = (tmp_path / "results" / "summary.csv").read_text()
    build_report(jobs, tmp_path / "rebuilt", echo=lambda _: None)
    assert (tmp_path / "rebuilt" / "summary.csv").read_text() == summary          # the report of all the records


def test_study_needs_an_experiment_and_a_results_dir():
    proc = subprocess.run(["bash", "scripts/study.sh", "only_one"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 2 and "bash scripts/study.sh <experiment> <results dir>" in proc.stderr
