"""Overlap heatmaps of transposed convolutions: Odena, Dumoulin & Olah (2016)'s figure as a grid over K and S.

    python -m upsamplelab.analysis.overlap [--kernels 2 3 4] [--strides 1 2 3] [--input-size 4] [--out PATH]
    python -m upsamplelab.analysis.overlap --upsamplers convT_k3 convT_k3_fir convT_k3_zoh [--out PATH]

Each panel shows, for an unpadded transposed conv on an input of ``input_size`` x ``input_size`` ones with an
all-ones kernel, how many kernel taps land on every output cell (``upsamplelab.ops.overlap_map``).  The interior is
uniform iff K % S == 0; otherwise the counts alternate in a checkerboard.

With ``--upsamplers``, one panel per registered upsampler that holds a transposed conv, as the module computes it
at x2 (its padding, and any fixed filter after the transposed conv): every learned weight one, biases zero, the
input all ones.  The taps are then weighted by the filter: convT_k3's 1-2-4 checkerboard becomes a uniform 9 after
StyleGAN2's [1, 3, 3, 1] filter or the zero-order hold, as many taps as a 3 x 3 resize-conv has.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

import matplotlib
import numpy as np
import torch
from torch import nn

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..nn import build_upsampler, list_upsamplers  # noqa: E402
from ..ops import is_checkerboard_free, overlap_map  # noqa: E402

DEFAULT_OUT = Path("outputs/figures/overlap_heatmaps.png")


def plot_overlap_grid(kernels: Sequence[int], strides: Sequence[int], input_size: int) -> plt.Figure:
    """One heatmap panel per (K, S), counts written in the cells, titled with K, S and the verdict."""
    fig, axes = plt.subplots(len(kernels), len(strides), squeeze=False,
                             figsize=(3.2 * len(strides), 3.4 * len(kernels)))
    for row, k in enumerate(kernels):
        for col, s in enumerate(strides):
            counts, ax = overlap_map(k, s, input_size), axes[row][col]
            ax.imshow(counts, cmap="magma", vmin=0, vmax=max(1, counts.max()))
            if counts.shape[0] <= 16:
                for (y, x), c in np.ndenumerate(counts):
                    ax.text(x, y, str(c), ha="center", va="center", fontsize=7,
                            color="black" if c > counts.max() / 2 else "white")
            free = is_checkerboard_free(k, s)
            verdict = "checkerboard-free" if free else "checkerboard (K % S ≠ 0)"
            ax.set_title(f"K={k}, S={s}\n{verdict}", fontsize=10, color="tab:green" if free else "tab:red")
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(f"Kernel overlap of a transposed conv on a {input_size}×{input_size} input "
                 f"(taps per output cell)", fontsize=11)
    fig.tight_layout()
    return fig


def upsampler_overlap(name: str, input_size: int) -> np.ndarray | None:
    """(2 * input_size, 2 * input_size) taps per output cell of upsampler ``name`` at x2, 1 -> 1 channel, every learned
    weight one and bias zero, on an input of ones (float64); None when the module holds no transposed conv."""
    with torch.random.fork_rng(devices=[]):                  # the initial weights are overwritten: keep the RNG
        module = build_upsampler(name, 1, 1).double()
    if not any(isinstance(m, nn.ConvTranspose2d) for m in module.modules()):
        return None
    with torch.no_grad():
        for param_name, param in module.named_parameters():
            param.fill_(0.0 if param_name.endswith("bias") else 1.0)
        return module(torch.ones(1, 1, input_size, input_size, dtype=torch.float64))[0, 0].numpy()


def transposed_conv_upsamplers() -> list[str]:
    """The registered upsamplers that hold a transposed conv."""
    return [name for name in list_upsamplers(scale_factor=2) if upsampler_overlap(name, 1) is not None]


def plot_upsampler_overlaps(names: Sequence[str], input_size: int) -> plt.Figure:
    """One panel per upsampler (``upsampler_overlap``), cells labelled with their weighted tap counts, titled with
    whether the interior (one cell in from each side of the input, two at the output) is uniform."""
    fig, axes = plt.subplots(1, len(names), squeeze=False, figsize=(max(3.2 * len(names), 5.0), 3.9))
    for ax, name in zip(axes[0], names):
        taps = upsampler_overlap(name, input_size)
        interior = taps[2:-2, 2:-2]
        even = interior.size > 0 and np.ptp(interior) < 1e-9
        ax.imshow(taps, cmap="magma", vmin=0, vmax=max(1.0, taps.max()))
        if taps.shape[0] <= 16:
            for (y, x), c in np.ndenumerate(taps):
                ax.text(x, y, f"{c:.3g}", ha="center", va="center", fontsize=6,
                        color="black" if c > taps.max() / 2 else "white")
        ax.set_title(f"{name}\n{'even overlap' if even else 'uneven overlap (checkerboard)'}", fontsize=10,
                     color="tab:green" if even else "tab:red")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"Taps per output cell (x2, {input_size}×{input_size} input):\n"
                 f"transposed conv with an all-ones kernel, then any fixed filter", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.88))
    return fig


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kernels", type=int, nargs="+", default=[2, 3, 4])
    parser.add_argument("--strides", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--input-size", type=int, default=4)
    parser.add_argument("--upsamplers", nargs="+", metavar="NAME",
                        help="one panel per registered upsampler with a transposed conv, instead of the K x S grid")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.input_size < 1:
        parser.error(f"--input-size must be >= 1, got {args.input_size}")
    if args.upsamplers:
        allowed = transposed_conv_upsamplers()
        unknown = [name for name in args.upsamplers if name not in allowed]
        if unknown:
            parser.error(f"--upsamplers: {', '.join(unknown)} hold no transposed conv; allowed: {', '.join(allowed)}")
        fig = plot_upsampler_overlaps(args.upsamplers, args.input_size)
    else:
        fig = plot_overlap_grid(args.kernels, args.strides, args.input_size)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=120)
    plt.close(fig)
    print(f"overlap heatmaps written to {args.out.resolve()}")
    return args.out


if __name__ == "__main__":
    main()
