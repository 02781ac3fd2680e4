"""Sweeps survive their jobs: a job that raises is recorded and the others run; a relaunch into the same sweep
directory skips completed jobs and resumes interrupted ones (through the CLI, as users run them)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

AE = ["model=autoencoder", "data=digits", "model.net.widths=[8,16]", "upsampler=convT_k3", "test=false",
      "trainer.accelerator=cpu", "extras.print_summary=false", "+trainer.limit_train_batches=3",
      "+trainer.limit_val_batches=1"]


def record(job: Path) -> dict:
    return json.loads((job / "run.json").read_text())


def validation_epochs(job: Path) -> list[int]:
    with open(job / "metrics.csv") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f) if row.get("val/psnr")]


def test_failed_job_is_recorded_and_the_sweep_goes_on_then_relaunch_skips_done_jobs(run_cli, tmp_path):
    sweep = tmp_path / "sweep"
    args = ("upsamplelab.train", "-m", *AE, "trainer.max_epochs=1", "data.batch_size=16,5000",
            f"hydra.sweep.dir={sweep}")
    first = run_cli(*args)                                        # exit 0: the sweep finished despite job 1
    assert record(sweep / "0")["status"] == "completed" and record(sweep / "0")["train_images_per_s"] > 0
    failed = record(sweep / "1")
    assert failed["status"] == "failed" and "data.batch_size=5000 is larger than the 1500" in failed["error"]
    assert "the sweep goes on" in first.stderr + first.stdout
    done = (sweep / "0" / "metrics.csv").read_text()

    second = run_cli(*args)
    assert f"skipping {sweep / '0'}: already completed" in second.stdout
    assert (sweep / "0" / "metrics.csv").read_text() == done     # not trained again
    assert record(sweep / "1")["status"] == "failed"              # failed jobs run again (and fail again)


def test_relaunch_resumes_an_interrupted_job(run_cli, tmp_path):
    sweep = tmp_path / "sweep"
    run_cli("upsamplelab.train", "-m", *AE, "seed=0", "trainer.max_epochs=2", f"hydra.sweep.dir={sweep}")
    job = sweep / "0"
    assert validation_epochs(job) == [0, 1]
    (job / "run.json").unlink()                                   # as if killed after its last checkpoint
    proc = run_cli("upsamplelab.train", "-m", *AE, "seed=0", "trainer.max_epochs=3", f"hydra.sweep.dir={sweep}")
    assert "resuming the interrupted job" in proc.stdout + proc.stderr
    assert validation_epochs(job) == [0, 1, 2]                    # continued: epochs 0-1 kept, not retrained
    assert record(job)["status"] == "completed" and record(job)["epochs"] == 3
