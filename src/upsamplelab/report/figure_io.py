"""Drawing the report's figures: matplotlib's Agg backend, small PNGs, titles that fit, a quiet registry."""
from __future__ import annotations

import logging
import textwrap
from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DPI = 90


def fit_suptitle(fig: plt.Figure, fontsize: float = 9) -> plt.Figure:
    """Wrap the figure's suptitle to its width (the analysis figures size themselves by panel count, so a sweep of
    one or two upsamplers would cut a one-line title off) and lay the figure out again."""
    text = fig.get_suptitle()
    if text:
        chars = max(20, int(fig.get_figwidth() * 72 / (0.55 * fontsize)))
        fig.suptitle(textwrap.fill(" ".join(text.split()), chars), fontsize=fontsize)
        fig.tight_layout()
    return fig


@contextmanager
def quiet_registry():
    """Building upsamplers for a figure: no "checkerboard-prone" warnings (the figures show exactly that)."""
    logger = logging.getLogger("upsamplelab.nn")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def save_figure(fig: plt.Figure, path: Path, dpi: int = DPI) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
