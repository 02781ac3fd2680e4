"""The report of a sweep: ``python -m upsamplelab.report <sweep dir> [--baseline NAME] [--out DIR]
[--margin NAME=VALUE] [--markdown-table [--metric NAME]]``.

Reads every job of a Hydra multirun directory (``<sweep dir>/<job>/`` made by ``python -m upsamplelab.train -m
upsampler=a,b seed=0,1 ...``) and writes into the sweep directory (or ``--out``):

- ``report.md``: per upsampler, mean ± 95 % CI over seeds (Student t) of the final and best value of the task's
  metrics, wall time and throughput; against the baseline (``--baseline``, else the ``baseline`` of the jobs'
  configs) on the task's compared metrics (the primary; for segmentation also Dice, the boundary metrics and the
  stride-peak excess) Welch's p, Holm's adjusted p and Hedges' g, and which differences hold after the correction;
  the final evaluation (``final/*``: FID, FID∞, KID, artifact metrics) with the same comparisons; per comparison the
  permutation test beside Welch's (Holm over the same family), the minimum detectable difference and the seeds per
  arm the difference would need (80 % power), the equivalence test against the metric's margin (``--margin``) and
  the verdict: different, equivalent within the margin, or undecided at the runs there are; the figures; every
  failed, diverged or incomplete job with its error and every file that could not be read completely. Paths are
  relative to the report's folder;
- ``results.csv`` (one row per job), ``summary.csv`` (one row per upsampler) and ``comparisons.csv`` (one row per
  comparison with the baseline), full precision;
- ``<task>_samples.png``, ``<task>_<metric>_curves.png``, ``<task>_spectra.png``, ``<task>_final_eval.png``,
  ``<task>_compared.png`` (the compared metrics of a segmentation sweep), ``at_init.png``, ``overlap.png``.

``--markdown-table`` prints the tables of means and comparisons for a results page instead; a ``results.csv`` in
place of the sweep directory (a study whose job records were not kept) gives its ``comparisons.csv`` or those tables.

One concept per file: ``discover`` (finding jobs), ``job`` (one job: status, run.json), ``history`` (metrics.csv,
fidelity.jsonl, final.json), ``tasks`` (metrics per task), ``baseline`` (the study's baseline), ``stats`` (CI,
Welch, Holm, Hedges' g), ``permutation`` (the permutation test), ``power`` (power, MDD, seeds needed),
``equivalence`` (TOST), ``compare`` (groups against the baseline, verdicts), ``aggregate`` (grouping),
``from_results`` (the comparisons from a results.csv), ``grid_images`` (grid PNGs), ``real_data`` (the job's data
module), ``fig_*`` (one figure each), ``results_csv``, ``md_cells`` (numbers and tables in Markdown), ``markdown``,
``comparison_md`` (the comparisons in Markdown), ``build`` (all of it), ``cli``.
"""
from .build import build_report
from .cli import main
from .stats import MeanCI, hedges_g, holm, mean_ci, welch_p

__all__ = ["MeanCI", "build_report", "hedges_g", "holm", "main", "mean_ci", "welch_p"]
