"""Image metrics for upsampling artifacts, one concept per file.

- ``phase_energy``: share of the high-pass energy carried by a stride-periodic (checkerboard) pattern
  (Odena, Dumoulin & Olah 2016)
- ``phase_contrast``: the amplitude of that pattern relative to the image
- ``stride_band_energy`` / ``stride_band_excess``: the share of the high-pass power at the stride frequencies,
  invariant to the pattern's sign and position, and its log-ratio between two image sets
- ``stride_peak_excess``: peaks at the stride frequencies of stacked x2 layers over their neighbours, one image set
  against another (``stride_periods`` from the number of layers); ``*_ci`` variants add a bootstrap interval
- ``radial_power_spectrum`` / ``spectral_distance``: azimuthally averaged power spectra and their log-L1 distance
  (Durall, Keuper & Keuper 2020)
- ``boundary_f1`` / ``boundary_iou``: segmentation scored along the class contours of label maps, the boundary
  F-score (Csurka et al. 2013) and Boundary IoU (Cheng et al. 2021), per class (``*_per_class``) and as torchmetrics
  ``BoundaryF1`` / ``BoundaryIoU``
- ``foreground_iou`` / ``foreground_boundary_f1``: class-agnostic scores (every class but the background merged),
  which separate the outline of an object from its class, and their torchmetrics ``ForegroundIoU`` /
  ``ForegroundBoundaryF1``
- ``fidelity_metrics``: FID (Heusel et al. 2017), KID (Bińkowski et al. 2018) and IS (Salimans et al. 2016) through
  torch-fidelity, with cached reference statistics; ``load_extractor``: the TF Inception-v3 they are defined on
"""
from .boundary import (BoundaryF1, BoundaryIoU, boundary_f1, boundary_f1_per_class, boundary_iou,
                       boundary_iou_per_class)
from .fidelity import fidelity_metrics, reference_cache_path
from .foreground import ForegroundBoundaryF1, ForegroundIoU, foreground_boundary_f1, foreground_iou
from .inception import load_extractor
from .phase_contrast import phase_contrast
from .phase_energy import phase_energy
from .bootstrap import ExcessCI
from .spectrum import power_spectrum, radial_power_spectrum, spectral_distance
from .stride_band import stride_band_energy, stride_band_excess, stride_band_excess_ci
from .stride_peak import stride_peak_excess, stride_peak_excess_ci, stride_peak_score, stride_periods

__all__ = ["BoundaryF1", "BoundaryIoU", "ExcessCI", "ForegroundBoundaryF1", "ForegroundIoU", "boundary_f1",
           "boundary_f1_per_class", "boundary_iou", "boundary_iou_per_class", "fidelity_metrics",
           "foreground_boundary_f1", "foreground_iou", "load_extractor", "phase_contrast", "phase_energy",
           "power_spectrum", "radial_power_spectrum", "reference_cache_path", "spectral_distance",
           "stride_band_energy", "stride_band_excess", "stride_band_excess_ci", "stride_peak_excess",
           "stride_peak_excess_ci", "stride_peak_score", "stride_periods"]
