"""Figure: the final validation value of each metric a task compares with the baseline (``TaskSpec.compared``:
mIoU, Dice, the boundary metrics and stride-peak excess for segmentation) per upsampler, one panel each, one row
per variant of the sweep (e.g. per dataset): mean ± 95 % CI over seeds, every run a dot, the baseline's mean
dashed."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from .aggregate import TaskSummary
from .fig_final import draw_panel
from .figure_io import plt, save_figure


def plot_compared(summary: TaskSummary, path: Path) -> tuple[Optional[Path], list[str]]:
    """The figure at ``path`` (None, with a note, for a task that compares its primary metric only)."""
    metrics = summary.task.compared
    if not metrics:
        return None, [f"the {summary.task.label} report compares its primary metric only"]
    variants = list(dict.fromkeys(g.variant for g in summary.groups))
    width = max(sum(g.variant == v for g in summary.groups) for v in variants)
    fig, axes = plt.subplots(len(variants), len(metrics), squeeze=False,
                             figsize=(len(metrics) * max(2.8, 1 + 0.32 * width), 3.2 * len(variants)))
    for row, variant in zip(axes, variants):
        groups = [g for g in summary.groups if g.variant == variant]
        baseline = next((g for g in groups if g.upsampler == summary.baseline), None)
        for ax, metric in zip(row, metrics):
            draw_panel(ax, groups, "final", metric, [g.upsampler for g in groups])
            if baseline is not None and baseline.final[metric].n:
                ax.axhline(baseline.final[metric].mean, color="C3", linestyle="--", linewidth=0.8, zorder=0)
        if variant:
            row[0].set_ylabel(variant, fontsize=9)
    fig.suptitle(f"Final validation value: mean ± 95 % CI over seeds (squares), runs (dots); dashed: the baseline "
                 f"{summary.baseline}'s mean", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path), []
