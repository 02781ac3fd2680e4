"""What the artifact benchmark (``artifact_benchmark``) finds, as records its report (``artifact_report``) reads:
one ``Row`` per (case, metric), the acceptance checks, and the two thresholds both quote."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

AUC_TARGET = 0.9            # an artifact is "seen" from the smallest amplitude whose ROC-AUC reaches this
PEAK_AMPLITUDE = 0.08       # the peak check's cosines, in units of each image's std


@dataclass
class Row:
    """One (case, metric) result.  ``group``: "artifact", "control", "peak_check" or "checkpoint"."""

    dataset: str
    group: str
    case: str
    amplitude: Optional[float]
    metric: str
    auc: Optional[float] = None
    value: Optional[float] = None
    low: Optional[float] = None
    high: Optional[float] = None


@dataclass
class Results:
    settings: dict
    rows: list[Row] = field(default_factory=list)
    checks: list[tuple[str, float, str, bool]] = field(default_factory=list)     # (what, measured, target, ok)

    def get(self, dataset: str, group: str, case: str, metric: str, amplitude: Optional[float] = None) -> Row:
        return next(r for r in self.rows if (r.dataset, r.group, r.case, r.metric) == (dataset, group, case, metric)
                    and (amplitude is None or r.amplitude == amplitude))
