"""Evaluate a checkpoint: ``python -m upsamplelab.eval ckpt_path=...`` (console script ``upsamplelab-eval``).

The data, model and upsampler are those of the run that wrote the checkpoint (its ``.hydra/config.yaml``, found
next to ``checkpoints/``), so the path alone is enough; ``data.*`` / ``model.*`` overrides on the command line
still apply on top.  Runs validation and test and returns their metrics.  The checkpoint is loaded with
``weights_only=True``: a file that would run code when unpickled is refused (``UnsafeCheckpointError``), and the
run's config only when every ``_target_`` in it is on the allow-list of ``reliability.trusted_targets``.
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
from .app.run_dir import run_config, run_dir_of_checkpoint
from .reliability.trusted_targets import check_targets

RUN_KEYS = ("data", "model", "upsampler", "seed")


def run_config_of(ckpt_path: Path) -> DictConfig | None:
    """The ``.hydra/config.yaml`` of the run directory holding ``<run>/checkpoints/<file>.ckpt``, if any; refused
    (``UntrustedConfigError``) when it names a ``_target_`` off the allow-list (``reliability.trusted_targets``)."""
    path = run_config(run_dir_of_checkpoint(ckpt_path))
    if not path.exists():
        return None
    run_cfg = OmegaConf.load(path)
    for key in RUN_KEYS:                              # what eval adopts and instantiates
        if isinstance(run_cfg.get(key), DictConfig):
            check_targets(run_cfg[key], str(path), key)
    return run_cfg


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
