"""Percentile-bootstrap intervals for set-level comparisons of two image sets (Efron & Tibshirani 1993, "An
Introduction to the Bootstrap", ch. 13).

A set-level score such as ``stride_band_excess`` or ``stride_peak_excess`` is a function s(mean_a, mean_b) of the
means of per-image features (an energy, a power spectrum) over the two sets.  Its interval: draw ``n_boot``
resamples of each set (rows with replacement, the two sets independently), evaluate s on the resampled means, and
take the (1 - level) / 2 and (1 + level) / 2 quantiles.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from ..checks import check_int


@dataclass(frozen=True)
class ExcessCI:
    """A set-level score (on the full sets) and its percentile-bootstrap interval [low, high] at ``level``."""

    value: float
    low: float
    high: float
    level: float

    def __str__(self) -> str:
        return f"{self.value:+.4f} [{self.low:+.4f}, {self.high:+.4f}]"


def bootstrap_excess(features: Tensor, reference: Tensor, statistic: Callable[[Tensor, Tensor], Tensor], *,
                     n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> ExcessCI:
    """``statistic(mean features, mean reference)`` with its percentile-bootstrap interval (module docstring).

    ``features`` (N, ...) and ``reference`` (M, ...) hold one row per image; ``statistic`` takes two batches of
    means (B, ...) and returns (B,) (it is also called with B = 1 for the value).  Resampled means are computed as
    count-weighted sums, so memory is O(n_boot * (N + M + row size)).
    """
    check_int("n_boot", n_boot, 2)
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    if len(features) < 1 or len(reference) < 1:
        raise ValueError(f"need at least one image in each set, got {len(features)} and {len(reference)}")
    g = torch.Generator().manual_seed(seed)
    value = statistic(features.mean(0, keepdim=True), reference.mean(0, keepdim=True))
    resampled = statistic(_resampled_means(features, n_boot, g), _resampled_means(reference, n_boot, g))
    q = torch.tensor([(1 - level) / 2, (1 + level) / 2], dtype=resampled.dtype)
    low, high = torch.quantile(resampled.cpu(), q).tolist()
    return ExcessCI(float(value.reshape(())), low, high, level)


def _resampled_means(rows: Tensor, n_boot: int, generator: torch.Generator) -> Tensor:
    """(n_boot, ...): the means of ``n_boot`` resamples with replacement of the rows of ``rows`` (N, ...)."""
    n = len(rows)
    index = torch.randint(n, (n_boot, n), generator=generator).to(rows.device)
    weights = torch.zeros(n_boot, n, dtype=rows.dtype, device=rows.device)
    weights.scatter_add_(1, index, torch.full_like(weights, 1 / n))
    return (weights @ rows.reshape(n, -1)).reshape(n_boot, *rows.shape[1:])
