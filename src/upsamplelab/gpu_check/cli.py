"""``python -m upsamplelab.gpu_check --out DIR [--dry-run] [--only step,...]``: the GPU check's steps in order, each
within its time budget, then ``DIR/summary.json`` and ``DIR/summary.md``.  ``scripts/gpu_check.sh`` sets up the
Python path (carried wheels, ``src``) and the data, then runs this.  Exits 0 when every step that ran passed."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Sequence

from . import check_result
from .runner import run_step
from .steps import plan

SRC = Path(__file__).resolve().parents[2]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m upsamplelab.gpu_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="the output folder (created)")
    parser.add_argument("--dry-run", action="store_true", help="every step but the GPU parts, tiny, on the CPU")
    parser.add_argument("--only", help="comma-separated step names to run (default: all), e.g. to rerun one")
    args = parser.parse_args(argv)
    names = [s.name for s in plan(args.dry_run)]
    args.only = args.only.split(",") if args.only else names
    unknown = [n for n in args.only if n not in names]
    if unknown:
        parser.error(f"--only: unknown {unknown}; allowed: {', '.join(names)}")
    return args


def step_env() -> dict[str, str]:
    """This environment with ``src`` first on PYTHONPATH, so every step imports this checkout's upsamplelab."""
    path = os.environ.get("PYTHONPATH", "")
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(SRC), path) if p))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    steps = [s for s in plan(args.dry_run) if s.name in args.only]
    start, records = time.monotonic(), []
    for i, step in enumerate(steps, 1):
        print(f"[gpu_check] {i}/{len(steps)} {step.name} (budget {step.budget_s} s): {step.what}", flush=True)
        record = run_step(step, out, step_env())
        records.append(record)
        print(f"[gpu_check]     {record['status']} in {record['seconds']:.0f} s"
              f"{': ' + record['reason'] if record.get('reason') else ''}", flush=True)
    wheels = os.environ.get("GPU_CHECK_WHEELS", "").split()
    result = check_result.collect(out, records, args.dry_run, time.monotonic() - start, wheels)
    check_result.write(out, result)
    print(f"[gpu_check] {'passed' if result['passed'] else 'NOT passed'}; summary: {out / 'summary.md'}", flush=True)
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
