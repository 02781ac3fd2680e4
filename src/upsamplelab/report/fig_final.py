"""Figure: the final evaluation's fidelity metrics (FID, FID∞, KID: those of ``metrics.registry`` with a direction)
per upsampler, one panel each: mean ± 95 % CI over seeds, every run a dot."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

from ..metrics.registry import METRICS
from .figure_io import plt, save_figure
from .aggregate import TaskSummary
from .tasks import best_mode, metric_label


def plot_final_eval(summary: TaskSummary, path: Path) -> tuple[Optional[Path], list[str]]:
    metrics = [m for m in summary.final_eval_metrics if METRICS[m].fidelity]
    if not metrics:
        return None, ["no fidelity metric in the final evaluation"]
    groups = summary.groups
    fig, axes = plt.subplots(1, len(metrics), figsize=(len(metrics) * (1 + 0.45 * len(groups)), 3.6), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for x, group in enumerate(groups):
            m = group.final_eval[metric]
            runs = [v for v in group.values("final_eval", metric) if math.isfinite(v)]
            ax.plot([x] * len(runs), runs, "o", color="0.6", markersize=3, zorder=1)
            if m.n:
                ax.errorbar([x], [m.mean], yerr=[[m.half_width if m.n > 1 else 0]] * 2, fmt="s", color="C0",
                            capsize=4, zorder=2)
        better = {"min": "lower is better", "max": "higher is better"}[best_mode(metric)]
        ax.set_title(f"{metric_label(metric)} ({better})", fontsize=9)
        ax.set_xticks(range(len(groups)), [g.label for g in groups], rotation=35, ha="right", fontsize=7)
        ax.set_xlim(-0.6, len(groups) - 0.4)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("Final evaluation: mean ± 95 % CI over seeds (squares), runs (dots)", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path), []
