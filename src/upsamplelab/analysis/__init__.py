"""Figures and diagnostics about upsampling artifacts: commands (``python -m upsamplelab.analysis.<name>``) and the
modules they share."""
