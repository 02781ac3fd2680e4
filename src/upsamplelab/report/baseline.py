"""The upsampler a study's comparisons are made against: the ``baseline`` key of its jobs' configs (an experiment
file sets it, ``configs/train.yaml`` holds the default), else ``DEFAULT_BASELINE`` (jobs recorded before the key
existed); for a ``results.csv`` read without its jobs, the baseline of the ``summary.csv`` the same report wrote
beside it, else ``DEFAULT_BASELINE``.  ``--baseline`` of ``python -m upsamplelab.report`` overrides all of them."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from .job import Job

DEFAULT_BASELINE = "convT_k3"
CONFIG_KEY = "baseline"
SUMMARY_CSV = "summary.csv"     # its ``baseline`` column: the baseline each group was compared against


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


def recorded_baseline(results_csv: Path) -> str:
    """The one baseline the ``summary.csv`` beside ``results_csv`` names (written by the report that wrote both);
    ``DEFAULT_BASELINE`` where there is no such file or it names none.  Raises ``MixedBaselines`` when it names two."""
    path = Path(results_csv).with_name(SUMMARY_CSV)
    if not path.is_file():
        return DEFAULT_BASELINE
    with path.open(newline="") as f:
        named = sorted({row[CONFIG_KEY] for row in csv.DictReader(f) if row.get(CONFIG_KEY)})
    if len(named) > 1:
        raise MixedBaselines(f"{path} names different baselines ({', '.join(named)}): choose one with --baseline")
    return named[0] if named else DEFAULT_BASELINE
