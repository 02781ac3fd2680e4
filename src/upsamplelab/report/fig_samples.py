"""Figure: the last-epoch grid of every upsampler side by side (its lowest-seed run), cropped to the first rows.

GAN grids come from the same fixed noise in every run, so the rows compare upsamplers on the same latents.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from .figure_io import plt, save_figure
from .grid_images import crop_rows, last_grid, read_png
from .job import Job
from .aggregate import TaskSummary


def representative(jobs: list[Job], grid_dir: str) -> Optional[tuple[Job, int, Path]]:
    """(job, epoch, grid path): the lowest-seed job with a grid, counted jobs first."""
    ranked = sorted(jobs, key=lambda j: (not j.counted, j.seed is None, j.seed if j.seed is not None else 0, j.name))
    for job in ranked:
        if (found := last_grid(job.path, grid_dir)) is not None:
            return job, found[0], found[1]
    return None


def plot_samples(summary: TaskSummary, path: Path) -> tuple[Optional[Path], list[str]]:
    """Write the figure; (path or None, notes)."""
    task, notes, panels = summary.task, [], []
    for group in summary.groups:
        found = representative(group.jobs, task.grid_dir)
        if found is None:
            notes.append(f"{group.label}: no {task.grid_dir}/epoch_*.png in any run")
            continue
        job, epoch, grid_path = found
        grid = read_png(grid_path)
        try:
            image = crop_rows(grid, task.sample_rows, job.config_value("data.image_size"))
        except ValueError as err:
            notes.append(f"{group.label}: {grid_path.relative_to(job.path.parent)}: {err}")
            continue
        status = "" if job.status == "completed" else f", {job.status}"
        panels.append((f"{group.label}  (seed {job.seed}, epoch {epoch}{status}, job {job.name})", image))
    if not panels:
        return None, notes
    width_in = 7.0
    heights = [width_in * img.shape[0] / img.shape[1] + 0.3 for _, img in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(width_in, sum(heights)), squeeze=False,
                             gridspec_kw={"height_ratios": heights}, layout="constrained")
    for ax, (title, image) in zip(axes[:, 0], panels):
        ax.imshow(np.asarray(image), interpolation="nearest")
        ax.set_title(title, fontsize=8, loc="left")
        ax.set_axis_off()
    return save_figure(fig, path), notes
