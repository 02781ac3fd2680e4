"""One job directory of a Hydra multirun, read into a ``Job``: identity, status, timings and history.

Status: ``run.json``'s ``status`` ("completed", "failed", "diverged"); a ``DIVERGED`` marker (the divergence guard)
makes it "diverged" in any case; a job whose record says "running" or "interrupted", that has none, or an
unreadable one, is "incomplete" (killed, stopped, or still running), and so is a "completed" one whose
``metrics.csv`` has rows that did not parse completely (``history.partial``: a file cut off mid-write).  Incomplete
jobs that logged validations still count in the statistics, flagged; failed and diverged ones do not.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from omegaconf import DictConfig, ListConfig, OmegaConf

from ..run_dir import DIVERGED, HYDRA_DIR, OVERRIDES, RUN_RECORD, run_config
from .history import History, read_history, read_json
from .tasks import TaskSpec, task_from_metrics, task_from_target

STATUSES = ("completed", "incomplete", "failed", "diverged")
COUNTED = ("completed", "incomplete")        # statuses whose values enter the statistics
UNFINISHED = {"running": "killed, or still running",                  # run.json statuses that mean "incomplete"
              "interrupted": "stopped by a signal, resumable from its last.ckpt"}


@dataclass
class Job:
    path: Path
    name: str
    config: Optional[DictConfig]
    overrides: dict[str, str]
    upsampler: str
    seed: Optional[int]
    task: TaskSpec
    status: str
    error: Optional[str]
    wall_time_s: Optional[float]
    images_per_s: Optional[float]
    history: History
    problems: list[str] = field(default_factory=list)
    order: int = 0
    refused: Optional[str] = None        # why its files were refused as code (``real_data``): the report fails
    cpu: Optional[str] = None            # the CPU model ``run.json`` names (``app.machine``), if it names one

    @property
    def counted(self) -> bool:
        """Its values enter the statistics: completed, or incomplete with at least one validation."""
        return self.status in COUNTED and bool(self.history.validations)

    @property
    def flagged(self) -> bool:
        """Counted although it did not finish."""
        return self.counted and self.status == "incomplete"

    def config_value(self, key: str, default: Any = None) -> Any:
        """``key`` (dotted) of the job config, read as data: ``default`` if absent, null or an interpolation (no
        resolver runs on a run directory's file)."""
        if self.config is None:
            return default
        node: Any = OmegaConf.to_container(self.config, resolve=False)
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        if node is None or (isinstance(node, str) and "${" in node):
            return default
        return node


def parse_overrides(items: Any) -> dict[str, str]:
    """["upsampler=convT_k3", "+trainer.x=1"] -> {"upsampler": "convT_k3", "trainer.x": "1"}."""
    out = {}
    for item in items or []:
        if isinstance(item, str) and "=" in item:
            key, value = item.split("=", 1)
            out[key.lstrip("+~")] = value
    return out


def _float(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _status(job_dir: Path, run: Optional[dict], history: History, problems: list[str]) -> tuple[str, Optional[str]]:
    status, error = "incomplete", None
    if run is not None:
        status = run.get("status") if run.get("status") in STATUSES else "incomplete"
        if run.get("status") in UNFINISHED:
            error = f"{RUN_RECORD} says {run['status']}: {UNFINISHED[run['status']]}"
        elif run.get("status") not in STATUSES:
            problems.append(f"run.json has an unknown status {run.get('status')!r}")
        error = run.get("error") or error
    marker = job_dir / DIVERGED
    if marker.exists():
        status = "diverged"
        info = read_json(marker, problems) or {}
        if not error:
            error = info.get("message") or (f"non-finite {info.get('loss', 'loss')} = {info.get('value', '?')} at "
                                            f"step {info.get('step', '?')}, epoch {info.get('epoch', '?')}")
    elif status == "incomplete" and run is None:
        error = (f"{RUN_RECORD} unreadable (not a JSON object): status unknown" if (job_dir / RUN_RECORD).exists()
                 else f"no {RUN_RECORD}: killed, or still running")
    elif status == "completed" and history.partial:
        status, error = "incomplete", f"{RUN_RECORD} says completed, but metrics.csv has rows cut off or malformed"
    return status, error


def load_job(job_dir: Path, sweep_dir: Path, order: int = 0) -> Job:
    """Read everything the report uses from ``job_dir``; unreadable files become ``problems``, never errors."""
    problems: list[str] = []
    config = None
    try:
        loaded = OmegaConf.load(run_config(job_dir))
        config = loaded if isinstance(loaded, DictConfig) else None
    except Exception as err:  # noqa: BLE001 - a broken YAML file is reported, not fatal
        problems.append(f".hydra/config.yaml unreadable: {type(err).__name__}: {err}")
    overrides = {}
    try:
        path = job_dir / HYDRA_DIR / OVERRIDES
        raw = OmegaConf.load(path) if path.is_file() else []
        overrides = parse_overrides(OmegaConf.to_container(raw) if isinstance(raw, ListConfig) else raw)
    except Exception as err:  # noqa: BLE001
        problems.append(f".hydra/overrides.yaml unreadable: {type(err).__name__}: {err}")
    history = read_history(job_dir)
    problems += history.problems
    run = read_json(job_dir / RUN_RECORD, problems)
    status, error = _status(job_dir, run, history, problems)
    job = Job(path=job_dir, name=job_dir.relative_to(sweep_dir).as_posix() if job_dir != sweep_dir else ".",
              config=config, overrides=overrides, upsampler="?", seed=None, task=task_from_metrics(history.metrics),
              status=status, error=error, wall_time_s=_float((run or {}).get("wall_time_s")),
              images_per_s=_float((run or {}).get("train_images_per_s")), history=history, problems=problems,
              order=order)
    machine = (run or {}).get("machine")
    job.cpu = machine.get("cpu") if isinstance(machine, dict) and isinstance(machine.get("cpu"), str) else None
    job.upsampler = str(job.config_value("upsampler.name", overrides.get("upsampler", "?")))
    seed = job.config_value("seed", overrides.get("seed"))
    try:
        job.seed = int(seed) if seed is not None else None
    except (TypeError, ValueError):
        job.seed = None
    job.task = task_from_target(job.config_value("model._target_")) or job.task
    return job
