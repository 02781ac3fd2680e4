"""Figures and diagnostics about upsampling artifacts; each module is a command (``python -m ...``)."""
