"""Figure: a metric (the task's primary one by default) against the epoch, per upsampler: mean over seeds, min-max
band."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import numpy as np
from matplotlib.ticker import MaxNLocator

from .figure_io import plt, save_figure
from .aggregate import TaskSummary
from .tasks import best_mode, metric_label


def epoch_curve(series: list[list[tuple[Optional[int], float]]]) -> tuple[list[int], np.ndarray]:
    """Epochs and (3, n_epochs) mean / min / max over runs of the finite values (last value per run and epoch)."""
    per_epoch: dict[int, list[float]] = {}
    for run in series:
        last = {epoch: value for epoch, value in run if epoch is not None and math.isfinite(value)}
        for epoch, value in last.items():
            per_epoch.setdefault(epoch, []).append(value)
    epochs = sorted(per_epoch)
    stats = np.array([[np.mean(per_epoch[e]), np.min(per_epoch[e]), np.max(per_epoch[e])] for e in epochs]).T
    return epochs, stats.reshape(3, len(epochs))


def plot_curves(summary: TaskSummary, path: Path, metric: Optional[str] = None) -> tuple[Optional[Path], list[str]]:
    metric, notes = metric or summary.task.primary, []
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    drawn = 0
    for group in summary.groups:
        runs = [job.history.series(metric) for job in group.counted]
        epochs, (mean, low, high) = epoch_curve(runs)
        if not epochs:
            notes.append(f"{group.label}: no finite val/{metric}")
            continue
        line, = ax.plot(epochs, mean, marker="o", markersize=3, label=f"{group.label} (n={len(runs)}"
                        + (f", {group.n_incomplete} incomplete)" if group.n_incomplete else ")"))
        ax.fill_between(epochs, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
        if len(epochs) == 1:                                   # a band needs two epochs: show min-max as a bar
            ax.errorbar(epochs, mean, yerr=[mean - low, high - mean], color=line.get_color(), capsize=4)
        drawn += 1
    if not drawn:
        plt.close(fig)
        return None, notes
    better = {"min": "lower is better", "max": "higher is better"}.get(best_mode(metric) or "", "")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"val {metric_label(metric)}" + (f" ({better})" if better else ""))
    ax.set_title(f"{metric_label(metric)} per epoch: mean over seeds, band min-max", fontsize=10)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return save_figure(fig, path), notes
