"""``report.md``: the per-upsampler tables, the figures (relative links) and every job that did not complete."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .job import Job
from .stats import MeanCI
from .summary import Group, TaskSummary
from .tasks import best_mode, metric_label


@dataclass
class Figure:
    title: str
    caption: str
    path: Optional[Path]
    notes: list[str] = field(default_factory=list)


def fmt(value: Optional[float]) -> str:
    """Four significant digits (whole numbers from 1000 on); "n/a" for None and NaN."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:.0f}"
    if value == 0 or abs(value) >= 1e-3:
        return f"{value:.4g}"
    return f"{value:.3e}"


def fmt_ci(m: Optional[MeanCI]) -> str:
    """"mean ± half-width"; "mean ± n/a" for a single run; "n/a" for none."""
    if m is None or m.n == 0:
        return "n/a"
    return f"{fmt(m.mean)} ± {fmt(m.half_width)}"


def fmt_p(group: Group) -> str:
    if group.p_value is None:
        return group.p_note or "n/a"
    return "n/a (zero variance)" if math.isnan(group.p_value) else f"{group.p_value:.3g}"


def escape(text: Optional[str], limit: int = 400) -> str:
    text = " ".join(str(text or "").split()).replace("|", "\\|")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def table(header: list[str], rows: list[list[str]], align: Optional[list[str]] = None) -> list[str]:
    align = align or ["---"] * len(header)
    return ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"] + ["| " + " | ".join(r) + " |"
                                                                            for r in rows]


def summary_table(summary: TaskSummary) -> list[str]:
    task, with_p = summary.task, summary.baseline_found
    header = ["upsampler", "n runs", "n failed"]
    for metric in task.metrics:
        header += [f"{metric_label(metric)} final", f"{metric_label(metric)} best"]
    header += ["wall time (s)", "throughput (img/s)"]
    if with_p:
        header.append(f"p, final {metric_label(task.primary)} vs {summary.baseline}")
    rows = []
    for g in summary.groups:
        n_runs = str(len(g.counted)) + (f" ({g.n_incomplete} incomplete †)" if g.n_incomplete else "")
        row = [f"`{g.label}`", n_runs, str(g.n_failed)]
        for metric in task.metrics:
            row += [fmt_ci(g.final[metric]), fmt_ci(g.best[metric])]
        row += [fmt_ci(g.wall_time), fmt_ci(g.throughput)]
        if with_p:
            row.append(fmt_p(g))
        rows.append(row)
    return table(header, rows, ["---"] + ["--:"] * (len(header) - 1))


def _fidelity_note(jobs: list[Job]) -> Optional[str]:
    settings = {(e.get("extractor"), e.get("num_fake"), e.get("num_real"))
                for job in jobs if job.counted for e in job.history.fidelity[-1:]}
    if not settings:
        return None
    text = "; ".join(f"extractor `{x}`, {f} generated vs {r} real images" for x, f, r in sorted(settings, key=str))
    warn = " **Runs differ in these settings: their FIDs are not comparable.**" if len(settings) > 1 else ""
    return f"FID/KID: {text} (FID is biased upwards at small counts: compare FIDs only at equal counts).{warn}"


def task_section(summary: TaskSummary, figures: list[Figure], multi_task: bool) -> list[str]:
    task = summary.task
    jobs = [job for g in summary.groups for job in g.jobs]
    lows = [metric_label(m) for m in task.metrics if best_mode(m) == "min"]
    highs = [metric_label(m) for m in task.metrics if best_mode(m) == "max"]
    best = "; ".join(x for x in (f"lowest {', '.join(lows)}" if lows else "",
                                 f"highest {', '.join(highs)}" if highs else "") if x)
    lines = [f"## {task.label}{' (' + task.name + ')' if multi_task else ''}: summary per upsampler", "",
             "Mean ± 95 % CI half-width over seeds (Student t: t(0.975, n−1)·s/√n; `± n/a` for a single run). "
             "*Final*: the last validation; *best*: the best validation of each run "
             f"({best}), chosen on the numbers it reports, so optimistic. "
             "*n runs*: runs in the statistics (completed, and incomplete runs that logged validations, marked †); "
             "*n failed*: failed or diverged runs, left out of the statistics. Wall time and throughput come from "
             "`run.json` (n/a where no run wrote one).", ""]
    if summary.baseline_found:
        lines += [f"p: two-sided Welch's t-test (unequal variances) of the final {metric_label(task.primary)} "
                  f"against the baseline `{summary.baseline}`; n/a with fewer than 2 runs on either side.", ""]
    else:
        lines += [f"The baseline `{summary.baseline}` is not in this sweep: no p-values (choose one with "
                  "`--baseline`).", ""]
    lines += summary_table(summary) + [""]
    if task.name == "gan" and (note := _fidelity_note(jobs)):
        lines += [note, ""]
    for fig in figures:
        lines += [f"### {fig.title}", ""]
        if fig.path is not None:
            lines += [f"![{fig.title}]({fig.path.name})", ""]
        else:
            lines += ["*(not drawn)*", ""]
        lines += [fig.caption, ""] + [f"- {n}" for n in fig.notes] + ([""] if fig.notes else [])
    return lines


def problem_section(jobs: list[Job]) -> list[str]:
    lines = ["## Failed or incomplete jobs", ""]
    bad = [job for job in jobs if job.status != "completed"]
    if not bad:
        return lines + [f"None: all {len(jobs)} jobs completed.", ""]
    rows = [[f"`{job.name}`", f"`{job.upsampler}`", "?" if job.seed is None else str(job.seed), job.status,
             "yes (flagged †)" if job.flagged else "no", escape(job.error)] for job in bad]
    lines += table(["job", "upsampler", "seed", "status", "in statistics", "error"], rows) + [""]
    troubled = [job for job in jobs if job.problems]
    if troubled:
        lines += ["Files that could not be read:", ""]
        lines += [f"- job `{job.name}`: " + escape("; ".join(job.problems)) for job in troubled] + [""]
    return lines


def render(sweep_dir: Path, jobs: list[Job], summaries: list[TaskSummary], task_figures: dict[str, list[Figure]],
           extra_figures: list[Figure]) -> str:
    counts = {s: sum(job.status == s for job in jobs) for s in ("completed", "incomplete", "failed", "diverged")}
    lines = ["# Sweep report", "",
             f"Sweep `{sweep_dir}`: {len(jobs)} job{'s' if len(jobs) != 1 else ''} — "
             + ", ".join(f"{n} {s}" for s, n in counts.items()) + ".",
             "Per job: [results.csv](results.csv); per upsampler at full precision: [summary.csv](summary.csv).", ""]
    for summary in summaries:
        lines += task_section(summary, task_figures.get(summary.task.name, []), len(summaries) > 1)
    for fig in extra_figures:
        lines += [f"## {fig.title}", ""]
        lines += ([f"![{fig.title}]({fig.path.name})", ""] if fig.path is not None else ["*(not drawn)*", ""])
        lines += [fig.caption, ""] + [f"- {n}" for n in fig.notes] + ([""] if fig.notes else [])
    lines += problem_section(jobs)
    return "\n".join(lines).rstrip() + "\n"
