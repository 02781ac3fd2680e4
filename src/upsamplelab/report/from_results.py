"""The comparisons of a study from its ``results.csv`` alone (one row per job, as ``results_csv.job_rows`` writes
it), for a study whose job records were not kept: the same families, values and order as ``summary.summarise``
gives from the jobs (the CSV holds each value at full precision: ``repr`` of the float)."""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Mapping

from .compare import Family, compare_family
from .aggregate import compared_quantities, directed_metrics
from .tasks import TASKS, UNKNOWN

REQUIRED = ("task", "upsampler", "variant", "counted")


class NotResultsError(ValueError):
    """The file is not a results.csv of ``upsamplelab.report``."""


def _value(text: str) -> float:
    return float(text) if text else math.nan


def families_from_results(path: Path, baseline: str, margins: Mapping[str, float]) -> list[Family]:
    """Every family of comparisons with ``baseline`` that the report makes, from ``path`` (a ``results.csv``)."""
    with Path(path).open(newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or ())]
    if missing or not rows:
        raise NotResultsError(f"{path} is not a results.csv of upsamplelab.report (no "
                              f"{', '.join(missing) or 'rows'})")
    families = []
    for task_name in dict.fromkeys(row["task"] for row in rows):
        task = TASKS.get(task_name, UNKNOWN)
        task_rows = [row for row in rows if row["task"] == task_name]
        counted = [row for row in task_rows if row["counted"] == "True"]
        keys = list(dict.fromkeys((row["upsampler"], row["variant"]) for row in task_rows))
        final_eval = directed_metrics(c[:-len("_final_eval")] for row in counted for c, v in row.items()
                                      if c.endswith("_final_eval") and v)
        logged = [m for m in task.compared_if_logged if any(row.get(f"{m}_final") for row in counted)]
        for kind, metric in compared_quantities(task, final_eval, logged):
            column = f"{metric}_{kind}"
            values = [[_value(row.get(column, "")) for row in counted if (row["upsampler"], row["variant"]) == key]
                      for key in keys]
            families.append(compare_family(task_name, kind, metric, keys, values, baseline, margins))
    return families
