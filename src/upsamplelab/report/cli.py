"""``python -m upsamplelab.report <sweep dir | results.csv> [--baseline NAME] [--out DIR] [--margin NAME=VALUE]
[--markdown-table [--metric NAME]]`` (console script ``upsamplelab-report``): progress on stderr, the path of
``report.md`` on stdout; with a ``results.csv`` (a study whose job records are gone) only ``comparisons.csv``, its
path on stdout; with ``--markdown-table`` the tables of means and comparisons on stdout and no file written."""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Optional, Sequence

from .baseline import CONFIG_KEY, DEFAULT_BASELINE, SUMMARY_CSV


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="upsamplelab-report",
        description="Summarise a Hydra multirun of upsamplelab.train: report.md, results.csv, summary.csv, "
                    "comparisons.csv and figures (per-upsampler mean ± 95 % CI over seeds; against a baseline "
                    "Welch's t-test and the permutation test with Holm's correction, Hedges' g, the minimum "
                    "detectable difference and the seeds a difference needs, the equivalence test and a verdict).")
    p.add_argument("sweep_dir", type=Path,
                   help="the multirun directory (hydra.sweep.dir) holding <job>/.hydra/, or the results.csv of a "
                        "report (then only the comparisons: comparisons.csv, or --markdown-table)")
    p.add_argument("--baseline", default=None,
                   help=f"upsampler the p-values compare against (default: the `{CONFIG_KEY}` its jobs' configs name, "
                        f"else {DEFAULT_BASELINE}; for a results.csv, the baseline of the {SUMMARY_CSV} beside it, else "
                        f"{DEFAULT_BASELINE})")
    p.add_argument("--out", type=Path, default=None,
                   help="output directory (default: the sweep directory, or the results.csv's folder)")
    p.add_argument("--margin", action="append", default=[], metavar="NAME=VALUE",
                   help="equivalence margin of a metric, in its units (e.g. fid=2); repeatable; overrides the "
                        "registry's (stride_band_excess 0.05, stride_peak_excess 0.01)")
    p.add_argument("--markdown-table", action="store_true",
                   help="print the tables of means and comparisons in Markdown (for a results page) and write nothing")
    p.add_argument("--metric", action="append", default=[], metavar="NAME",
                   help="with --markdown-table: only this metric's comparisons (repeatable, in this order)")
    return p


def parse_margins(items: Sequence[str], args_parser: argparse.ArgumentParser) -> dict[str, float]:
    """``["fid=2"]`` -> ``{"fid": 2.0}``; a one-line argparse error (exit status 2) for anything else."""
    from ..metrics.registry import METRICS
    margins = {}
    for item in items:
        name, sep, value = item.partition("=")
        if name not in METRICS:
            args_parser.error(f"--margin {item}: unknown metric {name!r} (allowed: {', '.join(METRICS)})")
        try:
            margin = float(value) if sep else math.nan
        except ValueError:
            margin = math.nan
        if not margin > 0 or math.isinf(margin):
            args_parser.error(f"--margin {item}: the value must be a positive number, as in --margin {name}=2")
        margins[name] = margin
    return margins


def check_metrics(names: Sequence[str], args_parser: argparse.ArgumentParser) -> None:
    from ..metrics.registry import METRICS
    for name in names:
        if name not in METRICS:
            args_parser.error(f"--metric {name}: unknown metric (allowed: {', '.join(METRICS)})")


def run(argv: Sequence[str] | None = None) -> Optional[Path]:
    """Parse ``argv``, build the report (or comparisons.csv, or print the tables), print the path written; exits
    with argparse's message when there are no jobs or the input is not a results.csv, and with status 2 and one
    line after writing the report when a job's files were refused as code."""
    args_parser = parser()
    args = args_parser.parse_args(argv)
    margins = parse_margins(args.margin, args_parser)
    check_metrics(args.metric, args_parser)
    if args.metric and not args.markdown_table:
        args_parser.error("--metric chooses the rows of --markdown-table: give both")
    from .aggregate import summarise
    from .baseline import MixedBaselines, recorded_baseline
    from .build import COMPARISONS_CSV, JobFilesRefused, build_report, load_jobs
    from .comparison_md import page_tables
    from .discover import NoJobsError
    from .from_results import NotResultsError, families_from_results
    from .results_csv import comparison_rows, write_csv
    source = args.sweep_dir
    try:
        if source.is_file():
            families = families_from_results(source, args.baseline or recorded_baseline(source), margins)
        elif args.markdown_table:
            families = [f for s in summarise(load_jobs(source), args.baseline, margins) for f in s.families]
        else:
            report = build_report(source, args.out, args.baseline, margins=margins)
            print(report)
            return report
    except (NoJobsError, NotResultsError, MixedBaselines) as err:
        args_parser.error(str(err))
    except JobFilesRefused as err:
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        sys.exit(2)
    if args.markdown_table:
        sys.stdout.write(page_tables(families, args.metric or None))
        return None
    out = args.out if args.out is not None else source.parent
    out.mkdir(parents=True, exist_ok=True)
    path = write_csv(comparison_rows(families), out / COMPARISONS_CSV)
    print(path)
    return path


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (returns None, so the exit status is 0)."""
    run(argv)
