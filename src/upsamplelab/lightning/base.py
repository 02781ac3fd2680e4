"""What the three LightningModules share: optimiser partials, the run directory, grids, memory format."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import pytorch_lightning as pl
import torch
from torch import Tensor

from ..metrics import phase_energy, spectral_distance
from .grids import save_grid
from .performance import ChannelsLast, check_settings, compile_networks, resolve_channels_last, upsampler_families

OptimizerFactory = Callable[..., torch.optim.Optimizer]


class UpsampleLabModule(pl.LightningModule):
    """Base class: ``monitor``/``monitor_mode`` name the metric the best checkpoint is chosen by.

    ``channels_last`` (true, false, "auto") and ``compile``: see ``performance``.  The memory format is resolved when
    the Trainer sets the module up (``uses_channels_last``); the networks and every 4-d batch tensor are converted.
    """

    monitor: str
    monitor_mode: str

    def __init__(self, monitor: str, monitor_mode: str, channels_last: ChannelsLast = "auto",
                 compile: bool = False) -> None:
        super().__init__()
        if monitor_mode not in ("min", "max"):
            raise ValueError(f"monitor_mode must be one of ['min', 'max'], got {monitor_mode!r}")
        check_settings(channels_last, compile)
        self.monitor, self.monitor_mode, self.channels_last = monitor, monitor_mode, channels_last
        self.compile_networks, self.uses_channels_last = compile, False

    def setup(self, stage: str) -> None:
        device_type = self.trainer.strategy.root_device.type
        self.uses_channels_last = resolve_channels_last(self.channels_last, device_type, upsampler_families(self))
        if self.uses_channels_last:
            self.to(memory_format=torch.channels_last)
        if self.compile_networks:
            compile_networks(self)

    def on_after_batch_transfer(self, batch, dataloader_idx: int):
        if self.uses_channels_last:
            return [b.contiguous(memory_format=torch.channels_last) if b.dim() == 4 else b for b in batch]
        return batch

    def log_train(self, values: Callable[[], dict[str, Tensor]]) -> None:
        """Log ``train/<name>`` for each entry of ``values()`` (also on the progress bar), on the Trainer's logging
        steps only (``trainer.log_every_n_steps``), the steps whose values reach the logger anyway.

        Lightning's ``self.log`` costs ~0.1-0.2 ms of host time per value; at every step that was a few per cent of a
        small model's step (``upsamplelab.bench``).  ``values`` is only called on logging steps, so metrics computed
        for display alone cost nothing in between.  The divergence guard reads the losses that ``training_step``
        returns instead.
        """
        if self.trainer._logger_connector.should_update_logs:
            self.log_dict({f"train/{k}": v for k, v in values().items()}, prog_bar=True)

    @property
    def run_dir(self) -> Path:
        """The Trainer's ``default_root_dir`` (Hydra's run directory when started from ``upsamplelab.train``)."""
        return Path(self.trainer.default_root_dir)

    def save_epoch_grid(self, rows: list[Tensor], kind: str) -> Optional[Path]:
        """Write ``rows`` (each (n, C, H, W) in [-1, 1]) as ``<run_dir>/<kind>/epoch_XXX.png`` on rank 0."""
        if self.trainer.sanity_checking or not self.trainer.is_global_zero:
            return None
        path = self.run_dir / kind / f"epoch_{self.current_epoch:03d}.png"
        save_grid(rows, path)
        return path

    def log_artifact_metrics(self, images: Tensor, reference: Tensor, stage: str) -> None:
        """``<stage>/phase_energy``: mean stride-2 phase energy of ``images`` (checkerboard share, Odena et al.
        2016); ``<stage>/spectral_distance``: log-spectrum L1 distance to ``reference`` (Durall et al. 2020)."""
        images, reference = images.detach().float(), reference.detach().float()
        self.log_dict({f"{stage}/phase_energy": phase_energy(images, period=2).mean(),
                       f"{stage}/spectral_distance": spectral_distance(images, reference).float()},
                      batch_size=images.shape[0])

    @staticmethod
    def check_fit(datamodule, channels: int, channels_key: str, depth: int, depth_key: str) -> None:
        """ValueError naming the keys unless the data has ``channels`` channels and a size divisible by
        2**``depth`` (a network that halves the size ``depth`` times)."""
        if channels != datamodule.channels:
            raise ValueError(f"{channels_key}={channels} but data.channels={datamodule.channels}")
        if datamodule.image_size % 2 ** depth:
            raise ValueError(f"data.image_size={datamodule.image_size} is not divisible by 2**{depth_key} = "
                             f"{2 ** depth} ({depth_key}={depth})")

    def check_data(self, datamodule) -> None:
        """Raise ValueError naming the config keys when the data does not fit the networks (before training)."""
