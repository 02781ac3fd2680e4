"""Array plumbing for the NumPy references: accept NumPy arrays or CPU tensors, check layouts and groups."""
from __future__ import annotations

import numpy as np


def as_array(a, name: str, ndim: int) -> np.ndarray:
    """``a`` as a NumPy array (float64 unless it already has a float dtype) with ``ndim`` dimensions."""
    if hasattr(a, "detach"):  # a torch.Tensor
        a = a.detach().cpu().numpy()
    arr = np.asarray(a)
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {arr.shape}")
    return arr


def check_groups(channels_in: int, channels_out: int, groups: int, in_name: str, out_name: str) -> None:
    """Raise ``ValueError`` unless ``groups`` divides both channel counts."""
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    if channels_in % groups or channels_out % groups:
        raise ValueError(f"groups={groups} must divide {in_name}={channels_in} and {out_name}={channels_out}")


def transposed_operands(x, weight, groups: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Check ``x`` (N, C_in, H, W) against a ConvTranspose2d weight (C_in, C_out // groups, kH, kW).

    Returns the two arrays and ``C_out``.
    """
    x, weight = as_array(x, "x", 4), as_array(weight, "weight", 4)
    if weight.shape[0] != x.shape[1]:
        raise ValueError(
            f"weight.shape[0] (C_in of a ConvTranspose2d weight) must equal x.shape[1]; got {weight.shape[0]} "
            f"and {x.shape[1]}"
        )
    c_out = weight.shape[1] * groups
    check_groups(x.shape[1], c_out, groups, "C_in", "C_out")
    return x, weight, c_out


def pad_or_crop(a: np.ndarray, axis: int, before: int, after: int) -> np.ndarray:
    """Zero-pad ``a`` along ``axis`` by ``before``/``after``; a negative amount crops that many instead."""
    a = np.moveaxis(a, axis, -1)
    a = a[..., max(-before, 0): a.shape[-1] - max(-after, 0)]
    widths = [(0, 0)] * (a.ndim - 1) + [(max(before, 0), max(after, 0))]
    return np.moveaxis(np.pad(a, widths), -1, axis)
