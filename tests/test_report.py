"""``python -m upsamplelab.report``: a hand-written sweep with known values, a real tiny multirun, bad inputs."""
from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from scipy import stats

from upsamplelab.lightning.grids import save_grid
from upsamplelab.report import build_report, mean_ci, welch_p
from upsamplelab.report.build import load_jobs
from upsamplelab.report.cli import run as report_cli
from upsamplelab.report.grid_images import quantise, split_grid, read_png
from upsamplelab.report.history import read_history
from upsamplelab.report.markdown import cpus_sentence, render
from upsamplelab.report.results_csv import job_rows
from upsamplelab.report.aggregate import summarise

REPO = Path(__file__).resolve().parents[1]
T1 = stats.t.ppf(0.975, 1)                     # 12.706: the t quantile for two seeds


def env() -> dict[str, str]:
    return dict(os.environ, PROJECT_ROOT=str(REPO), PYTHONUNBUFFERED="1")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


# --- a hand-written sweep ------------------------------------------------------------------------------------------

CONFIG = """\
task_name: train
seed: {seed}
upsampler:
  _target_: upsamplelab.nn.build_upsampler
  _partial_: true
  name: {upsampler}
model:
  _target_: upsamplelab.lightning.GANModule
  monitor: val/fid
data:
  _target_: upsamplelab.data.DigitsDataModule
  data_root: ${{paths.no_such_key}}
  image_size: 32
  channels: 1
paths:
  root_dir: ${{oc.env:PROJECT_ROOT,.}}
  data_dir: ${{paths.root_dir}}/data
  output_dir: ${{hydra:runtime.output_dir}}
"""


def grid_images(upsampler: str, seed: int) -> torch.Tensor:
    """64 grey 32 px images: a checkerboard for the transposed convs, smooth noise for the others."""
    g = torch.Generator().manual_seed(seed)
    base = torch.rand(64, 1, 8, 8, generator=g) * 2 - 1
    images = torch.nn.functional.interpolate(base, size=32, mode="bilinear", align_corners=False) * 0.5
    if upsampler.startswith("convT"):
        y, x = torch.meshgrid(torch.arange(32), torch.arange(32), indexing="ij")
        images = images + 0.4 * ((x % 2) * (y % 2)).float()
    return images.clamp(-1, 1)


def write_job(sweep: Path, num: int, upsampler: str, seed: int, fids: list[float], run: dict | None = None,
              diverged: dict | None = None, overrides: tuple[str, ...] = ()) -> Path:
    job = sweep / str(num)
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "config.yaml").write_text(CONFIG.format(seed=seed, upsampler=upsampler))
    (job / ".hydra" / "overrides.yaml").write_text(
        "".join(f"- {o}\n" for o in (f"upsampler={upsampler}", f"seed={seed}", "data=digits", *overrides)))
    (job / ".hydra" / "hydra.yaml").write_text("hydra:\n  runtime:\n    cwd: /nonexistent\n")
    columns = ["epoch", "step", "train/d_loss", "val/d_loss", "val/fid", "val/kid_mean", "val/phase_energy",
               "val/spectral_distance"]
    lines = [",".join(columns)]
    for epoch, fid in enumerate(fids):
        step = 10 * (epoch + 1)
        lines.append(f"{epoch},{step - 1},1.25,,,,,")                           # a training row
        lines.append(f"{epoch},{step},,1.5,{fid},{fid / 1000},{0.1 * (epoch + 1)},{fid / 10}")
    (job / "metrics.csv").write_text("\n".join(lines) + "\n")
    with (job / "fidelity.jsonl").open("w") as f:
        for epoch, fid in enumerate(fids):
            f.write(json.dumps({"epoch": epoch, "step": 20 * (epoch + 1), "fid": fid, "kid_mean": fid / 1000,
                                "kid_std": 0.0, "extractor": "inception-v3-bundled", "num_fake": 16,
                                "num_real": 16}) + "\n")
    images = grid_images(upsampler, seed)
    for epoch in range(len(fids)):
        save_grid([images[i * 8:(i + 1) * 8] for i in range(8)], job / "samples" / f"epoch_{epoch:03d}.png")
    if run is not None:
        (job / "run.json").write_text(json.dumps(run))
    if diverged is not None:
        (job / "DIVERGED").write_text(json.dumps(diverged))
    return job


def completed(wall: float, ips: float) -> dict:
    return {"status": "completed", "error": None, "wall_time_s": wall, "train_images_per_s": ips, "epochs": 3,
            "global_step": 60, "monitor": "val/fid", "monitor_mode": "min"}


ERROR = "RuntimeError: out of memory | while sampling"


@pytest.fixture
def sweep(tmp_path) -> Path:
    """convT_k3 and resize_conv_nearest x seeds 0, 1 (completed), a failed convT_k3, a diverged
    resize_conv_nearest (DIVERGED marker, no run.json) and an incomplete pixel_shuffle (no run.json)."""
    root = tmp_path / "sweep"
    write_job(root, 0, "convT_k3", 0, [20, 8, 10], completed(100, 50))
    write_job(root, 1, "convT_k3", 1, [18, 13, 14], completed(120, 70))
    write_job(root, 2, "resize_conv_nearest", 0, [15, 6, 7], completed(90, 60))
    write_job(root, 3, "resize_conv_nearest", 1, [12, 5, 5], completed(96, 60))
    write_job(root, 4, "convT_k3", 2, [99], {"status": "failed", "error": ERROR, "wall_time_s": 3.0,
                                              "train_images_per_s": None, "epochs": 0, "global_step": 2})
    write_job(root, 5, "resize_conv_nearest", 2, [16, math.nan],
              diverged={"step": 7, "epoch": 1, "loss": "train/d_loss", "value": "nan"})
    write_job(root, 10, "pixel_shuffle", 0, [40, 30])                                    # no run.json
    (root / "multirun.yaml").write_text("hydra: {}\n")
    return root


def test_synthetic_sweep_statistics(sweep, tmp_path):
    report = build_report(sweep, echo=lambda _: None)
    assert report == sweep / "report.md"
    text = report.read_text()

    summary = {row["upsampler"]: row for row in read_csv(sweep / "summary.csv")}
    assert list(summary) == ["convT_k3", "resize_conv_nearest", "pixel_shuffle"]
    a, b, c = summary["convT_k3"], summary["resize_conv_nearest"], summary["pixel_shuffle"]
    # final FID: convT_k3 10, 14 -> 12 ± t(0.975, 1) * 2.828 / 1.414 = 25.41; the failed job's 99 is left out
    assert float(a["fid_final_mean"]) == pytest.approx(12.0)
    assert float(a["fid_final_ci95"]) == pytest.approx(T1 * math.sqrt(8) / math.sqrt(2))
    assert float(a["fid_final_ci95"]) == pytest.approx(25.41, abs=0.01)
    # best FID (min over epochs): 8, 13 -> 10.5 ± t * 3.536 / 1.414
    assert float(a["fid_best_mean"]) == pytest.approx(10.5)
    assert float(a["fid_best_ci95"]) == pytest.approx(T1 * math.sqrt(12.5) / math.sqrt(2))
    assert (a["n_runs"], a["n_failed"], a["n_incomplete"]) == ("2", "1", "0")
    # resize_conv_nearest: finals 7, 5 -> 6 ± t * 1.414 / 1.414; bests 6, 5; the diverged run is left out
    assert float(b["fid_final_mean"]) == pytest.approx(6.0)
    assert float(b["fid_final_ci95"]) == pytest.approx(T1)
    assert float(b["fid_best_mean"]) == pytest.approx(5.5)
    assert (b["n_runs"], b["n_failed"]) == ("2", "1")
    # KID and spectral distance follow the FIDs; phase energy's best is epoch 0's 0.1, its final epoch 2's 0.3
    assert float(a["kid_mean_final_mean"]) == pytest.approx(0.012)
    assert float(a["phase_energy_final_mean"]) == pytest.approx(0.3)
    assert float(a["phase_energy_best_mean"]) == pytest.approx(0.1)
    assert float(a["phase_energy_final_ci95"]) == pytest.approx(0.0)
    # wall time 100, 120 -> 110 ± t * 14.14 / 1.414; throughput 60, 60 -> CI 0
    assert float(a["wall_time_s_mean"]) == pytest.approx(110.0)
    assert float(a["wall_time_s_ci95"]) == pytest.approx(T1 * 10)
    assert float(b["train_images_per_s_mean"]) == pytest.approx(60.0)
    assert float(b["train_images_per_s_ci95"]) == pytest.approx(0.0)
    # Welch's t-test on the final FIDs against the baseline convT_k3
    p = stats.ttest_ind([7, 5], [10, 14], equal_var=False).pvalue
    assert float(b["p_welch_fid_final"]) == pytest.approx(p)
    assert a["p_note_fid_final"] == "baseline" and a["p_welch_fid_final"] == ""
    # one comparison (pixel_shuffle has one run): Holm leaves p as it is; Hedges' g by hand: s_p^2 = (2 + 8) / 2,
    # J = 1 - 3 / (4 x 4 - 9) = 4/7: g = 4/7 x (6 - 12) / sqrt(5) = -1.5335
    assert float(b["p_holm_fid_final"]) == pytest.approx(p)
    assert float(b["hedges_g_fid_final"]) == pytest.approx(4 / 7 * -6 / math.sqrt(5))
    # the incomplete run counts, flagged; one run: no CI, no p-value
    assert (c["n_runs"], c["n_incomplete"], c["fid_final_mean"], c["fid_final_ci95"]) == ("1", "1", "30.0", "nan")
    assert c["p_welch_fid_final"] == "" and "< 2 runs" in c["p_note_fid_final"]

    # report.md: the table rows with mean ± CI, best distinct from final, p-value
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| `")}
    assert "12 ± 25.41" in rows["`convT_k3`"] and "10.5 ± 31.77" in rows["`convT_k3`"]
    assert "110 ± 127.1" in rows["`convT_k3`"] and "baseline" in rows["`convT_k3`"]
    assert "6 ± 12.71" in rows["`resize_conv_nearest`"] and "5.5 ± 6.353" in rows["`resize_conv_nearest`"]
    assert rows["`resize_conv_nearest`"].endswith(f"| {p:.3g} | {p:.3g} | -1.533 |")
    assert ("*FID*: after Holm's correction over the 1 comparison with the baseline `convT_k3`, at α = 0.05: no "
            "difference holds (`resize_conv_nearest`).") in text
    assert "30 ± n/a" in rows["`pixel_shuffle`"] and "1 incomplete †" in rows["`pixel_shuffle`"]
    assert "p, final FID vs convT_k3" in text

    # every job that did not complete is listed with its status and error
    problems = text.split("## Failed or incomplete jobs", 1)[1]
    listed = {line.split("|")[1].strip(): line for line in problems.splitlines() if line.startswith("| `")}
    assert set(listed) == {"`4`", "`5`", "`10`"}
    assert "failed" in listed["`4`"] and "RuntimeError: out of memory \\| while sampling" in listed["`4`"]
    assert "diverged" in listed["`5`"] and "train/d_loss = nan at step 7" in listed["`5`"]
    assert "incomplete" in listed["`10`"] and "flagged" in listed["`10`"] and "no run.json" in listed["`10`"]

    # results.csv: one row per job, final and best per run, status and error
    results = {row["job"]: row for row in read_csv(sweep / "results.csv")}
    assert list(results) == ["0", "1", "2", "3", "4", "5", "10"]
    assert (results["0"]["fid_final"], results["0"]["fid_best"], results["0"]["fid_best_epoch"]) == ("10.0", "8.0", "1")
    assert results["0"]["d_loss_final"] == "1.5" and "d_loss_best" not in results["0"]     # no "best" loss of D
    assert (results["4"]["status"], results["4"]["error"], results["4"]["counted"]) == ("failed", ERROR, "False")
    assert (results["5"]["status"], results["5"]["fid_final"], results["5"]["fid_best"]) == ("diverged", "nan", "16.0")
    assert (results["10"]["status"], results["10"]["flagged"], results["10"]["seed"]) == ("incomplete", "True", "0")
    assert results["3"]["fid_extractor"] == "inception-v3-bundled" and results["3"]["wall_time_s"] == "96.0"

    # figures: linked, small; the hand-written data config is not what its overrides give: the spectra figure notes it
    for name in ("gan_samples.png", "gan_fid_curves.png", "gan_spectra.png", "at_init.png", "overlap.png"):
        assert f"]({name})" in text
        assert 0 < (sweep / name).stat().st_size < 300_000
    assert "real data could not be loaded (RunDirNotRebuilt: 0/.hydra/config.yaml: data.batch_size is None" in text
    assert "transposed convolutions in this sweep: convT_k3 (" in text   # the overlap figure's transposed conv


def test_the_cpu_of_each_run_is_tabled_and_a_mix_of_machines_is_said(sweep):
    """run.json's ``machine.cpu`` (``app.machine``) becomes results.csv's ``cpu``; the report says when wall times
    come from more than one CPU, and names the CPU when all runs name the same one."""
    for job, cpu in (("0", "CPU A"), ("1", "CPU B"), ("2", "CPU A")):
        run = json.loads((sweep / job / "run.json").read_text())
        (sweep / job / "run.json").write_text(json.dumps(run | {"machine": {"cpu": cpu, "cores": 2}}))
    jobs = load_jobs(sweep, echo=lambda _: None)
    rows = {row["job"]: row for row in job_rows(summarise(jobs, "convT_k3"))}
    assert [rows[j]["cpu"] for j in ("0", "1", "2", "3", "10")] == ["CPU A", "CPU B", "CPU A", None, None]
    assert cpus_sentence(jobs) == (" **The runs come from more than one machine**: CPU A (2 runs); CPU B (1 run), "
                                   "and 4 runs that name none; compare wall times within one CPU (results.csv, "
                                   "column `cpu`).")
    same = [job for job in jobs if job.cpu == "CPU A"]
    assert cpus_sentence(same) == " All runs on CPU A." and cpus_sentence(jobs[3:]) == ""


def test_report_without_baseline_and_out_dir(sweep, tmp_path):
    out = tmp_path / "elsewhere"
    report = report_cli([str(sweep), "--baseline", "convT_k4", "--out", str(out)])
    assert report == out / "report.md"
    text = report.read_text()
    assert "The baseline `convT_k4` is not in this sweep: no p-values" in text
    assert "Sweep `../sweep`: 7 jobs" in text and str(tmp_path) not in text         # relative to the report
    assert "p, final" not in text
    assert (out / "results.csv").is_file() and not (sweep / "report.md").exists()


def test_a_committed_report_rebuilds_the_same_from_a_copy(sweep, tmp_path):
    """``python -m upsamplelab.report docs/results/X/jobs --out docs/results/X`` in a clone elsewhere: the same
    report.md, results.csv and summary.csv, no absolute path in them."""
    here, clone = tmp_path / "repo" / "X", tmp_path / "clone" / "deeper" / "X"
    for study in (here, clone):
        shutil.copytree(sweep, study / "jobs")
        build_report(study / "jobs", study, echo=lambda _: None)
    for name in ("report.md", "results.csv", "summary.csv"):
        text = (here / name).read_text()
        assert text == (clone / name).read_text() and str(tmp_path) not in text
    assert "Sweep `jobs`: 7 jobs" in (here / "report.md").read_text()


def test_grid_tiles_round_trip(tmp_path):
    images = grid_images("convT_k3", 3)
    save_grid([images[i * 8:(i + 1) * 8] for i in range(8)], tmp_path / "grid.png")
    tiles = split_grid(read_png(tmp_path / "grid.png"), 32)
    assert tiles.shape == (8, 8, 3, 32, 32)
    assert torch.equal(tiles[2, 5, 0], quantise(images[2 * 8 + 5, 0]))
    assert torch.equal(tiles[..., 0, :, :], tiles[..., 2, :, :])             # grey saved as three equal channels
    assert split_grid(read_png(tmp_path / "grid.png")).shape == (8, 8, 3, 32, 32)   # tile size from 8 columns


def test_statistics_edge_cases(tmp_path):
    assert mean_ci([]).n == 0 and math.isnan(mean_ci([]).mean)
    one = mean_ci([3.0, math.nan, None])
    assert (one.mean, one.n) == (3.0, 1) and math.isnan(one.half_width)
    assert welch_p([1.0, 2.0], [3.0]) is None
    assert welch_p([1.0, 2.0, 4.0], [3.0, 5.0]) == pytest.approx(
        stats.ttest_ind([1, 2, 4], [3, 5], equal_var=False).pvalue)
    # a run killed before the CSV logger flushed: FID from fidelity.jsonl
    (tmp_path / "fidelity.jsonl").write_text('{"epoch": 0, "fid": 50.5}\nnot json\n{"epoch": 1, "fid": 40.25}\n')
    history = read_history(tmp_path)
    assert history.final("fid") == 40.25 and history.best("fid") == (40.25, 1)
    assert any("not JSON" in p for p in history.problems)


@pytest.mark.slow
def test_no_jobs_exit_with_a_message(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = subprocess.run([sys.executable, "-m", "upsamplelab.report", str(empty)], cwd=REPO, env=env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert f"error: {empty} is empty: no Hydra jobs to report on" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""

    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    for path, message in ((tmp_path / "missing", "does not exist"), (tmp_path / "other", "holds no Hydra job")):
        with pytest.raises(SystemExit) as exit_info:
            report_cli([str(path)])
        assert exit_info.value.code != 0 and message in capsys.readouterr().err


def test_a_varying_override_splits_the_groups_and_the_ranking_is_tabled_per_variant(tmp_path):
    """Two recipes: each upsampler's runs are grouped per recipe, compared with the baseline of the same recipe, and
    the final FIDs are tabled upsampler x recipe with the rank within each recipe (here the ranking flips)."""
    sweep = tmp_path / "sweep"
    finals = {("a", "convT_k3"): (10, 12), ("a", "resize_conv_nearest"): (6, 8),
              ("b", "convT_k3"): (20, 22), ("b", "resize_conv_nearest"): (30, 34)}
    for num, ((recipe, upsampler), fids) in enumerate(finals.items()):
        for seed, fid in enumerate(fids):
            write_job(sweep, 10 * num + seed, upsampler, seed, [50, fid], completed(10, 10),
                      overrides=(f"recipe={recipe}",))
    jobs = load_jobs(sweep, echo=lambda _: None)
    text = render("sweep", jobs, summarise(jobs, "convT_k3"), {}, [])                   # the tables, no figures
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| `")}
    p_b = stats.ttest_ind([30, 34], [20, 22], equal_var=False).pvalue
    assert "baseline" in rows["`convT_k3 (recipe=a)`"] and "baseline" in rows["`convT_k3 (recipe=b)`"]
    assert f"| {p_b:.3g} |" in rows["`resize_conv_nearest (recipe=b)`"]          # against convT_k3 of recipe b
    assert "**Final FID by recipe**" in text
    assert "| upsampler | recipe=a | recipe=b |" in text
    assert rows["`convT_k3`"] == f"| `convT_k3` | 11 ± {T1:.4g} (2) | 21 ± {T1:.4g} (1) |"
    assert rows["`resize_conv_nearest`"] == f"| `resize_conv_nearest` | 7 ± {T1:.4g} (1) | 32 ± {2 * T1:.4g} (2) |"


def test_help_reads_as_printed(capsys):
    """The description is printed as written (argparse formats it only when it names %(prog)s)."""
    with pytest.raises(SystemExit):
        report_cli(["--help"])
    assert "mean ± 95 % CI over seeds" in " ".join(capsys.readouterr().out.split())


@pytest.mark.slow
def test_real_multirun(tmp_path):
    """The README's sweep command, tiny: 2 upsamplers x 2 seeds of a DCGAN on digits (the real bundled Inception on
    8 images), then the report on it (in this process: the report's own process is tested above).  Jobs without
    run.json count as incomplete, with their values."""
    sweep = tmp_path / "sweep"
    train = [sys.executable, "-m", "upsamplelab.train", "-m", "model=dcgan", "data=digits",
             "model.generator.ngf=8", "model.discriminator.ndf=8", "upsampler=convT_k3,resize_conv_nearest",
             "seed=0,1", "trainer.max_epochs=1", "trainer.limit_train_batches=3", "trainer.limit_val_batches=1",
             "test=false", "metrics.fid_samples=8", "metrics.real_samples=8",
             f"metrics.cache_dir={tmp_path / 'cache'}",
             f"hydra.sweep.dir={sweep}", "trainer.accelerator=cpu", "extras.print_summary=false"]
    # one thread: two threads on a 2-core machine that other jobs share spin and run several times slower
    proc = subprocess.run(train, cwd=REPO, env=env() | {"OMP_NUM_THREADS": "1"}, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]

    report = report_cli([str(sweep)])
    assert report == sweep / "report.md"
    text = report.read_text()
    rows = {line.split("|")[1].strip(): line.split("|") for line in text.splitlines() if line.startswith("| `")}
    for upsampler in ("convT_k3", "resize_conv_nearest"):
        row = rows[f"`{upsampler}`"]
        assert row[2].strip().startswith("2")                           # n runs: both seeds
        assert " ± " in row[4] and "n/a" not in row[4]                  # final FID with its CI
    results = read_csv(sweep / "results.csv")
    assert sorted((r["upsampler"], r["seed"]) for r in results) == [
        ("convT_k3", "0"), ("convT_k3", "1"), ("resize_conv_nearest", "0"), ("resize_conv_nearest", "1")]
    for r in results:
        assert r["status"] in ("completed", "incomplete") and r["counted"] == "True"
        assert 0 < float(r["fid_final"]) == float(r["fid_best"])           # one validation: final = best
        assert r["fid_num_fake"] == "8"
    summary = {r["upsampler"]: r for r in read_csv(sweep / "summary.csv")}
    finals = {u: [float(r["fid_final"]) for r in results if r["upsampler"] == u] for u in summary}
    for upsampler, values in finals.items():
        assert float(summary[upsampler]["fid_final_mean"]) == pytest.approx(sum(values) / 2)
        assert float(summary[upsampler]["fid_final_ci95"]) == pytest.approx(T1 * abs(values[0] - values[1]) / 2)
    # the digits data module loads from the job config: the spectra have their real curve
    assert "real data could not be loaded" not in text
    for name in ("gan_samples.png", "gan_fid_curves.png", "gan_spectra.png", "at_init.png", "overlap.png"):
        assert 0 < (sweep / name).stat().st_size < 300_000


def test_the_fid_settings_note_names_the_inception_backends_without_calling_them_incomparable():
    from upsamplelab.report.markdown import settings_note
    base = {"extractor": "inception-v3-bundled", "num_fake": 500, "num_real": 5000}
    onnx = base | {"inception_backend": "onnxruntime"}
    note = settings_note("FID/KID", [base, onnx, onnx])
    assert "Inception backend: `onnxruntime` in 2 runs, `torch (not recorded)` in 1 run (the same network;" in note
    assert "not comparable" not in note
    assert "Inception backend" not in settings_note("FID/KID", [base, base])           # none recorded: not said
    assert "backend_agreement" not in settings_note("FID/KID", [onnx, onnx])            # one backend: no caveat
    assert "not comparable" in settings_note("FID/KID", [base, base | {"num_fake": 2000}])
