"""Figure: the sweep's upsamplers at initialisation (``upsamplelab.analysis.at_init``): a stack of three and a
DCGAN generator, non-negative weights, constant input, with phase energy and phase contrast."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from .figure_io import fit_suptitle, quiet_registry, save_figure


def plot_at_init_row(upsamplers: Sequence[str], path: Path, seed: int = 0) -> tuple[Optional[Path], list[str]]:
    from ..analysis.at_init import SCORES, at_init_images, plot_at_init, score_images
    from ..nn import list_upsamplers
    known = [name for name in dict.fromkeys(upsamplers) if name in list_upsamplers()]
    notes = [f"{name}: not a registered upsampler (left out)" for name in dict.fromkeys(upsamplers)
             if name not in known]
    if not known:
        return None, notes
    with quiet_registry():
        images = {name: at_init_images(name, seed) for name in known}
    scores = {score: {name: score_images(by_net, score) for name, by_net in images.items()} for score in SCORES}
    return save_figure(fit_suptitle(plot_at_init(images, scores)), path, dpi=70), notes
