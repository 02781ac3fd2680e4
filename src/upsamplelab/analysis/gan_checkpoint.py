"""A trained GAN generator from a training run's checkpoint, its samples, and the run's real images.

The run directory holding ``<run>/checkpoints/<file>.ckpt`` records the run's overrides and composed config in
``<run>/.hydra/``; the generator is built from ``model.generator`` of the run's config as rebuilt from the package's
configs (``app.recorded_run``: a run directory is data, never code) and loaded with the checkpoint's weights
(``weights_only=True``: nothing in the file is executed): those of the EMA copy (``ema.module.*``, ``model.ema``)
when the run kept one, as its evaluations did, else ``generator.*``.  The EMA copy's
BatchNorm statistics are those of its last recalibration (before the run's last evaluation).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from torch import Tensor, nn

from ..app.recorded_run import run_config_of
from ..run_dir import run_config, run_dir_of_checkpoint


EMA_PREFIX = "ema.module."


@dataclass
class GANRun:
    """A checkpoint's generator (eval mode, CPU), the run's config, and the upsampler it was trained with."""

    path: Path
    config: DictConfig
    generator: nn.Module
    weights: str = "generator"           # "ema": the EMA copy's weights

    @property
    def upsampler(self) -> str:
        return str(OmegaConf.select(self.config, "upsampler.name", default="?"))

    def sample(self, n: int, seed: int = 0, batch_size: int = 250) -> Tensor:
        """``n`` images from latents drawn with ``torch.Generator().manual_seed(seed)``: float32 in [-1, 1]."""
        return self.generator.generate(n, torch.Generator().manual_seed(seed), batch_size)

    def real_images(self, split: str, n: int) -> Tensor:
        """The first ``n`` images of ``split`` of the run's data module."""
        return instantiate(self.config.data).real_images(split, n)


def load_gan_run(ckpt_path: str | Path) -> GANRun:
    """The generator of the GAN run that wrote ``ckpt_path``; ValueError when it is not a GAN run's checkpoint."""
    path = Path(ckpt_path)
    if not path.is_file():
        raise ValueError(f"checkpoint {path} does not exist")
    config = run_config_of(path)
    if config is None or "generator" not in config.get("model", {}):
        raise ValueError(f"checkpoint {path} has no GAN run config next to it (expected "
                         f"{run_config(run_dir_of_checkpoint(path))} with model.generator)")
    generator = instantiate(config.model.generator)
    state = torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
    weights = "ema" if any(k.startswith(EMA_PREFIX) for k in state) else "generator"
    prefix = EMA_PREFIX if weights == "ema" else "generator."
    generator.load_state_dict({k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)})
    return GANRun(path, config, generator.eval(), weights)
