"""The report of a sweep: ``python -m upsamplelab.report <sweep dir> [--baseline convT_k3] [--out DIR]``.

Reads every job of a Hydra multirun directory (``<sweep dir>/<job>/`` made by ``python -m upsamplelab.train -m
upsampler=a,b seed=0,1 ...``) and writes into the sweep directory (or ``--out``):

- ``report.md``: per upsampler, mean ± 95 % CI over seeds (Student t) of the final and best value of the task's
  metrics, wall time and throughput; against ``--baseline`` on the primary metric Welch's p, Holm's adjusted p and
  Hedges' g, and which differences hold after the correction; the final evaluation (``final/*``: FID, FID∞, KID,
  artifact metrics) with the same comparisons; the figures; every failed, diverged or incomplete job with its error
  and every file that could not be read completely.  Paths are relative to the report's folder;
- ``results.csv`` (one row per job) and ``summary.csv`` (one row per upsampler, full precision);
- ``<task>_samples.png``, ``<task>_<metric>_curves.png``, ``<task>_spectra.png``, ``<task>_final_eval.png``,
  ``at_init.png``, ``overlap.png``.

One concept per file: ``discover`` (finding jobs), ``job`` (one job: status, run.json), ``history`` (metrics.csv,
fidelity.jsonl, final.json), ``tasks`` (metrics per task), ``stats`` (CI, Welch, Holm, Hedges' g), ``compare``
(groups against the baseline), ``summary`` (grouping), ``grid_images`` (grid PNGs), ``real_data`` (the job's data
module), ``fig_*`` (one figure each), ``results_csv``, ``markdown``, ``build`` (all of it), ``cli``.
"""
from .build import build_report
from .cli import main
from .stats import MeanCI, hedges_g, holm, mean_ci, welch_p

__all__ = ["MeanCI", "build_report", "hedges_g", "holm", "main", "mean_ci", "welch_p"]
