"""Every metric the training modules log and the report reads, registered once: its name (the part after
``val/`` or ``test/``), its label in tables and figures, and which direction is better.

The *artifact* metrics carry the function that computes them from a batch of outputs, the images they are
compared with, and the periods of the model's upsamplers (``stride_peak.stride_periods``); every task logs all of
them (GAN samples vs real images, reconstructions vs inputs, probability maps vs one-hot truth), in the order
listed here, which is also the order of the report's columns.  The *fidelity* metrics are the entries of
``fidelity.fidelity_metrics``'s result that the GAN logs.

A *margin* is the difference, in the metric's units, below which two sets cannot be told apart on that metric: the
report's equivalence test (``upsamplelab.report.equivalence``) asks whether two upsamplers differ by less.  The
artifact metrics' margins are the bounds that real images against other real images stay within, measured by
``python -m upsamplelab.analysis.artifact_benchmark`` (docs/results/artifact_metrics: stride-band excess +0.013 within
±0.05, stride-peak excess +0.002 within ±0.01 on Fashion-MNIST); the other metrics have no measured margin (the
report's ``--margin NAME=VALUE`` sets one).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from torch import Tensor

from .phase_energy import phase_energy
from .spectrum import spectral_distance
from .stride_band import stride_band_excess
from .stride_peak import stride_peak_excess

ArtifactMetric = Callable[[Tensor, Tensor, tuple[int, ...]], float]
"""(images, reference, periods) -> a set-level value; images and reference are float (N, C, H, W)."""


@dataclass(frozen=True)
class MetricSpec:
    """``better``: "min", "max", or None when a "best" value means nothing (the GAN's losses, a KID std);
    ``margin``: the equivalence margin (see above), None where none was measured."""

    name: str
    label: str
    better: Optional[str] = None
    artifact: Optional[ArtifactMetric] = None
    fidelity: bool = False
    margin: Optional[float] = None


METRICS: dict[str, MetricSpec] = {spec.name: spec for spec in (
    MetricSpec("fid", "FID", "min", fidelity=True),
    MetricSpec("fid_inf", "FID∞", "min", fidelity=True),
    MetricSpec("kid_mean", "KID", "min", fidelity=True),
    MetricSpec("kid_std", "KID std", fidelity=True),
    MetricSpec("isc_mean", "IS", "max", fidelity=True),
    MetricSpec("isc_std", "IS std", fidelity=True),
    MetricSpec("miou", "mIoU", "max"),
    MetricSpec("dice", "Dice", "max"),
    MetricSpec("boundary_f1", "boundary F1", "max"),
    MetricSpec("boundary_iou", "Boundary IoU", "max"),
    MetricSpec("fg_iou", "foreground IoU", "max"),
    MetricSpec("fg_boundary_f1", "foreground boundary F1", "max"),
    MetricSpec("pixel_acc", "pixel accuracy", "max"),
    MetricSpec("psnr", "PSNR", "max"),
    MetricSpec("ssim", "SSIM", "max"),
    MetricSpec("loss", "loss", "min"),
    MetricSpec("d_loss", "D loss"),
    MetricSpec("g_loss", "G loss"),
    MetricSpec("stride_band_excess", "stride-band excess", "min",
               artifact=lambda images, reference, periods: stride_band_excess(images, reference, period=2),
               margin=0.05),
    MetricSpec("stride_peak_excess", "stride-peak excess", "min",
               artifact=lambda images, reference, periods: stride_peak_excess(images, reference, periods),
               margin=0.01),
    MetricSpec("phase_energy", "phase energy", "min",
               artifact=lambda images, reference, periods: float(phase_energy(images, period=2).mean())),
    MetricSpec("spectral_distance", "spectral distance", "min",
               artifact=lambda images, reference, periods: float(spectral_distance(images, reference))),
)}

ARTIFACT_METRICS = tuple(name for name, spec in METRICS.items() if spec.artifact is not None)
FIDELITY_METRICS = tuple(name for name, spec in METRICS.items() if spec.fidelity)


def best_mode(metric: str) -> Optional[str]:
    """"min", "max", or None when "best" means nothing for ``metric`` (or it is not registered)."""
    spec = METRICS.get(metric)
    return spec.better if spec is not None else None


def metric_label(metric: str) -> str:
    """The registered label, else the name itself."""
    spec = METRICS.get(metric)
    return spec.label if spec is not None else metric
