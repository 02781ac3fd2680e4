"""``results.csv`` (one row per job: identity, status, every final and best validation metric, test metrics, the
final evaluation and its image counts, timings, error), ``summary.csv`` (one row per upsampler group: mean, 95 %
CI half-width and n of each summary metric and final-evaluation metric; Welch's p, Holm's p and Hedges' g against
the baseline) and ``comparisons.csv`` (one row per comparison with the baseline: everything ``compare`` computes and
the verdict), at full precision."""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any, Optional

from .history import FIDELITY_RECORDED
from .compare import Family, compared_members
from .job import Job
from .aggregate import TaskSummary
from .tasks import best_mode


def cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    return value


def _metric_order(jobs: list[Job], summaries: list[TaskSummary]) -> list[str]:
    first = [m for s in summaries for m in s.task.metrics]
    return list(dict.fromkeys(first + [m for job in jobs for m in job.history.metrics]))


def job_rows(summaries: list[TaskSummary]) -> list[dict[str, Any]]:
    pairs = sorted(((job, group) for s in summaries for group in s.groups for job in group.jobs),
                   key=lambda pair: pair[0].order)
    jobs = [job for job, _ in pairs]
    metrics = _metric_order(jobs, summaries)
    tests = list(dict.fromkeys(k for job in jobs for k in job.history.test))
    final_evals = list(dict.fromkeys(k for job in jobs for k in job.history.final_eval))
    rows = []
    for job, group in pairs:
        h = job.history
        fidelity = h.fidelity[-1] if h.fidelity else {}
        row = {"job": job.name, "task": job.task.name, "upsampler": job.upsampler, "seed": job.seed,
               "variant": group.variant, "status": job.status, "counted": job.counted, "flagged": job.flagged,
               "validations": len(h.validations),
               "last_epoch": h.validations[-1].epoch if h.validations else None}
        for metric in metrics:
            row[f"{metric}_final"] = h.final(metric) if metric in h.metrics else None
            if best_mode(metric):
                best, epoch = h.best(metric) if metric in h.metrics else (None, None)
                row[f"{metric}_best"] = best
                if metric == job.task.primary:
                    row[f"{metric}_best_epoch"] = epoch
        row |= {f"test_{k}": h.test.get(k) for k in tests}
        row |= {f"{k}_final_eval": h.final_eval.get(k) for k in final_evals}
        row |= {f"final_eval_{k}": h.final_record.get(k) for k in FIDELITY_RECORDED if final_evals}
        row |= {"wall_time_s": job.wall_time_s, "train_images_per_s": job.images_per_s, "cpu": job.cpu,
                **{f"fid_{k}": fidelity.get(k) for k in FIDELITY_RECORDED}, "error": job.error,
                "problems": "; ".join(job.problems) or None}
        rows.append(row)
    return rows


def summary_rows(summaries: list[TaskSummary]) -> list[dict[str, Any]]:
    rows = []
    for s in summaries:
        for g in s.groups:
            row = {"task": s.task.name, "upsampler": g.upsampler, "variant": g.variant, "n_runs": len(g.counted),
                   "n_incomplete": g.n_incomplete, "n_failed": g.n_failed}
            for kind, values in (("final", g.final), ("best", g.best), ("final_eval", g.final_eval)):
                for metric, m in values.items():
                    row |= {f"{metric}_{kind}_mean": m.mean, f"{metric}_{kind}_ci95": m.half_width,
                            f"{metric}_{kind}_n": m.n}
            if s.final_eval_metrics:                  # the final evaluations' settings, ";" between distinct ones
                records = [job.history.final_record for job in g.counted]
                row |= {f"final_eval_{k}": ";".join(sorted({str(r[k]) for r in records if k in r})) or None
                        for k in FIDELITY_RECORDED}
            for name, m in (("wall_time_s", g.wall_time), ("train_images_per_s", g.throughput)):
                row |= {f"{name}_mean": m.mean, f"{name}_ci95": m.half_width, f"{name}_n": m.n}
            row["baseline"] = s.baseline if s.baseline_found else None
            for (kind, metric), c in g.compared.items():
                row |= {f"p_welch_{metric}_{kind}": c.p, f"p_holm_{metric}_{kind}": c.p_holm,
                        f"hedges_g_{metric}_{kind}": c.g, f"p_note_{metric}_{kind}": c.note}
            rows.append(row)
    return rows


def _count(value: Optional[float]) -> Any:
    """A whole number as an int ("5", not "5.0"); inf and None as they are."""
    return int(value) if value is not None and math.isfinite(value) else value


def comparison_rows(families: list[Family]) -> list[dict[str, Any]]:
    """One row per group that is not the baseline, family by family (``compare``: one Holm family per task, kind
    and metric)."""
    rows = []
    for f, m in compared_members(families):
        c = m.comparison
        rows.append({"task": f.task, "kind": f.kind, "metric": f.metric, "upsampler": m.upsampler,
                     "variant": m.variant, "baseline": f.baseline, "n": c.n, "n_baseline": c.n_ref,
                     "mean": m.summary.mean, "difference": c.difference, "p_welch": c.p, "p_welch_holm": c.p_holm,
                     "hedges_g": c.g, "p_perm": c.p_perm, "perm_splits": c.perm_splits, "perm_exact": c.perm_exact,
                     "p_perm_holm": c.p_perm_holm, "alpha_power": c.alpha_power, "mdd80": c.mdd,
                     "seeds_needed80": _count(c.seeds_needed), "margin": c.margin,
                     "seeds_equivalence80": _count(c.seeds_equivalence), "p_tost": c.p_tost,
                     "p_tost_holm": c.p_tost_holm, "verdict": c.verdict, "note": c.note})
    return rows


def write_csv(rows: list[dict[str, Any]], path: Path) -> Optional[Path]:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows({k: cell(row.get(k)) for k in columns} for row in rows)
    return path
