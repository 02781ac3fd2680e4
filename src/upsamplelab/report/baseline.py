"""The upsampler a study's comparisons are made against: the ``baseline`` key of its jobs' configs (an experiment
file sets it, ``configs/train.yaml`` holds the default), else ``DEFAULT_BASELINE`` (jobs recorded before the key
existed, a ``results.csv`` without its jobs); ``--baseline`` of ``python -m upsamplelab.report`` overrides both."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from .job import Job

DEFAULT_BASELINE = "convT_k3"
CONFIG_KEY = "baseline"


class MixedBaselines(ValueError):
    """The jobs' configs name different baselines: the study has no single one."""


def study_baseline(jobs: Iterable[Job]) -> str:
    """The one ``baseline`` the jobs' configs name (jobs without the key do not count); ``DEFAULT_BASELINE`` where
    none names one.  Raises ``MixedBaselines`` (naming two jobs) when they disagree."""
    named: dict[str, str] = {}
    for job in jobs:
        value = job.config_value(CONFIG_KEY)
        if value is not None:
            named.setdefault(str(value), job.name)
    if len(named) > 1:
        (a, job_a), (b, job_b) = list(named.items())[:2]
        raise MixedBaselines(f"the jobs' configs name different baselines ({CONFIG_KEY}={a} in job {job_a}, "
                             f"{CONFIG_KEY}={b} in job {job_b}): choose one with --baseline")
    return next(iter(named), DEFAULT_BASELINE)
