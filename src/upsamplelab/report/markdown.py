"""``report.md``: the per-upsampler tables, the comparisons with the baseline and which of them hold after Holm's
correction, the final evaluation, the figures (relative links) and every job that did not complete.  Paths are
relative to the report's folder, so a committed report rebuilds the same from a clone."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .compare import Comparison
from .comparison_md import comparison_section
from .history import BACKEND, FIDELITY_SETTINGS
from .job import Job
from .md_cells import fmt, fmt_ci, fmt_p, table
from .stats import ALPHA
from .aggregate import TaskSummary
from .tasks import best_mode, metric_label

COMPARISON_HEADER = ["p (Holm)", "g"]        # after each table's Welch p column


@dataclass
class Figure:
    title: str
    caption: str
    path: Optional[Path]
    notes: list[str] = field(default_factory=list)


def comparison_cells(c: Comparison) -> list[str]:
    """Welch's p, Holm's p, Hedges' g."""
    if c.note in ("baseline", "no baseline"):
        return [c.note, "—", "—"]
    return [fmt_p(c.p, c.note), fmt_p(c.p_holm), fmt(c.g)]


def escape(text: Optional[str], limit: int = 400) -> str:
    text = " ".join(str(text or "").split()).replace("|", "\\|")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def summary_table(summary: TaskSummary) -> list[str]:
    task, with_p = summary.task, summary.baseline_found
    header = ["upsampler", "n runs", "n failed"]
    for metric in task.metrics:
        header += [f"{metric_label(metric)} final", f"{metric_label(metric)} best"]
    header += ["wall time (s)", "throughput (img/s)"]
    if with_p:
        header += [f"p, final {metric_label(task.primary)} vs {summary.baseline}", *COMPARISON_HEADER]
    rows = []
    for g in summary.groups:
        n_runs = str(len(g.counted)) + (f" ({g.n_incomplete} incomplete †)" if g.n_incomplete else "")
        row = [f"`{g.label}`", n_runs, str(g.n_failed)]
        for metric in task.metrics:
            row += [fmt_ci(g.final[metric]), fmt_ci(g.best[metric])]
        row += [fmt_ci(g.wall_time), fmt_ci(g.throughput)]
        if with_p:
            row += comparison_cells(g.compared[("final", task.primary)])
        rows.append(row)
    return table(header, rows, ["---"] + ["--:"] * (len(header) - 1))


def variant_table(summary: TaskSummary) -> list[str]:
    """When other overrides than seed and upsampler vary (``summary.varying_overrides``: a recipe, a learning rate),
    the primary metric's final value with one row per upsampler and one column per variant, and each upsampler's
    rank within its column (1: best by the mean): whether a ranking survives the variant, at a glance.  Nothing
    when there is one variant."""
    variants = list(dict.fromkeys(g.variant for g in summary.groups))
    if len(variants) < 2:
        return []
    metric = summary.task.primary
    cells = {(g.upsampler, g.variant): g.final[metric] for g in summary.groups}
    ranks: dict[tuple[str, str], int] = {}
    for variant in variants:
        scored = sorted((m.mean, upsampler) for (upsampler, v), m in cells.items()
                        if v == variant and m.n and math.isfinite(m.mean))
        if best_mode(metric) == "max":
            scored.reverse()
        ranks.update({(upsampler, variant): rank for rank, (_, upsampler) in enumerate(scored, 1)})
    upsamplers = list(dict.fromkeys(g.upsampler for g in summary.groups))
    rows = [[f"`{u}`"] + [fmt_ci(cells.get((u, v))) + (f" ({ranks[(u, v)]})" if (u, v) in ranks else "")
                          for v in variants] for u in upsamplers]
    label = metric_label(metric)
    return ([f"**Final {label} by {', '.join(summary.varying_overrides)}** (mean ± 95 % CI over seeds; in brackets "
             f"the rank within the column by the mean, 1 = best: ranks whose CIs overlap are not established):", ""]
            + table(["upsampler", *variants], rows, ["---"] + ["--:"] * len(variants)) + [""])


def settings_note(what: str, records: list[dict]) -> Optional[str]:
    """How the FIDs of ``records`` (fidelity results) were measured: extractor and image counts, a warning when
    they differ; and the backend the extractor ran on, where recorded (records without one ran on torch)."""
    settings = {tuple(e.get(k) for k in FIDELITY_SETTINGS) for e in records}
    if not settings:
        return None
    text = "; ".join(f"extractor `{x}`, {f} generated vs {r} real images" for x, f, r in sorted(settings, key=str))
    warn = " **Runs differ in these settings: their FIDs are not comparable.**" if len(settings) > 1 else ""
    note = f"{what}: {text} (FID is biased upwards at small counts: compare FIDs only at equal counts).{warn}"
    if any(BACKEND in e for e in records):
        backends = Counter(e.get(BACKEND) or "torch (not recorded)" for e in records)
        note += (" Inception backend: " + ", ".join(f"`{b}` in {n} run{'s' * (n != 1)}" for b, n in
                                                     sorted(backends.items()))
                 + (" (the same network; `python -m upsamplelab.analysis.backend_agreement` measures how closely "
                    "their FIDs agree)" if len(backends) > 1 else "") + ".")
    return note


def direction(g: float, metric: str) -> str:
    """"lower, better" (a negative Hedges' g on a metric where lower is better), "higher, worse", ..."""
    side, better = ("lower" if g < 0 else "higher"), best_mode(metric)
    return f"{side}, {'better' if (side == 'lower') == (better == 'min') else 'worse'}" if better else side


def holds_sentence(summary: TaskSummary, kind: str, metric: str) -> Optional[str]:
    """Which differences from the baseline on (``kind``, ``metric``) hold after Holm's correction at ``ALPHA``."""
    tested = [(group, group.compared[(kind, metric)]) for group in summary.groups]
    tested = [(group, c) for group, c in tested if c.tested]
    if not tested:
        return None
    held = [f"`{group.label}` ({direction(c.g, metric)}: g = {fmt(c.g)}, p (Holm) = {fmt_p(c.p_holm)})"
            for group, c in tested if c.holds]
    rest = [f"`{group.label}`" for group, c in tested if not c.holds]
    text = (f"*{metric_label(metric)}*: after Holm's correction over the {len(tested)} "
            f"comparison{'s' * (len(tested) != 1)} with the baseline `{summary.baseline}`, at α = {ALPHA}: ")
    if not held:
        return text + f"no difference holds ({', '.join(rest)})."
    return text + f"{', '.join(held)} differ{'s' * (len(held) == 1)}" + (
        f"; {', '.join(rest)} do{'es' * (len(rest) == 1)} not." if rest else ".")


def final_eval_section(summary: TaskSummary) -> list[str]:
    """Mean ± CI of every final-evaluation metric, the comparisons with the baseline; nothing without one."""
    metrics = summary.final_eval_metrics
    if not metrics:
        return []
    lines = ["### Final evaluation", "",
             "Each run's evaluation after training (`final/*` in `metrics.csv`, `final.json`: one scoring of the "
             "chosen checkpoint on more images than the validations), mean ± 95 % CI over seeds as above. "
             "*n runs*: runs in the statistics with a final evaluation.", ""]
    records = [job.history.final_record for g in summary.groups for job in g.counted if job.history.final_record]
    if note := settings_note("Final evaluation", records):
        lines += [note, ""]
    rows = [[f"`{g.label}`", str(sum(bool(job.history.final_eval) for job in g.counted))]
            + [fmt_ci(g.final_eval[m]) for m in metrics] for g in summary.groups]
    lines += table(["upsampler", "n runs"] + [metric_label(m) for m in metrics], rows,
                   ["---"] + ["--:"] * (len(metrics) + 1)) + [""]
    if not summary.baseline_found:
        return lines
    rows = [[f"`{g.label}`", metric_label(m)] + comparison_cells(g.compared[("final_eval", m)])
            for g in summary.groups for m in metrics if g.compared[("final_eval", m)].note != "baseline"]
    lines += [f"Against the baseline `{summary.baseline}` (p, p (Holm), g as above; one Holm family per metric):",
              ""] + table(["upsampler", "metric", "p (Welch)", *COMPARISON_HEADER], rows,
                          ["---", "---", "--:", "--:", "--:"]) + [""]
    sentences = [s for m in metrics if (s := holds_sentence(summary, "final_eval", m))]
    return lines + [f"- {s}" for s in sentences] + ([""] if sentences else [])


def cpus_sentence(jobs: list[Job]) -> str:
    """Which CPUs the timings come from, as ``run.json`` records them (nothing where none does): with more than one,
    a warning that wall times compare only within a CPU."""
    cpus = sorted({job.cpu for job in jobs if job.cpu})
    unnamed = sum(1 for job in jobs if not job.cpu)
    if not cpus:
        return ""
    if len(cpus) == 1 and not unnamed:
        return f" All runs on {cpus[0]}."
    named = "; ".join(f"{cpu} ({runs(sum(job.cpu == cpu for job in jobs))})" for cpu in cpus)
    return (f" **The runs come from more than one machine**: {named}"
            f"{f', and {runs(unnamed)} that name none' if unnamed else ''}; compare wall times within one CPU "
            "(results.csv, column `cpu`).")


def runs(n: int) -> str:
    return f"{n} run{'' if n == 1 else 's'}"


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
             f"`run.json` (n/a where no run wrote one).{cpus_sentence(jobs)}", ""]
    if summary.baseline_found:
        lines += [f"p: two-sided Welch's t-test (unequal variances) of the final {metric_label(task.primary)} "
                  f"against the baseline `{summary.baseline}`; n/a with fewer than 2 runs on either side. "
                  "p (Holm): Holm's (1979) step-down adjustment over the comparisons with the baseline on the same "
                  f"metric, so that together they keep a family-wise error rate of α = {ALPHA}. "
                  "g: Hedges' g of the upsampler minus the baseline (difference of means over the pooled SD, times "
                  "1 − 3/(4(n₁+n₂)−9)); negative: lower than the baseline.", ""]
    else:
        lines += [f"The baseline `{summary.baseline}` is not in this sweep: no p-values (choose one with "
                  "`--baseline`).", ""]
    lines += summary_table(summary) + [""]
    sentences = [s for m in task.compared_final if (s := holds_sentence(summary, "final", m))]
    lines += [f"- {s}" for s in sentences] if len(sentences) > 1 else sentences
    lines += [""] if sentences else []
    lines += variant_table(summary)
    if task.name == "gan" and (note := settings_note("FID/KID", [job.history.fidelity[-1] for job in jobs
                                                                if job.counted and job.history.fidelity])):
        lines += [note, ""]
    lines += final_eval_section(summary)
    if summary.baseline_found:
        lines += ["### Against the baseline: permutation test, power, equivalence", ""]
        lines += comparison_section(summary.families)
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


def render(sweep: str, jobs: list[Job], summaries: list[TaskSummary], task_figures: dict[str, list[Figure]],
           extra_figures: list[Figure]) -> str:
    counts = {s: sum(job.status == s for job in jobs) for s in ("completed", "incomplete", "failed", "diverged")}
    lines = ["# Sweep report", "",
             f"Sweep `{sweep}`: {len(jobs)} job{'s' if len(jobs) != 1 else ''} — "
             + ", ".join(f"{n} {s}" for s, n in counts.items()) + ".",
             "Per job: [results.csv](results.csv); per upsampler at full precision: [summary.csv](summary.csv); per "
             "comparison with the baseline: [comparisons.csv](comparisons.csv).", ""]
    for summary in summaries:
        lines += task_section(summary, task_figures.get(summary.task.name, []), len(summaries) > 1)
    for fig in extra_figures:
        lines += [f"## {fig.title}", ""]
        lines += ([f"![{fig.title}]({fig.path.name})", ""] if fig.path is not None else ["*(not drawn)*", ""])
        lines += [fig.caption, ""] + [f"- {n}" for n in fig.notes] + ([""] if fig.notes else [])
    lines += problem_section(jobs)
    return "\n".join(lines).rstrip() + "\n"
