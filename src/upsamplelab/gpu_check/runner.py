"""Run one GPU-check step: a subprocess in its own process group, stopped at its time budget, its output logged.

A step that exits non-zero is "failed", one still running at its budget is "timed out".  Then (and after every step)
its whole process group (torch.compile's workers, DataLoader workers, pytest's children) gets SIGTERM, then SIGKILL
``GRACE_S`` seconds later, so nothing of a step outlives it.  Either way the record says so and the caller goes on
with the next step.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .steps import Step

GRACE_S = 5
TAIL_CHARS = 2000


def tail(path: Path, chars: int = TAIL_CHARS) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return text[-chars:]


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM to the step's process group, SIGKILL to whatever of it is left ``GRACE_S`` seconds later."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=GRACE_S)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run_step(step: Step, out: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``python <step.args>`` in ``out`` (its log in ``out/logs/<name>.log``) and return its record:
    name, what, budget_s, command, status ("passed" | "failed" | "timed out" | "skipped"), returncode, seconds,
    log, output (the file it was to write, when it exists) and, unless it passed, the log's tail."""
    record: dict[str, Any] = {"name": step.name, "what": step.what, "budget_s": step.budget_s,
                              "command": " ".join(["python", *step.args])}
    if step.skip:
        return record | {"status": "skipped", "reason": step.skip, "returncode": None, "seconds": 0.0}
    log = out / "logs" / f"{step.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with log.open("w") as f:
        proc = subprocess.Popen([sys.executable, *step.args], cwd=out, env=env, stdout=f, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            returncode = proc.wait(timeout=step.budget_s)
            status = "passed" if returncode == 0 else "failed"
        except subprocess.TimeoutExpired:
            returncode, status = None, "timed out"
        stop_group(proc)                                  # also any worker a finished step left behind
    record |= {"status": status, "returncode": returncode, "seconds": round(time.monotonic() - start, 1),
               "log": str(log.relative_to(out))}
    if step.output and (out / step.output).exists():
        record["output"] = step.output
    if status != "passed":
        record["log_tail"] = tail(log)
    return record
