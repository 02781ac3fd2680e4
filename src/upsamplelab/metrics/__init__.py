"""Image metrics for upsampling artifacts, one concept per file.

- ``phase_energy``: share of the high-pass energy carried by a stride-periodic (checkerboard) pattern
  (Odena, Dumoulin & Olah 2016)
- ``phase_contrast``: the amplitude of that pattern relative to the image
- ``radial_power_spectrum`` / ``spectral_distance``: azimuthally averaged power spectra and their log-L1 distance
  (Durall, Keuper & Keuper 2020)
- ``fidelity_metrics``: FID (Heusel et al. 2017), KID (Bińkowski et al. 2018) and IS (Salimans et al. 2016) through
  torch-fidelity, with cached reference statistics; ``load_extractor``: the TF Inception-v3 they are defined on
"""
from .fidelity import fidelity_metrics, reference_cache_path
from .inception import load_extractor
from .phase_contrast import phase_contrast
from .phase_energy import phase_energy
from .spectrum import radial_power_spectrum, spectral_distance

__all__ = ["fidelity_metrics", "load_extractor", "phase_contrast", "phase_energy", "radial_power_spectrum",
           "reference_cache_path", "spectral_distance"]
