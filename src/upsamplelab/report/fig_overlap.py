"""Figure: the kernel-overlap heatmaps (``upsamplelab.analysis.overlap.plot_overlap_grid``) of the transposed
convolutions in the sweep's upsamplers (at x2), read off the built modules."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from torch import nn

from .figure_io import fit_suptitle, quiet_registry, save_figure

DEFAULT_KERNELS, DEFAULT_STRIDES = (2, 3, 4), (2,)


def transposed_convs(upsamplers: Sequence[str]) -> dict[str, tuple[int, int]]:
    """{upsampler: (kernel size, stride)} of those that hold a ConvTranspose2d at x2."""
    from ..nn import build_upsampler, list_upsamplers
    found = {}
    for name in upsamplers:
        if name not in list_upsamplers():
            continue
        with quiet_registry():
            module = build_upsampler(name, 1, 1)
        conv = next((m for m in module.modules() if isinstance(m, nn.ConvTranspose2d)), None)
        if conv is not None:
            found[name] = (conv.kernel_size[0], conv.stride[0])
    return found


def plot_overlap(upsamplers: Sequence[str], path: Path, input_size: int = 4) -> tuple[Optional[Path], list[str]]:
    from ..analysis.overlap import plot_overlap_grid
    convs = transposed_convs(upsamplers)
    if convs:
        kernels = sorted({k for k, _ in convs.values()})
        strides = sorted({s for _, s in convs.values()})
        note = "transposed convolutions in this sweep: " + ", ".join(f"{n} K{k} S{s}" for n, (k, s) in convs.items())
    else:
        kernels, strides = list(DEFAULT_KERNELS), list(DEFAULT_STRIDES)
        note = "no upsampler of this sweep is a transposed convolution; K 2-4 at S 2 shown for reference"
    return save_figure(fit_suptitle(plot_overlap_grid(kernels, strides, input_size)), path), [note]
