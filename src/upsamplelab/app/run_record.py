"""``run.json``: what a run is and how it ended, next to its outputs.  Written "running" with the run's identity
(``reliability.job_identity``) when it starts, rewritten when it ends.  The sweep report reads it; a relaunched sweep
skips jobs whose record says "completed" and refuses a directory whose identity is another job's.

    {"status": "running" | "completed" | "diverged" | "failed" | "interrupted",
     "identity": ["upsampler=convT_k3", ...] | null, "error": "<Type>: <message>" | null,
     "wall_time_s": float (all starts of the run together), "train_images_per_s": float | null,
     "epochs": int | null, "global_step": int | null, "monitor": str | null, "monitor_mode": str | null,
     "objective": float | null, "machine": {"cpu": str, "cores": int, "torch_threads": int, "gpu": str | null, ...}}

``machine`` (``app.machine``) is the machine of the run's last start: a resumed run's wall time may span several.

A job whose record says "running" was killed or is still running; "interrupted": stopped by SIGTERM/SIGINT
(``reliability.interrupt``), resumable from its ``last.ckpt``.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Optional

from ..reliability.atomic import atomic_write_text
from ..run_dir import RUN_RECORD

STATUSES = ("running", "completed", "diverged", "failed", "interrupted")


def write_run_record(run_dir: Path, status: str, **fields: Any) -> Path:
    """Write ``run.json`` (atomically: temp file + rename) with ``status`` and ``fields``; NaN becomes null."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {list(STATUSES)}, got {status!r}")
    clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in fields.items()}
    path = Path(run_dir) / RUN_RECORD
    atomic_write_text(path, json.dumps({"status": status, **clean}, indent=2) + "\n")
    return path


def read_run_record(run_dir: Path) -> Optional[dict[str, Any]]:
    """The run's record, or None when it has none (or an unreadable one)."""
    try:
        return json.loads((Path(run_dir) / RUN_RECORD).read_text())
    except (OSError, ValueError):
        return None
