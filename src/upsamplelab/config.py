"""Hydra plumbing shared by the train and eval entry points."""
from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Optional

import pytorch_lightning as pl
from hydra.utils import instantiate
from omegaconf import DictConfig

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"


def instantiate_callbacks(cfg: Optional[DictConfig]) -> list[pl.Callback]:
    """Every entry of the ``callbacks`` group that has a ``_target_``."""
    return [instantiate(c) for c in (cfg or {}).values() if isinstance(c, DictConfig) and "_target_" in c]


def instantiate_loggers(cfg: Optional[DictConfig]) -> list | bool:
    """Every entry of the ``logger`` group; ``False`` (no logger) when there is none."""
    loggers = [instantiate(c) for c in (cfg or {}).values() if isinstance(c, DictConfig) and "_target_" in c]
    return loggers or False


def resolve_ckpt_path(ckpt_path: Optional[str], trainer: pl.Trainer) -> Optional[str]:
    """``"last"`` means ``<run dir>/checkpoints/last.ckpt`` (None when it does not exist yet: a fresh start)."""
    if ckpt_path != "last":
        return ckpt_path
    last = Path(trainer.default_root_dir) / "checkpoints" / "last.ckpt"
    return str(last) if last.exists() else None


KNOWN_NOISE = (
    r".*isinstance\(treespec, LeafSpec\)",                    # Lightning's own use of a torch deprecation
    r"You have overridden `on_after_batch_transfer`",         # intended: the modules convert memory format there
)


class _DropAdvertisement(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "Tip: For seamless cloud" not in record.getMessage()


def silence_library_noise() -> None:
    """Hide the library messages every run would print that say nothing about this run (listed in KNOWN_NOISE)."""
    for pattern in KNOWN_NOISE:
        warnings.filterwarnings("ignore", message=pattern)
    logging.getLogger("pytorch_lightning.utilities.rank_zero").addFilter(_DropAdvertisement())
