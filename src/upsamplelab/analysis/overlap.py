"""Overlap heatmaps of transposed convolutions: Odena, Dumoulin & Olah (2016)'s figure as a grid over K and S.

    python -m upsamplelab.analysis.overlap [--kernels 2 3 4] [--strides 1 2 3] [--input-size 4] [--out PATH]

Each panel shows, for an unpadded transposed conv on an input of ``input_size`` x ``input_size`` ones with an
all-ones kernel, how many kernel taps land on every output cell (``upsamplelab.ops.overlap_map``).  The interior is
uniform iff K % S == 0; otherwise the counts alternate in a checkerboard.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

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


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kernels", type=int, nargs="+", default=[2, 3, 4])
    parser.add_argument("--strides", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--input-size", type=int, default=4)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.input_size < 1:
        parser.error(f"--input-size must be >= 1, got {args.input_size}")
    fig = plot_overlap_grid(args.kernels, args.strides, args.input_size)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=120)
    plt.close(fig)
    print(f"overlap heatmaps written to {args.out.resolve()}")
    return args.out


if __name__ == "__main__":
    main()
