"""Checkerboard artifacts at initialisation (Odena, Dumoulin & Olah 2016: they are there before any training).

    python -m upsamplelab.analysis.at_init [--out DIR] [--seed 0] [--upsamplers NAME ...]

For every upsampler, two untrained networks get non-negative weights (|w| of their initial conv weights and biases,
so the sub-kernels add up instead of cancelling) and a constant input:

- stack: three x2 upsamplers, 8 -> 8 -> 8 -> 1 channels (1 -> 1 -> 1 -> 1 for an upsampler that keeps its channels,
  the registry's ``channels="equal"``), on an 8 x 8 input of ones (a 64 x 64 image);
- generator: ``DCGANGenerator(nz=100, ngf=8, image_size=32, channels=1)`` in eval mode (a fresh BatchNorm is then
  the identity, up to its N(1, 0.02) scale) on the constant latent z = 1e-3.  All its biases start at zero, so it is
  linear in z up to the final Tanh, which this small z keeps in its linear range instead of saturating it.  Its
  stages halve the channels, so an upsampler that keeps them has no generator (its panel says so, its score is
  missing).

Each image is scored with ``phase_energy`` (the share of its fine detail that is stride-periodic) and
``phase_contrast`` (the amplitude of the periodic pattern relative to the image), period 2, border 8; the 8-pixel
border (one cell of the generator's 4 x 4 base) holds the zero-padding effects.  ``stride_band_energy`` scores the
same interior (cropped by 8), period 2, width 0: the share of its high-pass power in the Nyquist row and column.
The networks run in float64.  Writes ``at_init_artifacts.png`` (one column per upsampler, a row per network,
titles green where the registry says checkerboard-free at init) and ``at_init_scores.json`` into ``--out``, and
prints the tables.

Phase energy separates checkerboard-prone from checkerboard-free upsamplers but does not rank the prone ones: the
stack's interior is purely periodic for all of them, so K3/S2 (strong 1-2-4 contrast) and K4/S2 (a few percent)
both score near 1.  Phase contrast ranks them as the eye does: K3/S2 0.4-0.7, K4/S2 and pixel shuffle below 0.1,
resize-conv below 0.001.  In the generator, the last nearest resize of ``resize_conv_nearest`` leaves a faint
staircase on an almost flat image: phase energy 0.3 - 0.5, phase contrast below 0.001.  Stride-band energy separates
like phase energy (the prone ones above 0.8, the free ones below 0.25) and, being a power share, does not depend
on the pattern's sign.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Sequence

import matplotlib
import torch
from torch import Tensor, nn

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..metrics import phase_contrast, phase_energy, stride_band_energy  # noqa: E402
from ..models import DCGANGenerator  # noqa: E402
from ..nn import build_upsampler, list_upsamplers, upsampler_info  # noqa: E402

DEFAULT_OUT = Path("outputs/figures")
NETWORKS = ("stack", "generator")
STACK_CHANNELS = (8, 8, 8, 1)
STACK_INPUT_SIZE = 8
GENERATOR_KWARGS = dict(nz=100, ngf=8, image_size=32, channels=1)
LATENT_VALUE = 1e-3
BORDER = 8


def upsampler_stack(name: str, channels: Sequence[int] = STACK_CHANNELS) -> nn.Sequential:
    """``len(channels) - 1`` x2 upsamplers ``name`` in a row, channels[i] -> channels[i + 1], no normalisation."""
    return nn.Sequential(*(build_upsampler(name, c_in, c_out) for c_in, c_out in zip(channels[:-1], channels[1:])))


def nonnegative_(module: nn.Module) -> nn.Module:
    """Replace every conv / transposed-conv weight and bias by its absolute value, in place; returns ``module``."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                for p in m.parameters(recurse=False):
                    p.abs_()
    return module


def at_init_images(name: str, seed: int = 0) -> dict[str, Tensor]:
    """The stack's (64, 64) and the generator's (32, 32) float64 image for upsampler ``name`` (module docstring; no
    generator for an upsampler that cannot halve channels).

    Both networks are built from ``torch.manual_seed(seed)``; the global RNG state is restored afterwards.
    """
    halves = upsampler_info(name).supports_channels(2, 1)
    channels = STACK_CHANNELS if halves else (1,) * len(STACK_CHANNELS)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        stack = nonnegative_(upsampler_stack(name, channels)).double()
        torch.manual_seed(seed)
        generator = (nonnegative_(DCGANGenerator(upsampler=name, **GENERATOR_KWARGS)).double().eval()
                     if halves else None)
    ones = torch.ones(1, channels[0], STACK_INPUT_SIZE, STACK_INPUT_SIZE, dtype=torch.float64)
    with torch.no_grad():
        images = {"stack": stack(ones)[0, 0]}
        if generator is not None:
            latent = torch.full((1, generator.nz, 1, 1), LATENT_VALUE, dtype=torch.float64)
            images["generator"] = generator(latent)[0, 0]
    return images


def _stride_band(images: Tensor, period: int, border: int) -> Tensor:
    return stride_band_energy(images[..., border:images.shape[-2] - border, border:images.shape[-1] - border],
                              period=period, width=0)


SCORES = {"phase_energy": phase_energy, "phase_contrast": phase_contrast, "stride_band_energy": _stride_band}


def score_images(images: dict[str, Tensor], score: str = "phase_energy") -> dict[str, float]:
    """``SCORES[score](period=2, border=8)`` of each (H, W) image (of the networks there are)."""
    return {net: SCORES[score](image[None, None], period=2, border=BORDER).item() for net, image in images.items()}


def at_init_scores(upsamplers: Sequence[str] | None = None, seed: int = 0,
                   score: str = "phase_energy") -> dict[str, dict[str, float]]:
    """{upsampler: {"stack": score, "generator": score}} for ``upsamplers`` (default: all registered; no
    "generator" for an upsampler that cannot halve channels)."""
    return {name: score_images(at_init_images(name, seed), score) for name in upsamplers or list_upsamplers()}


def plot_at_init(images: dict[str, dict[str, Tensor]], scores: dict[str, dict[str, dict[str, float]]]) -> plt.Figure:
    """One column per upsampler, one row per network; panels titled with the name, phase energy and contrast."""
    fig, axes = plt.subplots(len(NETWORKS), len(images), squeeze=False, figsize=(2.1 * len(images), 6.0))
    for col, (name, by_net) in enumerate(images.items()):
        color = "tab:green" if upsampler_info(name).checkerboard_free_at_init else "tab:red"
        for row, net in enumerate(NETWORKS):
            ax = axes[row][col]
            ax.set_xticks([])
            ax.set_yticks([])
            if net not in by_net:
                ax.text(0.5, 0.5, "keeps its channels:\nno DCGAN G", ha="center", va="center", fontsize=8)
                ax.set_title(name, fontsize=8, color=color)
                continue
            ax.imshow(by_net[net].numpy(), cmap="gray")
            pe, pc, sb = (scores[s][name][net] for s in ("phase_energy", "phase_contrast", "stride_band_energy"))
            ax.set_title(f"{name}\nPE {pe:.3f}  PC {pc:.3f}\nSB {sb:.3f}", fontsize=8, color=color)
    axes[0][0].set_ylabel("3 x2 upsamplers, ones", fontsize=9)
    axes[1][0].set_ylabel("DCGAN G, constant z", fontsize=9)
    fig.suptitle("Non-negative weights, constant input, before training: phase energy (PE), phase contrast (PC), "
                 "stride-band energy (SB)", fontsize=11)
    fig.tight_layout()
    return fig


def format_table(scores: dict[str, dict[str, float]]) -> str:
    """A fixed-width text table: upsampler, then one column of scores per network."""
    lines = [f"{'upsampler':<22}" + "".join(f"{net:>11}" for net in NETWORKS)]
    lines += [f"{name:<22}" + "".join(f"{by_net[net]:>11.4f}" if net in by_net else f"{'-':>11}" for net in NETWORKS)
              for name, by_net in scores.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--upsamplers", nargs="+", choices=list_upsamplers(), default=list_upsamplers())
    args = parser.parse_args(argv)
    images = {name: at_init_images(name, args.seed) for name in args.upsamplers}
    scores = {score: {name: score_images(by_net, score) for name, by_net in images.items()} for score in SCORES}
    args.out.mkdir(parents=True, exist_ok=True)
    figure_path, scores_path = args.out / "at_init_artifacts.png", args.out / "at_init_scores.json"
    fig = plot_at_init(images, scores)
    fig.savefig(figure_path, dpi=120)
    plt.close(fig)
    scores_path.write_text(json.dumps({"seed": args.seed, **scores}, indent=2) + "\n")
    for score, table in scores.items():
        print(f"{score}\n{format_table(table)}")
    print(f"at-init artifact figure written to {figure_path.resolve()} (scores: {scores_path.resolve()})")
    return figure_path


if __name__ == "__main__":
    main()
