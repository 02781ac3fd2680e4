"""Sweeps survive their jobs: a job that raises is recorded and the others run; a relaunch into the same sweep
directory skips completed jobs and resumes interrupted ones, matching jobs by identity, never by number (through the
CLI, as users run them)."""
from __future__ import annotations

import csv
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from omegaconf import OmegaConf

from conftest import REPO, cli_env
from upsamplelab.report.job import load_job

AE = ["model=autoencoder", "data=digits", "model.net.widths=[8,16]", "upsampler=convT_k3", "test=false",
      "trainer.accelerator=cpu", "extras.print_summary=false", "trainer.limit_train_batches=3",
      "trainer.limit_val_batches=1"]
ONE_LINE = {"HYDRA_FULL_ERROR": "0"}


def record(job: Path) -> dict:
    return json.loads((job / "run.json").read_text())


def sweep_error(stderr: str) -> str:
    """The line a failed sweep ends with, before Hydra's HYDRA_FULL_ERROR hint."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert lines[-1].startswith("Set the environment variable HYDRA_FULL_ERROR=1") and "Traceback" not in stderr
    return lines[-2]


def validation_epochs(job: Path) -> list[int]:
    with open(job / "metrics.csv") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f) if row.get("val/psnr")]


def test_failed_job_is_recorded_and_the_sweep_goes_on_then_relaunch_skips_done_jobs(run_cli, tmp_path):
    """The failed job is recorded, the other one runs, and the sweep exits non-zero naming the failed job (a script
    can tell); a relaunch skips the completed job and fails the same way again."""
    sweep = tmp_path / "sweep"
    args = ("upsamplelab.train", "-m", *AE, "trainer.max_epochs=1", "data.batch_size=5000,16",
            f"hydra.sweep.dir={sweep}")
    first = run_cli(*args, check=False, env=ONE_LINE)            # job 0 fails first; job 1 still runs
    ok, bad = sweep / "data.batch_size=16", sweep / "data.batch_size=5000"
    assert first.returncode == 1
    assert sweep_error(first.stderr) == (
        "job data.batch_size=5000 of the sweep failed or was refused, after the others ran: ValueError: "
        "data.batch_size=5000 is larger than the 1500 training samples of digits; lower data.batch_size or raise "
        "data.limit_train")
    assert record(ok)["status"] == "completed" and record(ok)["train_images_per_s"] > 0
    identity = record(ok)["identity"]
    assert "data.batch_size=16" in identity and len(identity) == len(AE) + 1   # max_epochs: how long, not what
    assert record(ok)["tags"] == ["dev"]                          # the config's tags
    failed = record(bad)
    assert failed["status"] == "failed" and "data.batch_size=5000 is larger than the 1500" in failed["error"]
    assert "the sweep goes on" in first.stderr + first.stdout
    done = (ok / "metrics.csv").read_text()

    second = run_cli(*args, check=False, env=ONE_LINE)
    assert second.returncode == 1 and f"skipping {ok}: already completed" in second.stdout
    assert (ok / "metrics.csv").read_text() == done               # not trained again
    assert record(bad)["status"] == "failed"                      # failed jobs run again (and fail again)


def test_relaunch_resumes_an_interrupted_job(run_cli, tmp_path):
    sweep = tmp_path / "sweep"
    run_cli("upsamplelab.train", "-m", *AE, "seed=0", "trainer.max_epochs=2", f"hydra.sweep.dir={sweep}")
    (job,) = [p for p in sweep.iterdir() if p.is_dir()]          # one job: nothing swept
    assert validation_epochs(job) == [0, 1]
    wall = record(job)["wall_time_s"]
    (job / "run.json").write_text(json.dumps(record(job) | {"status": "running"}))   # killed after its last ckpt
    proc = run_cli("upsamplelab.train", "-m", *AE, "seed=0", "trainer.max_epochs=3", f"hydra.sweep.dir={sweep}")
    assert "resuming the interrupted job" in proc.stdout + proc.stderr
    assert validation_epochs(job) == [0, 1, 2]                    # continued: epochs 0-1 kept, not retrained
    assert record(job)["status"] == "completed" and record(job)["epochs"] == 3
    assert record(job)["wall_time_s"] > wall                      # both starts counted


def test_a_reordered_relaunch_keeps_every_result_with_its_job(run_cli, tmp_path):
    sweep = tmp_path / "sweep"
    base = ("upsamplelab.train", "-m", *AE, "trainer.max_epochs=1", f"hydra.sweep.dir={sweep}")
    run_cli(*base, "upsampler=convT_k3,resize_conv_nearest")
    jobs = {name: sweep / f"upsampler={name}" for name in ("convT_k3", "resize_conv_nearest")}
    before = {name: ((job / "metrics.csv").read_text(), (job / ".hydra" / "config.yaml").read_text())
              for name, job in jobs.items()}
    assert OmegaConf.load(jobs["convT_k3"] / ".hydra" / "config.yaml").upsampler.name == "convT_k3"

    proc = run_cli(*base, "upsampler=resize_conv_nearest,convT_k3", "trainer.max_epochs=2")   # order swapped
    assert proc.stdout.count("already completed") == 2
    for name, job in jobs.items():                                # nothing retrained, no config rewritten
        assert ((job / "metrics.csv").read_text(), (job / ".hydra" / "config.yaml").read_text()) == before[name]
        assert f"upsampler={name}" in record(job)["identity"] and load_job(job, sweep).upsampler == name
    assert sorted(p.name for p in sweep.iterdir() if p.is_dir()) == sorted(p.name for p in jobs.values())


def test_a_directory_holding_another_job_is_refused_and_left_as_it_was(run_cli, tmp_path):
    """Numbered job directories (the Hydra default) with the values reordered: each job finds the other's
    directory, is refused in one line, and the directory keeps its config and results."""
    sweep = tmp_path / "sweep"
    base = ("upsamplelab.train", "-m", *AE, "trainer.max_epochs=1", f"hydra.sweep.dir={sweep}",
            "hydra.sweep.subdir=${hydra.job.num}")
    run_cli(*base, "upsampler=convT_k3,resize_conv_nearest")
    before = {job: ((sweep / job / "metrics.csv").read_text(), (sweep / job / ".hydra" / "config.yaml").read_text(),
                    (sweep / job / "run.json").read_text()) for job in ("0", "1")}

    proc = run_cli(*base, "upsampler=resize_conv_nearest,convT_k3", check=False, env=ONE_LINE)
    assert proc.returncode == 1                                   # every job refused: the sweep says so
    assert (f"{sweep / '0'} holds another job (upsampler=convT_k3), not this one (upsampler=resize_conv_nearest)"
            in proc.stdout)
    assert sweep_error(proc.stderr).startswith("job 0 of the sweep failed or was refused, after the others ran: "
                                               "JobIdentityError: ")
    for job, files in before.items():
        assert ((sweep / job / "metrics.csv").read_text(), (sweep / job / ".hydra" / "config.yaml").read_text(),
                (sweep / job / "run.json").read_text()) == files


def test_resume_with_another_upsampler_is_refused_naming_the_key(run_cli, tmp_path):
    run = tmp_path / "run"
    base = ("upsamplelab.train", *[a for a in AE if not a.startswith("upsampler=")], "trainer.max_epochs=1",
            f"hydra.run.dir={run}")
    run_cli(*base, "upsampler=resize_conv_nearest")
    done = ((run / "run.json").read_text(), (run / ".hydra" / "config.yaml").read_text())
    proc = run_cli(*base, "upsampler=resize_conv_bilinear", "ckpt_path=last", "trainer.max_epochs=2", check=False,
                   env={"HYDRA_FULL_ERROR": "0"})
    assert proc.returncode == 2
    assert "with a changed upsampler.name ('resize_conv_nearest' -> 'resize_conv_bilinear')" in proc.stderr
    assert ((run / "run.json").read_text(), (run / ".hydra" / "config.yaml").read_text()) == done


def test_one_job_of_a_sweep_resumes_as_the_readme_says(run_cli, tmp_path):
    """The README's resume line for a sweep job, pasted into a shell with only the sweep directory filled in: the
    job directory (``seed=0,upsampler=convT_k3``: ``=`` and ``,``, which a Hydra override would need quoted) goes
    unquoted, and the job continues from its last.ckpt to the README's epoch count, its earlier epochs kept."""
    readme = (REPO / "README.md").read_text()
    (line,) = re.findall(r"^\s*(python -m upsamplelab\.resume outputs/<task>/multiruns/<time>/\S+ .*)$", readme,
                         re.M)
    epochs = int(re.search(r"trainer\.max_epochs=(\d+)", line).group(1))
    sweep = tmp_path / "sweep"
    run_cli("upsamplelab.train", "-m", *[a for a in AE if not a.startswith("upsampler=")],
            f"trainer.max_epochs={epochs - 1}", f"hydra.sweep.dir={sweep}", "seed=choice(0)",
            "upsampler=choice(convT_k3)")                          # a sweep of one job over two keys
    job = sweep / "seed=0,upsampler=convT_k3"
    assert line.split()[3].endswith(f"/{job.name}")
    assert validation_epochs(job) == list(range(epochs - 1))
    command = line.replace("python", shlex.quote(sys.executable), 1).replace("outputs/<task>/multiruns/<time>",
                                                                             str(sweep))
    proc = subprocess.run(["bash", "-c", command], cwd=REPO, env=cli_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert validation_epochs(job) == list(range(epochs))          # continued, not started again
    assert record(job)["status"] == "completed" and record(job)["epochs"] == epochs
    assert "seed=0" in record(job)["identity"] and "upsampler=convT_k3" in record(job)["identity"]


def test_resume_refuses_recorded_overrides_that_would_run_code(run_cli, tmp_path):
    """The resume command reads the overrides from the run directory: one naming a _target_ is refused in one
    line before anything runs."""
    run = tmp_path / "run"
    (run / ".hydra").mkdir(parents=True)
    (run / ".hydra" / "overrides.yaml").write_text("- upsampler=convT_k3\n- +callbacks.evil._target_=os.system\n")
    proc = run_cli("upsamplelab.resume", str(run), check=False, env=ONE_LINE)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-2] == (
        f"error: RunDirRefused: {run / '.hydra' / 'overrides.yaml'}: '+callbacks.evil._target_=os.system' names a "
        f"Hydra special key or not a plain config key; refused without using the run directory")
