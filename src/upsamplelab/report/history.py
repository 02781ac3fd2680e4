"""A job's history: the ``val/*``, ``test/*`` and ``final/*`` rows of ``metrics.csv``, the lines of ``fidelity.jsonl``
and ``final.json``.

Lightning's CSVLogger writes one row per logging call; validation rows carry ``val/*`` values, training rows
``train/*`` and empty cells for everything not logged in that row.  Rows of the same (epoch, step) are merged.  When
``metrics.csv`` holds no FID (a run killed before the logger flushed it), FID and KID come from ``fidelity.jsonl``,
which is appended at every validation.  The final evaluation of a GAN run (``GANModule.final_evaluation``) is its
``final/*`` row of ``metrics.csv`` (FID, FID∞, KID and the artifact metrics); ``final.json`` adds how it was measured
(extractor, image counts).

A row of ``metrics.csv`` counts only when it parsed completely: as many fields as the header, and a newline at its
end (the writer ends every row with one, so a last line without it was cut off mid-write: "…,47" may be a cut 477.5).
Other rows are dropped, listed in ``problems``, and mark the history ``partial``.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..run_dir import FIDELITY_LOG, FINAL_RECORD, METRICS_CSV
from ..metrics.registry import FIDELITY_METRICS
from .tasks import best_mode

FIDELITY_SETTINGS = ("extractor", "num_fake", "num_real")   # how a fidelity result was measured
BACKEND = "inception_backend"     # how the extractor ran (torch or onnxruntime: the same features, issue 27)
FIDELITY_RECORDED = (*FIDELITY_SETTINGS, BACKEND)


@dataclass
class Validation:
    epoch: Optional[int]
    step: Optional[int]
    values: dict[str, float] = field(default_factory=dict)


@dataclass
class History:
    validations: list[Validation] = field(default_factory=list)
    test: dict[str, float] = field(default_factory=dict)
    fidelity: list[dict] = field(default_factory=list)
    final_eval: dict[str, float] = field(default_factory=dict)
    final_record: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    partial: bool = False

    @property
    def metrics(self) -> list[str]:
        """Every validation metric, in the order first seen."""
        return list(dict.fromkeys(k for v in self.validations for k in v.values))

    def series(self, metric: str) -> list[tuple[Optional[int], float]]:
        """(epoch, value) of every validation that logged ``metric``."""
        return [(v.epoch, v.values[metric]) for v in self.validations if metric in v.values]

    def final(self, metric: str) -> float:
        """The value at the last validation that logged ``metric`` (NaN if none did)."""
        series = self.series(metric)
        return series[-1][1] if series else math.nan

    def best(self, metric: str) -> tuple[float, Optional[int]]:
        """(best value, its epoch) by ``best_mode(metric)`` over finite values; (NaN, None) if none or no mode."""
        mode = best_mode(metric)
        finite = [(value, epoch) for epoch, value in self.series(metric) if math.isfinite(value)]
        if mode is None or not finite:
            return math.nan, None
        pick = min if mode == "min" else max
        value = pick(value for value, _ in finite)
        return value, next(epoch for v, epoch in finite if v == value)


def _number(text: str) -> Optional[float]:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _int(text) -> Optional[int]:
    value = _number(text) if not isinstance(text, (int, float)) else text
    return None if value is None or not math.isfinite(value) else int(value)


def read_json(path: Path, problems: list[str]) -> Optional[dict]:
    """The JSON object in ``path``; None when there is no file, or (noted in ``problems``) an unreadable one."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        problems.append(f"{path.name} unreadable: {type(err).__name__}: {err}")
        return None
    if not isinstance(data, dict):
        problems.append(f"{path.name} is not a JSON object")
        return None
    return data


def complete_rows(path: Path, history: History) -> list[dict[str, str]]:
    """The rows of the CSV file ``path`` that parsed completely (see the module docstring), as dicts; every other
    row is noted in ``history.problems`` and makes it ``partial``."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        history.problems.append(f"{path.name} unreadable: {type(err).__name__}: {err}")
        return []
    complete, newline, cut = text.rpartition("\n")          # cut: what follows the last newline
    if cut:
        history.partial = True
        line = complete.count("\n") + 2 if newline else 1
        history.problems.append(f"{path.name} line {line} was cut off (no newline at its end): dropped {cut[:80]!r}")
    reader = csv.reader(io.StringIO(complete))
    rows = []
    try:
        header = next(reader, [])
        for row in reader:
            if row and len(row) != len(header):
                history.partial = True
                history.problems.append(f"{path.name} line {reader.line_num} has {len(row)} fields, the header "
                                        f"{len(header)}: dropped")
            elif row:
                rows.append(dict(zip(header, row)))
    except csv.Error as err:
        history.partial = True
        history.problems.append(f"{path.name} unreadable from line {reader.line_num} on: csv.Error: {err}")
    return rows


def read_metrics_csv(path: Path, history: History) -> None:
    """Add the validation, test and final-evaluation rows of a Lightning ``metrics.csv`` to ``history``."""
    if not path.is_file():
        return
    merged: dict[tuple, Validation] = {}
    for row in complete_rows(path, history):
        val, test = {}, {}
        for key, cell in row.items():
            if cell == "":
                continue
            for prefix, target in (("val/", val), ("test/", test), ("final/", history.final_eval)):
                if key.startswith(prefix) and (value := _number(cell)) is not None:
                    target[key[len(prefix):]] = value
        history.test.update(test)
        if val:
            epoch, step = _int(row.get("epoch")), _int(row.get("step"))
            merged.setdefault((epoch, step), Validation(epoch, step)).values.update(val)
    history.validations.extend(merged.values())


def read_fidelity_jsonl(path: Path, history: History) -> None:
    """Read ``fidelity.jsonl``; when no validation has an FID, take FID/KID (IS) from it, matched by epoch."""
    if not path.is_file():
        return
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            history.problems.append(f"fidelity.jsonl line {number} is not JSON (skipped)")
            continue
        if isinstance(entry, dict):
            history.fidelity.append(entry)
    if any("fid" in v.values for v in history.validations):
        return
    by_epoch = {v.epoch: v for v in history.validations}
    for entry in history.fidelity:
        epoch = _int(entry.get("epoch"))
        target = by_epoch.get(epoch)
        if target is None:
            target = by_epoch[epoch] = Validation(epoch, _int(entry.get("step")))
            history.validations.append(target)
        target.values.update({k: float(entry[k]) for k in FIDELITY_METRICS
                              if isinstance(entry.get(k), (int, float)) and k not in target.values})
    history.validations.sort(key=lambda v: (v.epoch is None, v.epoch if v.epoch is not None else 0))


def read_history(job_dir: Path) -> History:
    history = History()
    read_metrics_csv(job_dir / METRICS_CSV, history)
    read_fidelity_jsonl(job_dir / FIDELITY_LOG, history)
    history.final_record = read_json(job_dir / FINAL_RECORD, history.problems) or {}
    return history
