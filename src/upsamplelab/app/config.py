"""Hydra plumbing shared by the train and eval entry points."""
from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Optional

import pytorch_lightning as pl
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from ..reliability.job_identity import job_dir_name
from ..run_dir import last_checkpoint

# the package's configs: a link to the repository's configs/ in a checkout, a copy of them in an installed wheel
CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
# hydra.sweep.subdir: a sweep job's directory is named after the values it sweeps
OmegaConf.register_new_resolver("job_dir", job_dir_name, replace=True)


def compose_config(overrides: list[str], output_dir: str | Path, config_name: str = "train") -> DictConfig:
    """``config_name`` composed with ``overrides`` as the command line would, writing into ``output_dir``.

    Hydra's compose API (no run directory is created, nothing is logged): for tests and for ``upsamplelab.bench``,
    which run ``train`` in-process on configs that the CLI would accept as they are.
    """
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name=config_name, overrides=list(overrides), return_hydra_config=True)
    with read_write(cfg.hydra.runtime):
        cfg.hydra.runtime.output_dir = str(output_dir)
    HydraConfig().set_config(cfg)
    with open_dict(cfg):
        cfg.paths.output_dir = str(output_dir)
    return cfg


def instantiate_entries(cfg: Optional[DictConfig]) -> list:
    """Every entry of a config group like ``callbacks`` or ``logger`` that has a ``_target_``."""
    return [instantiate(c) for c in (cfg or {}).values() if isinstance(c, DictConfig) and "_target_" in c]


def instantiate_loggers(cfg: Optional[DictConfig]) -> list | bool:
    """The ``logger`` group's loggers; ``False`` (no logger) when there is none."""
    return instantiate_entries(cfg) or False


def resolve_ckpt_path(ckpt_path: Optional[str], trainer: pl.Trainer) -> Optional[str]:
    """``"last"`` means ``last_checkpoint(<run dir>)`` (None when it does not exist yet: a fresh start)."""
    if ckpt_path != "last":
        return ckpt_path
    last = last_checkpoint(trainer.default_root_dir)
    return str(last) if last.exists() else None


def instantiate_task(cfg: DictConfig) -> tuple[pl.LightningDataModule, pl.LightningModule]:
    """Seed, then the data module and the LightningModule, checked to fit each other (nothing loaded yet)."""
    pl.seed_everything(cfg.seed, workers=True)
    datamodule = instantiate(cfg.data)
    model = instantiate(cfg.model)
    model.check_data(datamodule)
    return datamodule, model


KNOWN_NOISE = (
    r".*isinstance\(treespec, LeafSpec\)",                    # Lightning's own use of a torch deprecation
    r"You have overridden `on_after_batch_transfer`",         # intended: the modules convert memory format there
)


class _DropAdvertisement(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "Tip: For seamless cloud" not in record.getMessage()


def silence_library_noise(ignore_warnings: bool = False) -> None:
    """Hide the library messages every run would print that say nothing about this run (listed in KNOWN_NOISE);
    with ``ignore_warnings`` (``extras.ignore_warnings``), every Python warning."""
    if ignore_warnings:
        warnings.filterwarnings("ignore")
    for pattern in KNOWN_NOISE:
        warnings.filterwarnings("ignore", message=pattern)
    logging.getLogger("pytorch_lightning.utilities.rank_zero").addFilter(_DropAdvertisement())
