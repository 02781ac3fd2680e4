"""``python -m upsamplelab.report.publish <sweep dir> <dest>``: copy the small records of every finished job of a
sweep (completed, diverged or failed) into ``<dest>/<job>/``, so a study can be committed and its report rebuilt
from the copy alone (``python -m upsamplelab.report <dest>``).

Copied: ``.hydra/config.yaml`` and ``.hydra/overrides.yaml`` (the first start's, ``.hydra/recorded/``, when kept),
``run.json``, ``metrics.csv``, ``fidelity.jsonl``, ``final.json``, ``DIVERGED`` and the last grid of each grid folder
(``samples/``, ``reconstructions/``, ``predictions/``).  Not copied: checkpoints, logs, other grids.  A job already
published with the same ``run.json`` is left as it is; prints the jobs it copied.
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Sequence

from ..run_dir import (CONFIG, DIVERGED, FIDELITY_LOG, FINAL_RECORD, HYDRA_DIR, METRICS_CSV, OVERRIDES,
                           RUN_RECORD)
from ..app.run_record import read_run_record
from ..reliability.job_identity import RECORDED
from .discover import find_job_dirs
from .grid_images import last_grid

FINISHED = ("completed", "diverged", "failed")
RECORDS = (RUN_RECORD, METRICS_CSV, FIDELITY_LOG, FINAL_RECORD, DIVERGED)
HYDRA_RECORDS = (CONFIG, OVERRIDES)
GRID_DIRS = ("samples", "reconstructions", "predictions")


def publish_job(job: Path, dest: Path) -> None:
    """Copy ``job``'s records into ``dest`` (replacing what was there)."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / HYDRA_DIR).mkdir(parents=True)
    for name in HYDRA_RECORDS:
        source = job / HYDRA_DIR / RECORDED / name
        source = source if source.is_file() else job / HYDRA_DIR / name
        if source.is_file():
            shutil.copy2(source, dest / HYDRA_DIR / name)
    for name in RECORDS:
        if (job / name).is_file():
            shutil.copy2(job / name, dest / name)
    for grid_dir in GRID_DIRS:
        found = last_grid(job, grid_dir)
        if found is not None:
            (dest / grid_dir).mkdir()
            shutil.copy2(found[1], dest / grid_dir / found[1].name)


def publish(sweep_dir: Path, dest_dir: Path) -> list[str]:
    """Publish every finished job of ``sweep_dir`` not yet published with its current ``run.json``; their names."""
    copied = []
    for job in find_job_dirs(sweep_dir):
        record = read_run_record(job)
        if record is None or record.get("status") not in FINISHED:
            continue
        name = job.relative_to(sweep_dir).as_posix()
        dest = dest_dir / name
        if (dest / RUN_RECORD).is_file() and (dest / RUN_RECORD).read_bytes() == (job / RUN_RECORD).read_bytes():
            continue
        publish_job(job, dest)
        copied.append(name)
    return copied


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m upsamplelab.report.publish", description=__doc__.split("\n\n")[0])
    p.add_argument("sweep_dir", type=Path, help="the multirun directory (hydra.sweep.dir)")
    p.add_argument("dest", type=Path, help="where the records go, one folder per job")
    args = p.parse_args(argv)
    for name in publish(args.sweep_dir.resolve(), args.dest):
        print(name)


if __name__ == "__main__":
    main()
