"""The metrics the artifact benchmark (``artifact_benchmark``) validates, each as a per-image score (for ROC-AUCs)
and the set-level value training logs (with a percentile-bootstrap interval where it has one)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from torch import Tensor

from ..metrics import (ExcessCI, phase_contrast, phase_energy, radial_power_spectrum, spectral_distance,
                       stride_band_energy, stride_band_excess_ci, stride_peak_excess_ci, stride_peak_score)
from ..metrics.bootstrap import bootstrap_excess
from ..metrics.spectrum import log_spectrum_l1

N_BOOT = 500


@dataclass(frozen=True)
class BenchMetric:
    """``per_image(images, period, periods, reference)``: (N,) scores, higher = more artifact;
    ``set_value(images, reference, period, periods)``: the set-level number (an ``ExcessCI`` when it has one)."""

    name: str
    per_image: Callable[[Tensor, int, tuple[int, ...], Tensor], Tensor]
    set_value: Callable[[Tensor, Tensor, int, tuple[int, ...]], float | ExcessCI]
    per_image_label: str
    set_label: str


def _mean_ci(scores: Tensor) -> ExcessCI:
    """The mean of per-image scores with its percentile-bootstrap interval."""
    rows = scores.double()[:, None]
    return bootstrap_excess(rows, rows[:1], lambda a, b: a[..., 0], n_boot=N_BOOT)


def _spectral_distance_per_image(images: Tensor, reference: Tensor) -> Tensor:
    return log_spectrum_l1(radial_power_spectrum(images), radial_power_spectrum(reference).mean(0))


BENCH_METRICS = {m.name: m for m in (
    BenchMetric("stride_band", lambda x, p, ps, r: stride_band_energy(x, period=p),
                lambda x, r, p, ps: stride_band_excess_ci(x, r, period=p, n_boot=N_BOOT),
                "stride_band_energy", "stride_band_excess"),
    BenchMetric("stride_peak", lambda x, p, ps, r: stride_peak_score(x, ps),
                lambda x, r, p, ps: stride_peak_excess_ci(x, r, ps, n_boot=N_BOOT),
                "stride_peak_score", "stride_peak_excess"),
    BenchMetric("phase_energy", lambda x, p, ps, r: phase_energy(x, period=p),
                lambda x, r, p, ps: _mean_ci(phase_energy(x, period=p)), "phase_energy", "mean phase_energy"),
    BenchMetric("phase_contrast", lambda x, p, ps, r: phase_contrast(x, period=p),
                lambda x, r, p, ps: _mean_ci(phase_contrast(x, period=p)), "phase_contrast", "mean phase_contrast"),
    BenchMetric("spectral_distance", lambda x, p, ps, r: _spectral_distance_per_image(x, r),
                lambda x, r, p, ps: float(spectral_distance(x, r)), "distance to R's mean spectrum",
                "spectral_distance"),
)}
