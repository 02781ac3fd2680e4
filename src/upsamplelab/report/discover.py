"""Finding the jobs of a sweep directory: every folder below it holding ``.hydra/config.yaml``."""
from __future__ import annotations

import re
from pathlib import Path

from ..run_dir import CONFIG, HYDRA_DIR, run_config


class NoJobsError(ValueError):
    """The directory is missing, empty, or holds no Hydra job."""


def _natural_key(path: Path) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.as_posix())]


def find_job_dirs(sweep_dir: Path) -> list[Path]:
    """Job directories under ``sweep_dir`` in natural order (0, 1, ..., 10); ``sweep_dir`` itself if it is a single
    run.  Raises ``NoJobsError`` with a one-line reason when there are none."""
    if not sweep_dir.exists():
        raise NoJobsError(f"{sweep_dir} does not exist")
    if not sweep_dir.is_dir():
        raise NoJobsError(f"{sweep_dir} is not a directory")
    if run_config(sweep_dir).is_file():
        return [sweep_dir]
    if not any(sweep_dir.iterdir()):
        raise NoJobsError(f"{sweep_dir} is empty: no Hydra jobs to report on")
    jobs = sorted({p.parent.parent for p in sweep_dir.rglob(f"{HYDRA_DIR}/{CONFIG}") if p.is_file()},
                  key=lambda p: _natural_key(p.relative_to(sweep_dir)))
    if not jobs:
        raise NoJobsError(f"{sweep_dir} holds no Hydra job (no <job>/.hydra/config.yaml below it); pass the "
                          "directory of a multirun (hydra.sweep.dir)")
    return jobs
