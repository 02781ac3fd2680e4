"""Evaluate a checkpoint: ``python -m upsamplelab.eval ckpt_path=...`` (console script ``upsamplelab-eval``).

The data, model, upsampler and seed are those of the run that wrote the checkpoint (its run directory holds
``checkpoints/``), so the path alone is enough; ``data.*`` / ``model.*`` overrides on the command line still apply
on top.  Runs validation and test and returns their metrics.

A run directory is data, never code (``app.recorded_run``): they are rebuilt from this package's configs (and the
``--config-dir`` given here) with the run's recorded overrides, each checked, and the result must equal the run's
``.hydra/config.yaml``; nothing in that file is instantiated, and nothing in the directory decides where eval
writes (its outputs, ``metrics.cache_dir`` and any dataset download come from this command line and its
defaults: a rebuilt data module downloads only with ``data.download=true`` given here).  The checkpoint is loaded
with ``weights_only=True``: a file that would run code when unpickled is refused (``UnsafeCheckpointError``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import hydra
import pytorch_lightning as pl
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf, open_dict

from .app.bad_input import check_ckpt_path, check_precision, exit_on_bad_input
from .app.config import CONFIG_DIR, instantiate_loggers, instantiate_task, silence_library_noise
from .app.recorded_run import run_config_of
from .run_dir import RUN_KEYS


def adopt_run_config(cfg: DictConfig, run_cfg: DictConfig, overrides: list[str]) -> DictConfig:
    """Replace data/model/upsampler/seed by the run's, then re-apply command-line ``data.*``/``model.*`` overrides."""
    with open_dict(cfg):
        for key in RUN_KEYS:
            if key in run_cfg:
                cfg[key] = run_cfg[key]
        mine = [o.lstrip("+") for o in overrides if o.lstrip("+").split(".")[0] in ("data", "model")]
        cfg.merge_with(OmegaConf.from_dotlist(mine))
    return cfg


def check_overrides(overrides: list[str]) -> None:
    """When the checkpoint's run config is found, the run decides data, model, upsampler and seed: a group or seed
    override would be silently replaced, so it is refused; ``data.*`` / ``model.*`` keys are applied.  (A checkpoint
    without its run directory takes them all from the command line.)"""
    for override in overrides:
        key = override.lstrip("+~").split("=", 1)[0]
        if key in RUN_KEYS:
            raise ValueError(f"eval takes {', '.join(RUN_KEYS)} from the run that wrote the checkpoint; {override} "
                             f"would be ignored: override single keys (data.batch_size=..., model.<key>=...) instead")


def evaluate(cfg: DictConfig, overrides: list[str] = ()) -> dict[str, Any]:
    if cfg.ckpt_path == "last":
        raise ValueError("ckpt_path=last names a training run's own checkpoint; give the path of a .ckpt file")
    check_ckpt_path(cfg.ckpt_path)
    ckpt_path = Path(cfg.ckpt_path)
    run_cfg = run_config_of(ckpt_path)
    if run_cfg is not None:
        check_overrides(list(overrides))
        cfg = adopt_run_config(cfg, run_cfg, list(overrides))
    datamodule, model = instantiate_task(cfg)
    trainer: pl.Trainer = instantiate(cfg.trainer, logger=instantiate_loggers(cfg.get("logger")), callbacks=[])
    check_precision(cfg.trainer.get("precision", "32"), trainer.strategy.root_device.type)
    metrics: dict[str, Any] = {}
    for run in (trainer.validate, trainer.test):
        for result in run(model, datamodule=datamodule, ckpt_path=str(ckpt_path), weights_only=True):
            metrics |= result
    return metrics


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="eval")
def main(cfg: DictConfig) -> None:
    silence_library_noise(cfg.extras.get("ignore_warnings", False))
    try:
        metrics = evaluate(cfg, HydraConfig.get().overrides.task)
    except Exception as err:
        exit_on_bad_input(err)
        raise
    for key, value in sorted(metrics.items()):
        print(f"{key:>20s}  {value:.6g}")


if __name__ == "__main__":
    main()
