"""``python -m upsamplelab.report <sweep dir> [--baseline convT_k3] [--out DIR]`` (console script
``upsamplelab-report``): progress on stderr, the path of ``report.md`` on stdout."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

DEFAULT_BASELINE = "convT_k3"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="upsamplelab-report",
        description="Summarise a Hydra multirun of upsamplelab.train: report.md, results.csv, summary.csv and "
                    "figures (per-upsampler mean ± 95 % CI over seeds; Welch's t-test, Holm's correction and "
                    "Hedges' g against a baseline).")
    p.add_argument("sweep_dir", type=Path, help="the multirun directory (hydra.sweep.dir) holding <job>/.hydra/")
    p.add_argument("--baseline", default=DEFAULT_BASELINE,
                   help="upsampler the p-values compare against (default: %(default)s)")
    p.add_argument("--out", type=Path, default=None, help="output directory (default: the sweep directory)")
    return p


def run(argv: Sequence[str] | None = None) -> Path:
    """Parse ``argv``, build the report, print its path; exits with argparse's message when there are no jobs, and
    with status 2 and one line after writing it when a job's files were refused as code."""
    args_parser = parser()
    args = args_parser.parse_args(argv)
    from .build import JobFilesRefused, build_report
    from .discover import NoJobsError
    try:
        report = build_report(args.sweep_dir, args.out, args.baseline)
    except NoJobsError as err:
        args_parser.error(str(err))
    except JobFilesRefused as err:
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        sys.exit(2)
    print(report)
    return report


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (returns None, so the exit status is 0)."""
    run(argv)
