"""Resume a run from its directory: ``python -m upsamplelab.resume <run dir> [overrides]`` (console script
``upsamplelab-resume``).

Runs ``upsamplelab.train`` with the overrides the run recorded (``.hydra/overrides.yaml``), then the ones given
here (e.g. ``trainer.max_epochs=20``), ``ckpt_path=last`` and the run directory as ``hydra.run.dir`` (quoted for
Hydra, so a sweep job's directory such as ``seed=0,upsampler=convT_k3`` is passed as it is; the shell needs no
quotes for it either), as a single run (``hydra.mode=RUN``: an experiment that sweeps by itself resumes one job).
A run of your own ``--config-dir`` needs it again: ``--config-dir <dir>``.

The recorded overrides are read from a run directory, so they are data until checked: every one must pass
``app.recorded_run.checked_overrides`` (existing config groups and options; plain keys, no Hydra special key such as
``_target_``, nothing under ``hydra``; scalar values without interpolations or resolvers), or the resume is refused
in one line, exit status 2.  The command it runs is printed first.
"""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Optional, Sequence

from .app.bad_input import exit_on_bad_input
from .app.recorded_run import checked_overrides, recorded_overrides, trusted_configs
from .run_dir import HYDRA_DIR, OVERRIDES
from .reliability.job_identity import override_key

RESUMED_FROM = "ckpt_path"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="upsamplelab-resume", description=(
        "Continue a run (or one job of a sweep) from <run dir>/checkpoints/last.ckpt with the overrides it recorded."))
    p.add_argument("run_dir", type=Path, help="the run's directory (hydra.run.dir, or a sweep job's directory)")
    p.add_argument("overrides", nargs="*", help="overrides added to the recorded ones, e.g. trainer.max_epochs=20")
    p.add_argument("--config-dir", default=None, help="your own config directory, if the run was trained with one")
    return p


def hydra_quoted(value: str) -> str:
    """``value`` as a single-quoted Hydra override value (``=``, ``,`` and spaces kept literally)."""
    if "${" in value:
        raise ValueError(f"{value} holds '${{', which Hydra would read as an interpolation; move the run directory")
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def train_arguments(run_dir: Path, overrides: Sequence[str], config_dir: Optional[str]) -> list[str]:
    """The ``upsamplelab.train`` command line that resumes ``run_dir`` (its recorded overrides checked)."""
    if not (run_dir / HYDRA_DIR / OVERRIDES).is_file():
        raise FileNotFoundError(f"{run_dir} is not a run directory (no {HYDRA_DIR}/{OVERRIDES}): give the directory "
                                f"a run or sweep job wrote")
    recorded = [o for o in recorded_overrides(run_dir) if override_key(o) != RESUMED_FROM]
    with trusted_configs(config_dir):
        checked_overrides(recorded, str(run_dir / HYDRA_DIR / OVERRIDES), keys=None)
    return ([] if config_dir is None else ["--config-dir", config_dir]) + recorded + list(overrides) + [
        f"{RESUMED_FROM}=last", f"hydra.run.dir={hydra_quoted(str(run_dir.resolve()))}", "hydra.mode=RUN"]


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parser().parse_args(argv)
    try:
        arguments = train_arguments(args.run_dir, args.overrides, args.config_dir)
    except Exception as err:
        exit_on_bad_input(err)
        raise
    print(f"resuming {args.run_dir}: python -m upsamplelab.train {shlex.join(arguments)}", flush=True)
    from . import train

    sys.argv = ["upsamplelab.train", *arguments]
    train.main()


if __name__ == "__main__":
    main()
