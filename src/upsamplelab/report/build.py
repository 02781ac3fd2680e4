"""``build_report``: read every job of a sweep, write ``results.csv``, ``summary.csv``, the figures and
``report.md``.  A figure that cannot be drawn is noted in the report, not fatal."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, Mapping, Optional

from ..metrics.registry import ARTIFACT_METRICS, METRICS
from .discover import find_job_dirs
from .fig_at_init import plot_at_init_row
from .fig_compared import plot_compared
from .fig_curves import plot_curves
from .fig_final import plot_final_eval
from .fig_overlap import plot_overlap
from .fig_samples import plot_samples
from .fig_spectra import plot_spectra
from .job import Job, load_job
from .markdown import Figure, render
from .results_csv import comparison_rows, job_rows, summary_rows, write_csv
from .aggregate import TaskSummary, summarise
from .baseline import SUMMARY_CSV
from .tasks import metric_label

COMPARISONS_CSV = "comparisons.csv"


class JobFilesRefused(ValueError):
    """A job's files were refused as code (``real_data``): the report was written without them."""


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _figure(title: str, caption: str, draw: Callable[[], tuple[Optional[Path], list[str]]],
            echo: Callable[[str], None]) -> Figure:
    echo(f"  figure: {title}")
    try:
        path, notes = draw()
    except Exception as err:  # noqa: BLE001 - one figure must not cost the whole report
        path, notes = None, [f"could not be drawn: {type(err).__name__}: {' '.join(str(err).split())[:300]}"]
        echo(f"    {notes[0]}")
    return Figure(title, caption, path, notes)


def task_figures(summary: TaskSummary, out: Path, echo: Callable[[str], None]) -> list[Figure]:
    task, name = summary.task, summary.task.name
    primary, artifact = metric_label(task.primary), metric_label(ARTIFACT_METRICS[0])
    what = {"gan": "fixed-noise sample grid (the same latents in every run)",
            "segmentation": "prediction grid (image | truth | prediction)",
            "reconstruction": "reconstruction grid (input | reconstruction)"}.get(name, "grid")
    reference = {"gan": "the first 64 real training images of the data module",
                 "segmentation": "the truth-mask rows of the same grids",
                 "reconstruction": "the input rows of the same grids"}.get(name, "no reference")
    figures = [
        _figure("Samples", f"The last-epoch {what} of each upsampler's lowest-seed run, first rows only.",
                lambda: plot_samples(summary, out / f"{name}_samples.png"), echo),
        _figure(f"{primary} per epoch", f"Validation {primary} per epoch: mean over the seeds in the statistics, "
                "shaded band from their minimum to their maximum.",
                lambda: plot_curves(summary, out / f"{name}_{task.primary}_curves.png"), echo),
        _figure(f"{artifact} per epoch", f"Validation {artifact} per epoch (`upsamplelab.metrics.registry`: the "
                "leading artifact metric, computed on the first validation batch against its reference), mean over "
                "the seeds, shaded band from their minimum to their maximum. 0: no more stride-periodic structure "
                "than the reference.",
                lambda: plot_curves(summary, out / f"{name}_{ARTIFACT_METRICS[0]}_curves.png", ARTIFACT_METRICS[0]),
                echo),
        _figure("Radial power spectra", "Azimuthally averaged power spectrum (`radial_power_spectrum`) of the "
                "last-epoch grid tiles of every run in the statistics, pooled per upsampler, against "
                f"{reference} (dashed); d: the log-spectrum distance (`spectral_distance`). Periodic upsampling "
                "artifacts show as excess power at high frequencies, peaks near half the image size.",
                lambda: plot_spectra(summary, out / f"{name}_spectra.png"), echo),
    ]
    if task.compared:
        figures.append(_figure("Compared metrics per upsampler", "The final validation value of each metric "
                               "compared with the baseline: mean ± 95 % CI over seeds (squares), every run (dots), "
                               "the baseline's mean dashed; a row per variant of the sweep.",
                               lambda: plot_compared(summary, out / f"{name}_compared.png"), echo))
    if any(METRICS[m].fidelity for m in summary.final_eval_metrics):
        figures.append(_figure("Final evaluation per upsampler", "The fidelity metrics of each run's final "
                               "evaluation: mean ± 95 % CI over seeds (squares), every run (dots).",
                               lambda: plot_final_eval(summary, out / f"{name}_final_eval.png"), echo))
    return figures


def load_jobs(sweep_dir: Path, echo: Callable[[str], None] = _stderr) -> list[Job]:
    """Every job of ``sweep_dir``, in order, each echoed with its status and final primary metric.  Raises
    ``discover.NoJobsError`` when there is none."""
    job_dirs = find_job_dirs(sweep_dir)
    jobs: list[Job] = []
    for i, job_dir in enumerate(job_dirs):
        job = load_job(job_dir, sweep_dir, order=i)
        primary = job.task.primary
        value = job.history.final(primary)
        echo(f"[{i + 1}/{len(job_dirs)}] job {job.name}: {job.upsampler} seed {job.seed} {job.status}"
             + (f", final {metric_label(primary)} {value:.4g}" if value == value else ""))
        jobs.append(job)
    return jobs


def write_tables(summaries: list[TaskSummary], out: Path) -> None:
    """``results.csv`` (one row per job), ``summary.csv`` (one row per group) and ``comparisons.csv`` (one row per
    comparison with the baseline) into ``out``."""
    write_csv(job_rows(summaries), out / "results.csv")
    write_csv(summary_rows(summaries), out / SUMMARY_CSV)
    write_csv(comparison_rows([f for s in summaries for f in s.families]), out / COMPARISONS_CSV)


def build_report(sweep_dir: Path | str, out_dir: Path | str | None = None, baseline: Optional[str] = None,
                 echo: Callable[[str], None] = _stderr, margins: Optional[Mapping[str, float]] = None) -> Path:
    """Write the report of ``sweep_dir`` into ``out_dir`` (default: ``sweep_dir``); returns ``report.md``'s path.
    ``baseline``: None for the one the jobs' configs name (``baseline.study_baseline``); ``margins``: equivalence
    margins by metric over the registry's.  Raises ``discover.NoJobsError`` when there is
    no job to report on, ``JobFilesRefused`` after writing it when a job's files were refused as code."""
    sweep_dir = Path(sweep_dir).expanduser().resolve()
    jobs = load_jobs(sweep_dir, echo)
    out = Path(out_dir).expanduser().resolve() if out_dir is not None else sweep_dir
    out.mkdir(parents=True, exist_ok=True)

    summaries = summarise(jobs, baseline, margins)
    write_tables(summaries, out)
    figures = {s.task.name: task_figures(s, out, echo) for s in summaries}
    upsamplers = list(dict.fromkeys(job.upsampler for job in jobs))
    extra = [
        _figure("Upsamplers at initialisation", "`upsamplelab.analysis.at_init` for this sweep's upsamplers: "
                "non-negative initial weights, constant input; top a stack of three ×2 upsamplers, bottom a DCGAN "
                "generator. PE: phase energy, PC: phase contrast; green titles: checkerboard-free at init.",
                lambda: plot_at_init_row(upsamplers, out / "at_init.png"), echo),
        _figure("Kernel overlap", "`upsamplelab.analysis.overlap`: kernel taps landing on each output cell of a "
                "transposed convolution on a 4×4 input; uneven counts (K % S ≠ 0) are the checkerboard.",
                lambda: plot_overlap(upsamplers, out / "overlap.png"), echo),
    ]
    report = out / "report.md"
    report.write_text(render(Path(os.path.relpath(sweep_dir, out)).as_posix(), jobs, summaries, figures, extra))
    refused = [job for job in jobs if job.refused]
    if refused:
        raise JobFilesRefused(f"{report} written without what job {refused[0].name} would have run"
                              f"{f' (and {len(refused) - 1} more)' if len(refused) > 1 else ''}: {refused[0].refused}")
    return report
