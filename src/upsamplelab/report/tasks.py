"""What the report knows about each task: its metrics, which direction is better, its grids.

A job's task comes from ``model._target_`` in its ``.hydra/config.yaml`` (the LightningModule's class name); a job
whose config cannot be read falls back to the metrics it logged.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

# Metrics whose best value is the smallest / the largest; any other logged metric gets a final value only.
LOWER_IS_BETTER = frozenset({"fid", "kid_mean", "spectral_distance", "phase_energy", "loss"})
HIGHER_IS_BETTER = frozenset({"miou", "dice", "psnr", "ssim", "pixel_acc", "isc_mean"})

LABELS = {"fid": "FID", "kid_mean": "KID", "kid_std": "KID std", "phase_energy": "phase energy",
          "spectral_distance": "spectral distance", "miou": "mIoU", "dice": "Dice", "pixel_acc": "pixel accuracy",
          "psnr": "PSNR", "ssim": "SSIM", "loss": "loss", "d_loss": "D loss", "g_loss": "G loss",
          "isc_mean": "IS"}


def best_mode(metric: str) -> Optional[str]:
    """"min", "max", or None when "best" means nothing for ``metric`` (e.g. the GAN's losses)."""
    if metric in LOWER_IS_BETTER:
        return "min"
    if metric in HIGHER_IS_BETTER:
        return "max"
    return None


def metric_label(metric: str) -> str:
    return LABELS.get(metric, metric)


@dataclass(frozen=True)
class TaskSpec:
    """``metrics``: the summary table's metrics, ``primary`` first (the p-values and the curves use it);
    ``grid_dir``: the per-epoch grid folder; ``grid_roles``: what each row of a grid block holds (None: every row is
    generated); ``generated`` / ``reference``: the roles whose spectra the report compares."""

    name: str
    label: str
    module: str
    metrics: tuple[str, ...]
    grid_dir: str
    grid_roles: Optional[tuple[str, ...]] = None
    generated: str = "generated"
    reference: Optional[str] = None
    sample_rows: int = 2

    @property
    def primary(self) -> str:
        return self.metrics[0]


TASKS = {
    "gan": TaskSpec("gan", "GAN", "GANModule", ("fid", "kid_mean", "phase_energy", "spectral_distance"),
                    "samples", sample_rows=2),
    "segmentation": TaskSpec("segmentation", "Segmentation", "SegmentationModule", ("miou", "dice", "phase_energy"),
                             "predictions", grid_roles=("input", "truth", "prediction"), generated="prediction",
                             reference="truth", sample_rows=3),
    "reconstruction": TaskSpec("reconstruction", "Autoencoder", "ReconstructionModule",
                               ("psnr", "ssim", "phase_energy"), "reconstructions",
                               grid_roles=("input", "reconstruction"), generated="reconstruction",
                               reference="input", sample_rows=2),
}
UNKNOWN = TaskSpec("unknown", "Unknown task", "", ("phase_energy", "spectral_distance"), "samples")


def task_from_target(target: Optional[str]) -> Optional[TaskSpec]:
    """The task of a ``model._target_`` such as ``upsamplelab.lightning.GANModule``; None if not one of ours."""
    if not isinstance(target, str):
        return None
    cls = target.rsplit(".", 1)[-1]
    return next((spec for spec in TASKS.values() if spec.module == cls), None)


def task_from_metrics(metrics: Iterable[str]) -> TaskSpec:
    """The task whose primary metric was logged (UNKNOWN if none was)."""
    names = set(metrics)
    return next((spec for spec in TASKS.values() if spec.primary in names), UNKNOWN)
