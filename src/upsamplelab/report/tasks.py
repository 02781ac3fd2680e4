"""What the report knows about each task: its metrics, its grids.  Labels and directions of the metrics come from
``upsamplelab.metrics.registry``; every task's table ends with the registry's artifact metrics.

A job's task comes from ``model._target_`` in its ``.hydra/config.yaml`` (the LightningModule's class name); a job
whose config cannot be read falls back to the metrics it logged.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from ..metrics.registry import ARTIFACT_METRICS, best_mode, metric_label

__all__ = ["TASKS", "UNKNOWN", "TaskSpec", "best_mode", "metric_label", "task_from_metrics", "task_from_target"]


@dataclass(frozen=True)
class TaskSpec:
    """``metrics``: the summary table's metrics, ``primary`` first (the p-values and the curves use it);
    ``compared``: the metrics whose final validation value is compared with the baseline, one Holm family each
    (empty: the primary alone); ``compared_if_logged``: compared too, after those, in a study where some run logged
    them (metrics added after earlier studies ran, whose reports stay as they were); ``grid_dir``: the per-epoch
    grid folder; ``grid_roles``: what each row of a grid block holds (None: every row is generated);
    ``generated`` / ``reference``: the roles whose spectra the report compares."""

    name: str
    label: str
    module: str
    metrics: tuple[str, ...]
    grid_dir: str
    grid_roles: Optional[tuple[str, ...]] = None
    generated: str = "generated"
    reference: Optional[str] = None
    sample_rows: int = 2
    compared: tuple[str, ...] = ()
    compared_if_logged: tuple[str, ...] = ()

    @property
    def primary(self) -> str:
        return self.metrics[0]

    @property
    def compared_final(self) -> tuple[str, ...]:
        """The metrics whose final validation value the report compares with the baseline, primary first."""
        return self.compared or (self.primary,)


TASKS = {
    "gan": TaskSpec("gan", "GAN", "GANModule", ("fid", "kid_mean", *ARTIFACT_METRICS), "samples", sample_rows=2),
    "segmentation": TaskSpec("segmentation", "Segmentation", "SegmentationModule",
                             ("miou", "dice", "boundary_f1", "boundary_iou", *ARTIFACT_METRICS), "predictions",
                             grid_roles=("input", "truth", "prediction"), generated="prediction", reference="truth",
                             sample_rows=3, compared=("miou", "dice", "boundary_f1", "boundary_iou",
                                                      "stride_peak_excess"),
                             compared_if_logged=("fg_iou", "fg_boundary_f1")),
    "reconstruction": TaskSpec("reconstruction", "Autoencoder", "ReconstructionModule",
                               ("psnr", "ssim", *ARTIFACT_METRICS), "reconstructions",
                               grid_roles=("input", "reconstruction"), generated="reconstruction",
                               reference="input", sample_rows=2),
}
UNKNOWN = TaskSpec("unknown", "Unknown task", "", ARTIFACT_METRICS, "samples")


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
