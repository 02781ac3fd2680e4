"""What the three LightningModules share: optimiser partials, the run directory, grids, memory format."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, Optional

import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_info
from torch import Tensor, nn

from ..metrics.registry import ARTIFACT_METRICS, METRICS
from .checkpoint_fit import WRITTEN_BY, check_fits, describe, outermost_upsamplers
from .data_parallel import check_data_parallel, gathered
from .grids import save_grid
from .performance import ChannelsLast, check_settings, compile_networks, resolve_channels_last, upsampler_families

OptimizerFactory = Callable[..., torch.optim.Optimizer]
SYNC_BATCHNORM_OFF = ("trainer.sync_batchnorm=true is for GPUs (PyTorch's SyncBatchNorm has no CPU implementation): "
                      "off on the CPU, each process normalises its own batch")


def upsampling_periods(module: nn.Module) -> tuple[int, ...]:
    """The periods of the stride patterns ``module``'s upsamplers can leave in its output, ascending.

    With upsamplers of scale factors s_1 .. s_L in registration order (input to output; an upsampler inside
    another is part of it), layer i repeats every s_i * s_(i+1) * ... * s_L output pixels: (2, 4, 8) for three
    x2 layers, (8,) for one x8 head.  (2,) when the module has no upsampler.
    """
    factors = [m.scale_factor for m in outermost_upsamplers(module)]
    periods = {math.prod(factors[i:]) for i in range(len(factors))} - {1}
    return tuple(sorted(periods)) or (2,)


class UpsampleLabModule(pl.LightningModule):
    """Base class: ``monitor``/``monitor_mode`` name the metric the best checkpoint is chosen by.

    ``channels_last`` (true, false, "auto") and ``compile``: see ``performance``.  The memory format is resolved when
    the Trainer sets the module up (``uses_channels_last``); the networks and every 4-d batch tensor are converted.
    Data parallelism (``trainer=ddp``; ``data_parallel``): at setup, in every process and before Lightning wraps the
    module in DDP, a run whose processes would get no full training batch is refused (``check_data_parallel``) and
    ``trainer.sync_batchnorm`` is turned off on the CPU, with a notice (PyTorch's SyncBatchNorm needs GPUs);
    evaluation losses and training logs are averaged over the processes, artifact metrics computed on the gathered
    batch, so the logged values are those of a single process with the global batch.
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
        datamodule = self.trainer.datamodule
        if stage == "fit" and datamodule is not None:
            check_data_parallel(self.trainer.world_size, datamodule.batch_size, datamodule.split_size("train"))
        device_type = self.trainer.strategy.root_device.type
        if device_type == "cpu" and getattr(self.trainer.strategy, "_layer_sync", None) is not None:
            # Lightning applies trainer.sync_batchnorm when it wraps the module in DDP, after this hook; PyTorch's
            # SyncBatchNorm refuses CPU modules there ("SyncBatchNorm layers only work with GPU modules")
            self.trainer.strategy._layer_sync = None
            rank_zero_info(SYNC_BATCHNORM_OFF)
        self.uses_channels_last = resolve_channels_last(self.channels_last, device_type, upsampler_families(self))
        if self.uses_channels_last:
            self.to(memory_format=torch.channels_last)
        if self.compile_networks:
            compile_networks(self)

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint[WRITTEN_BY] = describe(self)          # which model and upsampler wrote it (``checkpoint_fit``)

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        check_fits(self, checkpoint, self.trainer.ckpt_path)   # before Lightning loads the weights, strictly

    def on_after_batch_transfer(self, batch, dataloader_idx: int):
        if self.uses_channels_last:
            return [b.contiguous(memory_format=torch.channels_last) if b.dim() == 4 else b for b in batch]
        return batch

    def log_train(self, values: Callable[[], dict[str, Tensor]]) -> None:
        """Log ``train/<name>`` for each entry of ``values()`` (also on the progress bar), on the Trainer's logging
        steps only (``trainer.log_every_n_steps``), the steps whose values reach the logger anyway.

        Lightning's ``self.log`` costs host time per value (measured in BENCHMARKS.md); ``values`` is only called
        on logging steps, so metrics computed for display alone cost nothing in between.  The divergence guard
        reads the losses that ``training_step`` returns instead.  Under DDP each value is averaged over the
        processes (batch means of equal batches: the global batch's mean).
        """
        if self.trainer._logger_connector.should_update_logs:
            self.log_dict({f"train/{k}": v for k, v in values().items()}, prog_bar=True, sync_dist=True)

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

    def artifact_metrics(self, images: Tensor, reference: Tensor) -> dict[str, float]:
        """Every artifact metric of ``metrics.registry`` (stride-band and stride-peak excess, phase energy, spectral
        distance) of ``images`` against ``reference``, at the periods of the module's upsamplers
        (``upsampling_periods`` of ``upsampling_network``) that divide the image size and are at most half of it."""
        images, reference = images.detach().float(), reference.detach().float()
        periods = tuple(p for p in upsampling_periods(self.upsampling_network())
                        if all(size % p == 0 and size >= 2 * p for size in images.shape[-2:])) or (2,)
        return {name: float(METRICS[name].artifact(images, reference, periods)) for name in ARTIFACT_METRICS}

    def log_artifact_metrics(self, images: Tensor, reference: Tensor, stage: str) -> None:
        """``<stage>/<name>`` for every ``artifact_metrics`` of a batch; under DDP of the batch gathered from every
        process (set-level metrics: the single process's batch, not a mean over its parts)."""
        images, reference = gathered(images.detach()), gathered(reference.detach())
        self.log_dict({f"{stage}/{name}": value for name, value in self.artifact_metrics(images, reference).items()},
                      batch_size=images.shape[0], sync_dist=True)

    def upsampling_network(self) -> nn.Module:
        """The network whose upsamplers make the images the artifact metrics score: the whole module, unless a
        subclass holds copies of it (the GAN's EMA generator)."""
        return self

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
