"""The Hydra files of a run directory, written as the CLI writes them, for runs trained in-process."""
from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig, OmegaConf


def save_hydra_files(cfg: DictConfig, run_dir: Path) -> None:
    """``<run_dir>/.hydra/config.yaml`` (``cfg`` without its ``hydra`` node, unresolved) and ``overrides.yaml`` (its
    task overrides) of a config composed by ``conftest.make_cfg``."""
    hydra_dir = Path(run_dir) / ".hydra"
    hydra_dir.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"]), hydra_dir / "config.yaml")
    OmegaConf.save(OmegaConf.create(list(cfg.hydra.overrides.task)), hydra_dir / "overrides.yaml")
