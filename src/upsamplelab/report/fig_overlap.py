"""Figure: the kernel overlap of the sweep's upsamplers that hold a transposed convolution (at x2): one panel per
upsampler with the taps per output cell after its fixed filters (``upsamplelab.analysis.overlap
.plot_upsampler_overlaps``), so a filtered transposed conv (convT_k3_fir, convT_k3_zoh) shows the even overlap it
has, not that of its K3 S2 convolution alone."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from .figure_io import fit_suptitle, quiet_registry, save_figure

DEFAULT_KERNELS, DEFAULT_STRIDES = (2, 3, 4), (2,)


def transposed_conv_upsamplers_of(upsamplers: Sequence[str]) -> list[str]:
    """Those of ``upsamplers`` that are registered and hold a transposed conv at x2, in the given order."""
    from ..analysis.overlap import transposed_conv_upsamplers
    with quiet_registry():
        holding = set(transposed_conv_upsamplers())
    return [name for name in upsamplers if name in holding]


def plot_overlap(upsamplers: Sequence[str], path: Path, input_size: int = 4) -> tuple[Optional[Path], list[str]]:
    from ..analysis.overlap import plot_overlap_grid, plot_upsampler_overlaps
    names = transposed_conv_upsamplers_of(upsamplers)
    if names:
        with quiet_registry():
            fig = plot_upsampler_overlaps(names, input_size)
        note = ("transposed convolutions in this sweep: " + ", ".join(names)
                + " (taps per output cell after each one's fixed filters)")
    else:
        fig = plot_overlap_grid(list(DEFAULT_KERNELS), list(DEFAULT_STRIDES), input_size)
        note = "no upsampler of this sweep is a transposed convolution; K 2-4 at S 2 shown for reference"
    return save_figure(fit_suptitle(fig), path), [note]
