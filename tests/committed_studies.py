"""The committed studies under ``docs/results/``: which have job records, which have report tables, and a study's
per-run values from its ``results.csv``, for the tests that rebuild or check their numbers."""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Optional

from conftest import REPO

RESULTS = REPO / "docs" / "results"
WITH_JOBS = sorted({p.parents[2] for p in RESULTS.glob("*/jobs/*/run.json")})        # rebuilt from jobs/
REPORTED = [study for study in WITH_JOBS if (study / "summary.csv").exists()]
FROM_RESULTS = sorted(p.parent for p in RESULTS.glob("*/comparisons.csv") if p.parent not in WITH_JOBS)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def study_values(study: str, column: str, task: str = "gan", seeds: Optional[set[int]] = None
                 ) -> dict[str, list[float]]:
    """``column`` of the counted runs of ``docs/results/<study>/results.csv`` per upsampler (the study has one
    variant), finite values only; of ``seeds`` only, when given."""
    values: dict[str, list[float]] = {}
    for row in read_rows(RESULTS / study / "results.csv"):
        if seeds is not None and int(row["seed"]) not in seeds:
            continue
        if row["task"] == task and row["counted"] == "True" and row.get(column):
            value = float(row[column])
            if math.isfinite(value):
                values.setdefault(row["upsampler"], []).append(value)
    return values
