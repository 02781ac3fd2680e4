"""Score a study's finished runs again, from their checkpoints, with the metrics this package logs today:
``python -m upsamplelab.rescore SWEEP_DIR OUT_DIR`` (console script ``upsamplelab-rescore``).

For each run of ``SWEEP_DIR`` (a multirun directory, or a study's ``jobs/``) that holds ``checkpoints/last.ckpt``,
``upsamplelab.eval`` validates and tests that checkpoint (the run's data, model, upsampler and seed, rebuilt from
its recorded overrides: a run directory is data, never code), and ``OUT_DIR/<run>/`` receives the run's
``.hydra/config.yaml``, ``.hydra/overrides.yaml`` and ``run.json`` with a ``metrics.csv`` of two rows, the
validation and the test, at the checkpoint's epoch and step, and the validation's grid of predictions (samples,
reconstructions) under that epoch's name.  ``python -m upsamplelab.report OUT_DIR`` then
compares the runs on every metric, those added since they trained included (a metric a run logged is reproduced:
the same weights on the same data).  A run already in ``OUT_DIR`` is skipped, so a stopped re-scoring resumes.
"""
from __future__ import annotations

import argparse
import csv
import shutil
from pathlib import Path
from typing import Any, Optional, Sequence

from .app.config import compose_config
from .reliability.checkpoint_io import AtomicCheckpointIO
from .resume import hydra_quoted
from .run_dir import CHECKPOINT_DIR, CONFIG, HYDRA_DIR, LAST_CHECKPOINT, METRICS_CSV, OVERRIDES, RUN_RECORD

STAGES = ("val", "test")


def runs_with_checkpoints(sweep_dir: Path) -> list[Path]:
    """The run directories under ``sweep_dir`` that hold ``checkpoints/last.ckpt``, by name."""
    return sorted(p.parent.parent for p in Path(sweep_dir).glob(f"*/{CHECKPOINT_DIR}/{LAST_CHECKPOINT}"))


def write_metrics(path: Path, metrics: dict[str, Any], epoch: int, step: int) -> None:
    """``metrics.csv`` as the training's CSV logger writes it: a validation row and a test row."""
    keys = {stage: sorted(k for k in metrics if k.startswith(f"{stage}/")) for stage in STAGES}
    header = ["epoch", "step", *keys["val"], *keys["test"]]
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, header, lineterminator="\n")
        writer.writeheader()
        for stage in STAGES:
            writer.writerow({"epoch": epoch, "step": step} | {k: float(metrics[k]) for k in keys[stage]})


def rescore_run(run_dir: Path, out_dir: Path) -> Path:
    """Validate and test ``run_dir``'s last checkpoint into ``out_dir`` (the files above); returns ``out_dir``."""
    from .eval import evaluate

    ckpt = run_dir / CHECKPOINT_DIR / LAST_CHECKPOINT
    work = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    (work / HYDRA_DIR).mkdir(parents=True)
    metrics = evaluate(compose_config([f"ckpt_path={hydra_quoted(str(ckpt))}"], work, config_name="eval"))
    state = AtomicCheckpointIO().load_checkpoint(ckpt)           # checked as eval checked it: for its epoch and step
    write_metrics(work / METRICS_CSV, metrics, state["epoch"], state["global_step"])
    for grid in work.glob("*/epoch_000.png"):                  # validate() counts from 0: the checkpoint's epoch
        grid.rename(grid.with_name(f"epoch_{state['epoch']:03d}.png"))
    for name in (CONFIG, OVERRIDES):
        shutil.copy2(run_dir / HYDRA_DIR / name, work / HYDRA_DIR / name)
    shutil.copy2(run_dir / RUN_RECORD, work / RUN_RECORD)
    work.rename(out_dir)                             # complete or absent: a stopped run is scored again
    return out_dir


def rescore(sweep_dir: Path, out_dir: Path, echo=print) -> list[Path]:
    """Every run of ``sweep_dir`` with a last checkpoint, into ``out_dir/<run>/``; runs already there are kept."""
    runs = runs_with_checkpoints(sweep_dir)
    if not runs:
        raise FileNotFoundError(f"no run under {sweep_dir} holds {CHECKPOINT_DIR}/{LAST_CHECKPOINT}")
    done = []
    for i, run in enumerate(runs, 1):
        dest = Path(out_dir) / run.name
        if dest.is_dir():
            echo(f"[rescore {i}/{len(runs)}] {run.name}: already scored")
        else:
            echo(f"[rescore {i}/{len(runs)}] {run.name}")
            rescore_run(run, dest)
        done.append(dest)
    return done


def main(argv: Optional[Sequence[str]] = None) -> None:
    p = argparse.ArgumentParser(prog="python -m upsamplelab.rescore", description=__doc__.split("\n\n")[0])
    p.add_argument("sweep_dir", type=Path, help="the study's multirun directory (its runs keep checkpoints/)")
    p.add_argument("out_dir", type=Path, help="where the re-scored runs go (then: python -m upsamplelab.report "
                                              "OUT_DIR)")
    args = p.parse_args(argv)
    try:
        rescore(args.sweep_dir, args.out_dir)
    except FileNotFoundError as err:
        p.error(str(err))
    print(f"python -m upsamplelab.report {args.out_dir}")


if __name__ == "__main__":
    main()
