"""Figure: radial power spectra (``upsamplelab.metrics.radial_power_spectrum``) of every upsampler's last-epoch
grid tiles, all counted seeds pooled, over the reference's.

GAN: the generated tiles against the first 64 real training images of the job's data module (saved through the
same uint8 round trip); without the data, the reference curve is left out and the reason noted.  Segmentation
and autoencoder grids hold their own reference: the truth-mask rows (prediction rows compared with them) and the
input rows (reconstruction rows compared with them).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch
from torch import Tensor

from .figure_io import plt, save_figure
from .grid_images import last_grid, quantise, read_png, split_grid
from .job import Job
from .real_data import real_images
from .aggregate import TaskSummary
from .tasks import TaskSpec

REAL_IMAGES = 64


def grid_tiles(job: Job, task: TaskSpec) -> Optional[dict[str, Tensor]]:
    """{role: (N, C, s, s)} tiles of the job's last grid; C = 1 for rows saved from grey images."""
    found = last_grid(job.path, task.grid_dir)
    if found is None:
        return None
    tiles = split_grid(read_png(found[1]), job.config_value("data.image_size"))        # (R, C, 3, s, s)
    roles = task.grid_roles or (task.generated,)
    out: dict[str, list[Tensor]] = {}
    for r in range(tiles.shape[0]):
        out.setdefault(roles[r % len(roles)], []).append(tiles[r])
    grey = job.config_value("data.channels") == 1
    return {role: _grey(torch.cat(rows)) if grey else torch.cat(rows) for role, rows in out.items()}


def _grey(images: Tensor) -> Tensor:
    """(N, 3, s, s) saved from grey images (three equal channels) -> (N, 1, s, s); colour images unchanged."""
    return images[:, :1] if torch.equal(images[:, :1].expand_as(images), images) else images


def mean_spectrum(images: Tensor) -> Tensor:
    from ..metrics import radial_power_spectrum
    return radial_power_spectrum(images).mean(0)


def _reference(summary: TaskSummary) -> tuple[Optional[Tensor], str, str]:
    """(reference images, legend label, note)."""
    task = summary.task
    jobs = [job for group in summary.groups for job in group.jobs]
    if task.reference is None:
        job = next((j for j in jobs if j.config is not None and j.counted), None) or \
            next((j for j in jobs if j.config is not None), None)
        if job is None:
            return None, "", "real data: no job config to load it from"
        images, why = real_images(job, "train", REAL_IMAGES)
        if images is None:
            return None, "", f"real data could not be loaded ({why}); spectra drawn without it"
        return quantise(images), f"real (train, first {len(images)})", ""
    for job in jobs:
        tiles = grid_tiles(job, task)
        if tiles and task.reference in tiles:
            return tiles[task.reference], f"{task.reference} (grid rows)", ""
    return None, "", f"no {task.reference} rows found in any grid"


def plot_spectra(summary: TaskSummary, path: Path) -> tuple[Optional[Path], list[str]]:
    from ..metrics import spectral_distance

    task, notes = summary.task, []
    reference, ref_label, note = _reference(summary)
    if note:
        notes.append(note)
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    drawn = 0
    for group in summary.groups:
        pooled = []
        for job in group.counted:
            try:
                tiles = grid_tiles(job, task)
            except ValueError as err:
                notes.append(f"{group.label}, job {job.name}: {err}")
                continue
            if tiles and task.generated in tiles:
                pooled.append(tiles[task.generated])
        if not pooled:
            notes.append(f"{group.label}: no grid to take spectra from")
            continue
        images = torch.cat(pooled)
        label = f"{group.label} ({len(images)} tiles, {len(pooled)} run{'s' if len(pooled) > 1 else ''})"
        if reference is not None and reference.shape[1:] == images.shape[1:]:
            label += f", d={spectral_distance(images, reference).item():.3f}"
        spectrum = mean_spectrum(images)
        ax.semilogy(range(1, len(spectrum)), spectrum[1:].numpy(), label=label, linewidth=1.2)
        drawn += 1
    if not drawn:
        plt.close(fig)
        return None, notes
    if reference is not None:
        spectrum = mean_spectrum(reference)
        ax.semilogy(range(1, len(spectrum)), spectrum[1:].numpy(), color="black", linestyle="--", linewidth=1.5,
                    label=ref_label)
    what = {"gan": "generated samples", "segmentation": "predicted masks", "reconstruction": "reconstructions"}
    ax.set_title(f"Radial power spectrum of the last-epoch {what.get(task.name, 'grid tiles')}", fontsize=10)
    ax.set_xlabel("spatial frequency (cycles per image)")
    ax.set_ylabel("power")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=6)
    fig.tight_layout()
    return save_figure(fig, path), notes
