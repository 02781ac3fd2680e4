"""Jobs grouped per upsampler (per task, and per any other override that varies across the sweep), with the mean
and 95 % CI over seeds of every summary metric's final and best value and of every metric of the final evaluation,
and the comparisons against the baseline (``compare``): the final value of the task's compared metrics (the primary
first), every final-evaluation metric."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Optional

from ..metrics.registry import METRICS
from .baseline import study_baseline
from .compare import Comparison, Family, compare_family
from .history import History
from .job import Job
from .stats import MeanCI, mean_ci
from .tasks import TaskSpec

IGNORED_KEYS = frozenset({"seed", "upsampler"})
KINDS: dict[str, Callable[[History, str], float]] = {
    "final": lambda history, metric: history.final(metric),                 # the last validation
    "best": lambda history, metric: history.best(metric)[0],                # the best validation
    "final_eval": lambda history, metric: history.final_eval.get(metric, math.nan),    # the final evaluation
}


def varying_overrides(jobs: list[Job]) -> list[str]:
    """Override keys (besides seed and upsampler) whose value differs between jobs: they split the groups."""
    keys = dict.fromkeys(k for job in jobs for k in job.overrides)
    return [k for k in keys if k not in IGNORED_KEYS and len({job.overrides.get(k) for job in jobs}) > 1]


@dataclass
class Group:
    task: TaskSpec
    upsampler: str
    variant: str
    jobs: list[Job] = field(default_factory=list)
    final: dict[str, MeanCI] = field(default_factory=dict)
    best: dict[str, MeanCI] = field(default_factory=dict)
    final_eval: dict[str, MeanCI] = field(default_factory=dict)
    wall_time: Optional[MeanCI] = None
    throughput: Optional[MeanCI] = None
    compared: dict[tuple[str, str], Comparison] = field(default_factory=dict)     # (kind, metric) -> vs baseline

    @property
    def label(self) -> str:
        return f"{self.upsampler} ({self.variant})" if self.variant else self.upsampler

    @property
    def counted(self) -> list[Job]:
        return [job for job in self.jobs if job.counted]

    @property
    def n_failed(self) -> int:
        """Failed and diverged runs (left out of the statistics)."""
        return sum(job.status in ("failed", "diverged") for job in self.jobs)

    @property
    def n_incomplete(self) -> int:
        """Incomplete runs counted in the statistics (flagged)."""
        return sum(job.flagged for job in self.jobs)

    def values(self, kind: str, metric: str) -> list[float]:
        """One value per counted run: ``kind`` is one of ``KINDS``; NaN where a run has none."""
        return [KINDS[kind](job.history, metric) for job in self.counted]


@dataclass
class TaskSummary:
    task: TaskSpec
    groups: list[Group]
    baseline: str
    baseline_found: bool
    final_eval_metrics: list[str] = field(default_factory=list)
    logged_compared: list[str] = field(default_factory=list)        # of the task's ``compared_if_logged``
    varying_overrides: list[str] = field(default_factory=list)      # what splits an upsampler's runs into groups
    families: list[Family] = field(default_factory=list)            # one per ``comparisons`` pair, in order

    @property
    def comparisons(self) -> list[tuple[str, str]]:
        return compared_quantities(self.task, self.final_eval_metrics, self.logged_compared)


def compared_quantities(task: TaskSpec, final_eval: list[str], logged: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The (kind, metric) pairs compared against the baseline, each a family of its own for Holm: the final value
    of the task's compared metrics (``TaskSpec.compared_final``: the primary first) and of those of its
    ``compared_if_logged`` that are in ``logged``, then every metric of the final evaluation."""
    logged = set(logged)
    return ([("final", m) for m in task.compared_final]
            + [("final", m) for m in task.compared_if_logged if m in logged]
            + [("final_eval", m) for m in final_eval])


def directed_metrics(logged: Iterable[str]) -> list[str]:
    """The registered metrics with a direction (FID, FID∞, KID, the artifact metrics, ...) among ``logged``, in the
    registry's order: the final evaluation's metrics that the report summarises and compares."""
    logged = set(logged)
    return [m for m, spec in METRICS.items() if spec.better and m in logged]


def final_eval_metrics(jobs: list[Job]) -> list[str]:
    """The directed metrics that some counted job logged at its final evaluation."""
    return directed_metrics(m for job in jobs if job.counted for m in job.history.final_eval)


def summarise(jobs: list[Job], baseline: Optional[str] = None,
              margins: Optional[Mapping[str, float]] = None) -> list[TaskSummary]:
    """One ``TaskSummary`` per task in the sweep, groups in the order of their first job; ``baseline``: None for the
    one the jobs' configs name (``baseline.study_baseline``); ``margins``: equivalence margins by metric name over
    the registry's (``compare.margin_of``)."""
    baseline = baseline if baseline is not None else study_baseline(jobs)
    varying = varying_overrides(jobs)
    groups: dict[tuple, Group] = {}
    for job in jobs:
        variant = " ".join(f"{k}={job.overrides[k]}" for k in varying if k in job.overrides)
        key = (job.task.name, job.upsampler, variant)
        groups.setdefault(key, Group(job.task, job.upsampler, variant)).jobs.append(job)
    for group in groups.values():
        counted = group.counted
        for metric in group.task.metrics:
            group.final[metric] = mean_ci(group.values("final", metric))
            group.best[metric] = mean_ci(group.values("best", metric))
        group.wall_time = mean_ci(job.wall_time_s for job in counted)
        group.throughput = mean_ci(job.images_per_s for job in counted)
    summaries = []
    for task in dict.fromkeys(g.task for g in groups.values()):
        task_groups = [g for g in groups.values() if g.task == task]
        task_jobs = [job for g in task_groups for job in g.jobs]
        logged = {m for job in task_jobs if job.counted for m in job.history.metrics}
        summary = TaskSummary(task, task_groups, baseline, any(g.upsampler == baseline for g in task_groups),
                              final_eval_metrics(task_jobs), [m for m in task.compared_if_logged if m in logged],
                              varying)
        for group in task_groups:
            group.final_eval = {m: mean_ci(group.values("final_eval", m)) for m in summary.final_eval_metrics}
        keys = [(g.upsampler, g.variant) for g in task_groups]
        for kind, metric in summary.comparisons:
            family = compare_family(task.name, kind, metric, keys, [g.values(kind, metric) for g in task_groups],
                                    baseline, margins or {})
            summary.families.append(family)
            for group, member in zip(task_groups, family.members):
                group.compared[(kind, metric)] = member.comparison
        summaries.append(summary)
    return summaries
