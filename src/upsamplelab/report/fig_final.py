"""Figure: the final evaluation's fidelity metrics (FID, FID∞, KID: those of ``metrics.registry`` with a direction)
per upsampler, one panel each: mean ± 95 % CI over seeds, every run a dot (``draw_panel``, also ``fig_compared``'s)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional, Sequence

from ..metrics.registry import METRICS
from .aggregate import Group, TaskSummary
from .figure_io import plt, save_figure
from .tasks import best_mode, metric_label


def draw_panel(ax: plt.Axes, groups: Sequence[Group], kind: str, metric: str, labels: Sequence[str]) -> None:
    """One metric's panel: each group's runs (dots) and mean ± 95 % CI (square) at x = its index."""
    for x, group in enumerate(groups):
        m = getattr(group, kind)[metric]
        runs = [v for v in group.values(kind, metric) if math.isfinite(v)]
        ax.plot([x] * len(runs), runs, "o", color="0.6", markersize=3, zorder=1)
        if m.n:
            ax.errorbar([x], [m.mean], yerr=[[m.half_width if m.n > 1 else 0]] * 2, fmt="s", color="C0",
                        capsize=4, zorder=2)
    better = {"min": "lower is better", "max": "higher is better"}[best_mode(metric)]
    ax.set_title(f"{metric_label(metric)} ({better})", fontsize=9)
    ax.set_xticks(range(len(groups)), labels, rotation=35, ha="right", fontsize=7)
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.grid(axis="y", alpha=0.3)


def plot_final_eval(summary: TaskSummary, path: Path) -> tuple[Optional[Path], list[str]]:
    metrics = [m for m in summary.final_eval_metrics if METRICS[m].fidelity]
    if not metrics:
        return None, ["no fidelity metric in the final evaluation"]
    groups = summary.groups
    fig, axes = plt.subplots(1, len(metrics), figsize=(len(metrics) * (1 + 0.45 * len(groups)), 3.6), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        draw_panel(ax, groups, "final_eval", metric, [g.label for g in groups])
    fig.suptitle("Final evaluation: mean ± 95 % CI over seeds (squares), runs (dots)", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path), []
