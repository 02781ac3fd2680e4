"""The committed studies under ``docs/results/``: which have job records, which have report tables, a study's
per-run values from its ``results.csv``, and the comparison of a rebuilt table with the committed one (text exactly,
numbers to a relative 1e-12: their last digits may differ between NumPy/SciPy builds and CPUs), for the tests that
rebuild or check their numbers."""
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


REL = 1e-12


def number(cell: str):
    """The float a cell holds, or None for text (an integer, "nan" and "inf" are numbers)."""
    try:
        return float(cell)
    except ValueError:
        return None


def same_cell(a: str, b: str) -> bool:
    x, y = number(a), number(b)
    if x is None or y is None:
        return a == b
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return math.isclose(x, y, rel_tol=REL, abs_tol=0.0)


def assert_same_table(rebuilt: Path, committed: Path, command: str) -> None:
    with rebuilt.open(newline="") as f:
        new = list(csv.reader(f))
    with committed.open(newline="") as f:
        old = list(csv.reader(f))
    hint = f"{committed.relative_to(REPO)} is not what its records give: rebuild it with {command}"
    assert new[:1] == old[:1] and len(new) == len(old), hint
    for i, (a, b) in enumerate(zip(new[1:], old[1:]), 2):
        differ = [(name, x, y) for name, x, y in zip(old[0], a, b) if not same_cell(x, y)]
        assert not differ and len(a) == len(b), f"{hint} (line {i}: {differ[:3]})"
