"""Jobs grouped per upsampler (per task, and per any other override that varies across the sweep), with the mean
and 95 % CI over seeds of every summary metric's final and best value, and Welch's p against the baseline."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .job import Job
from .stats import MeanCI, mean_ci, welch_p
from .tasks import TaskSpec

IGNORED_KEYS = frozenset({"seed", "upsampler"})


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
    wall_time: Optional[MeanCI] = None
    throughput: Optional[MeanCI] = None
    p_value: Optional[float] = None
    p_note: str = ""

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

    def finals(self, metric: str) -> list[float]:
        return [job.history.final(metric) for job in self.counted]

    def bests(self, metric: str) -> list[float]:
        return [job.history.best(metric)[0] for job in self.counted]


@dataclass
class TaskSummary:
    task: TaskSpec
    groups: list[Group]
    baseline: str
    baseline_found: bool


def summarise(jobs: list[Job], baseline: str) -> list[TaskSummary]:
    """One ``TaskSummary`` per task in the sweep, groups in the order of their first job."""
    varying = varying_overrides(jobs)
    groups: dict[tuple, Group] = {}
    for job in jobs:
        variant = " ".join(f"{k}={job.overrides[k]}" for k in varying if k in job.overrides)
        key = (job.task.name, job.upsampler, variant)
        groups.setdefault(key, Group(job.task, job.upsampler, variant)).jobs.append(job)
    for group in groups.values():
        counted = group.counted
        for metric in group.task.metrics:
            group.final[metric], group.best[metric] = mean_ci(group.finals(metric)), mean_ci(group.bests(metric))
        group.wall_time = mean_ci(job.wall_time_s for job in counted)
        group.throughput = mean_ci(job.images_per_s for job in counted)
    summaries = []
    for task in dict.fromkeys(g.task for g in groups.values()):
        task_groups = [g for g in groups.values() if g.task == task]
        found = any(g.upsampler == baseline for g in task_groups)
        for group in task_groups:
            reference = next((g for g in task_groups if g.upsampler == baseline and g.variant == group.variant), None)
            if reference is None:
                group.p_note = "no baseline"
            elif reference is group:
                group.p_note = "baseline"
            else:
                group.p_value = welch_p(group.finals(task.primary), reference.finals(task.primary))
                group.p_note = "" if group.p_value is not None else "n/a (< 2 runs)"
        summaries.append(TaskSummary(task, task_groups, baseline, found))
    return summaries
