"""FID∞: the FID of infinitely many generated images, extrapolated (Chong & Forsyth 2020, "Effectively Unbiased FID
and Inception Score and Where to Find Them", CVPR).

FID estimated from N generated images is biased upwards by a term that is, to first order, linear in 1/N
(their Eq. 4-5).  Computing FID on random subsets of several sizes N_i of one set of generated features and fitting
FID(N) = FID∞ + k / N by least squares gives the intercept FID∞, comparable across sample counts; the reference
statistics stay fixed.  Chong & Forsyth use 15 counts from 5,000 to 50,000; at CPU scale the counts span a quarter
of the generated set to all of it.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def fid_counts(n: int, points: int = 5) -> list[int]:
    """``points`` evenly spaced subset sizes from ``n // 4`` to ``n`` (distinct, ascending)."""
    if n < 8 or points < 2:
        raise ValueError(f"FID∞ needs n >= 8 generated images and points >= 2, got n={n}, points={points}")
    return sorted({int(round(c)) for c in np.linspace(n / 4, n, points)})


def fid_infinity(counts: Sequence[int], fids: Sequence[float]) -> tuple[float, float]:
    """(FID∞, k) of the least-squares line FID = FID∞ + k / N through (``counts``, ``fids``)."""
    if len(counts) != len(fids) or len(set(counts)) < 2:
        raise ValueError(f"need FIDs at >= 2 distinct counts, got counts={list(counts)} for {len(fids)} FIDs")
    slope, intercept = np.polyfit(1.0 / np.asarray(counts, float), np.asarray(fids, float), 1)
    return float(intercept), float(slope)
