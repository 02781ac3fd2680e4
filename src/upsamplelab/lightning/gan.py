"""GAN training with manual optimisation: DCGAN's recipe by default, the usual alternatives by config.

Per step: the discriminator minimises the loss ``model.loss`` names (``gan_losses``: by default the non-saturating
loss of Goodfellow et al. 2014, BCE(D(x), 1) + BCE(D(G(z)), 0)) on a real batch and the detached fakes; then, after
every ``d_steps_per_g_step``-th batch of an epoch, the generator minimises its part (by default BCE(D(G(z)), 1))
on the same fakes.  Adam lr 2e-4, betas (0.5, 0.999) as in DCGAN (Radford et al. 2016).  Options, all off by
default (the recipe of every published result): ``wgan_gp``'s penalty weight ``gp_weight``, an exponential moving
average of G (``ema``, ``ema_start``; the ``ema`` module) and DiffAugment before D (``diffaugment``; the
``diffaugment`` module); spectral normalisation is an option of the discriminator (``models.dcgan``).  With more
than one D step per G step, the row a D-only batch logs repeats the last G step's ``train/g_loss`` and
``train/d_fake`` (Lightning logs the latest value of each key).  A fixed noise batch gives comparable sample grids
across epochs.

Validation logs the held-out losses (without augmentation or penalty), the artifact metrics of generated images
against the real batch (``metrics.registry``: stride-band and stride-peak excess, phase energy, spectral distance)
and, with a ``sample_quality``, FID and KID, by which the best checkpoint is chosen: DCGAN's samples often degrade
late in training (StudioGAN reports the best FID seen).  Every image evaluated (validation, test, grids, FID, the
final evaluation, ``upsamplelab.eval``) comes from the EMA generator when there is one, its BatchNorm statistics
recomputed first; ``fidelity.jsonl`` and ``final.json`` then say ``"generator": "ema"``.

Under DDP (``trainer=ddp``; ``data_parallel``): each network's step averages its own gradients over the processes
(DDP's reducer, which waits for every parameter's gradient in each backward pass, is left out of the GAN's), the
BatchNorm statistics are averaged after each step, and every process's latents, augmentations and penalty points are
its share of those of the global batch, so two processes with batches of b train as one with batches of 2 b (up to
BatchNorm, which normalises each process's batch unless ``trainer.sync_batchnorm``).  FID/KID and the final
evaluation are computed once, on rank 0, and their results broadcast so that every process logs and monitors the
same values; the EMA copy follows the same weights on every process and is recalibrated from the same seed.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Callable, Optional

import torch
from pytorch_lightning.utilities import rank_zero_info
from torch import Tensor, nn

from ..run_dir import FIDELITY_LOG, FINAL_RECORD
from ..checks import check_int
from ..metrics.registry import FIDELITY_METRICS
from ..reliability.atomic import atomic_write_text
from .base import OptimizerFactory, UpsampleLabModule
from .data_parallel import average_batchnorm_statistics, average_gradients, ddp_sync_blocked, process_share
from .diffaugment import DiffAugment
from .ema import GeneratorEMA
from .gan_losses import gan_loss
from .performance import ChannelsLast
from .sample_quality import SampleQuality


class GANModule(UpsampleLabModule):
    def __init__(self, generator: nn.Module, discriminator: nn.Module, optimizer_g: OptimizerFactory,
                 optimizer_d: OptimizerFactory, grid_size: int = 64, noise_seed: int = 1234,
                 sample_quality: Optional[SampleQuality] = None, monitor: str = "val/fid", monitor_mode: str = "min",
                 channels_last: ChannelsLast = "auto", compile: bool = False, loss: str = "nonsaturating",
                 gp_weight: float = 10.0, d_steps_per_g_step: int = 1, ema: Optional[float] = None,
                 ema_start: int = 0, diffaugment: Optional[str | Sequence[str]] = None) -> None:
        """Without ``sample_quality`` there is no val/fid: monitor e.g. ``val/d_loss`` (mode max) instead."""
        super().__init__(monitor, monitor_mode, channels_last, compile)
        if sample_quality is None and monitor.startswith("val/fid"):
            raise ValueError("model.monitor=val/fid needs FID: configure metrics (model.sample_quality) or set "
                             "model.monitor=val/d_loss model.monitor_mode=max")
        self.loss = gan_loss(loss)
        if isinstance(gp_weight, bool) or not isinstance(gp_weight, (int, float)) or not gp_weight >= 0:
            raise ValueError(f"model.gp_weight must be a number >= 0, got {gp_weight!r}")
        check_int("model.d_steps_per_g_step", d_steps_per_g_step)
        if ema is not None and (isinstance(ema, bool) or not isinstance(ema, (int, float)) or not 0 < ema < 1):
            raise ValueError(f"model.ema must be null or a decay in (0, 1) such as 0.999, got {ema!r}")
        check_int("model.ema_start", ema_start, 0, why="generator steps before averaging starts")
        self.diffaugment = None if diffaugment is None else DiffAugment(diffaugment)
        self.gp_weight, self.d_steps_per_g_step = float(gp_weight), d_steps_per_g_step
        self.sample_quality = sample_quality
        self._smoke_quality: Optional[SampleQuality] = None
        self.automatic_optimization = False
        self.generator, self.discriminator = generator, discriminator
        self.ema = None if ema is None else GeneratorEMA(generator, float(ema), ema_start)
        self.optimizer_g, self.optimizer_d = optimizer_g, optimizer_d
        self.noise_seed = noise_seed
        fixed = generator.sample_noise(grid_size, torch.Generator().manual_seed(noise_seed))
        self.register_buffer("fixed_noise", fixed, persistent=False)

    def check_data(self, datamodule) -> None:
        for key, net in (("generator", self.generator), ("discriminator", self.discriminator)):
            if net.image_size != datamodule.image_size:
                raise ValueError(f"model.{key}.image_size={net.image_size} but data.image_size="
                                 f"{datamodule.image_size}: the generator must produce images of the data's size")
            if net.channels != datamodule.channels:
                raise ValueError(f"model.{key}.channels={net.channels} but data.channels={datamodule.channels}")

    @property
    def evaluated_generator(self) -> nn.Module:
        """The generator every evaluation draws from: the EMA copy when there is one, else G."""
        return self.generator if self.ema is None else self.ema.module

    def upsampling_network(self) -> nn.Module:
        """G (the EMA copy has the same upsamplers)."""
        return self.generator

    def forward(self, z: Tensor) -> Tensor:
        return self.generator(z)

    def configure_optimizers(self):
        return [self.optimizer_g(self.generator.parameters()), self.optimizer_d(self.discriminator.parameters())]

    def augment(self, images: Tensor) -> Tensor:
        """What D sees of ``images`` in training: DiffAugment's transformation of them, or themselves."""
        return images if self.diffaugment is None else self.diffaugment(images)

    def _losses(self, real: Tensor, z: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(d_loss, fake, D's logits on the reals), D scored on the reals and on the detached fakes, both augmented;
        the loss's penalty (``wgan_gp``) added."""
        fake = self.generator(z)
        real_in, fake_in = self.augment(real), self.augment(fake.detach())
        d_real, d_fake = self.discriminator(real_in), self.discriminator(fake_in)
        d_loss = self.loss.discriminator(d_real, d_fake)
        penalty = self.loss.penalty(self.discriminator, real_in, fake_in, self.gp_weight)
        return (d_loss if penalty is None else d_loss + penalty), fake, d_real

    def generator_loss(self, fake: Tensor) -> tuple[Tensor, Tensor]:
        """(the generator's loss on ``fake``, D's logits on ``fake``)."""
        logits = self.discriminator(self.augment(fake))
        return self.loss.generator(logits), logits

    def step(self, optimizer, loss: Tensor, network: nn.Module) -> None:
        """One step of ``optimizer`` on ``loss``; under DDP with ``network``'s gradients (only its own) averaged over
        the processes first."""
        optimizer.zero_grad(set_to_none=True)
        with ddp_sync_blocked(self.trainer.strategy):
            self.manual_backward(loss)
        average_gradients(network.parameters())
        optimizer.step()

    def training_step(self, batch, batch_idx: int) -> dict[str, Tensor]:
        real = batch[0]
        opt_g, opt_d = self.optimizers()
        z = process_share(lambda n: self.generator.sample_noise(n, device=real.device), real.shape[0])
        d_loss, fake, d_real = self._losses(real, z)
        self.step(opt_d, d_loss, self.discriminator)
        if (batch_idx + 1) % self.d_steps_per_g_step:                   # a discriminator step only
            average_batchnorm_statistics(self)
            self.log_train(lambda: {"d_loss": d_loss, "d_real": self.loss.score(d_real).mean()})
            return {"d_loss": d_loss.detach()}

        g_loss, d_on_fake = self.generator_loss(fake)
        self.step(opt_g, g_loss, self.generator)
        average_batchnorm_statistics(self)
        if self.ema is not None:
            self.ema.update(self.generator)
        self.log_train(lambda: {"d_loss": d_loss, "g_loss": g_loss, "d_real": self.loss.score(d_real).mean(),
                                "d_fake": self.loss.score(d_on_fake).mean()})
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}

    def recalibrate_ema(self) -> None:
        """The EMA copy's BatchNorm statistics, recomputed (before every evaluation; nothing without an EMA)."""
        if self.ema is not None:
            self.ema.recalibrate(self.noise_seed + 20_000, self.device)

    def on_validation_epoch_start(self) -> None:
        self.recalibrate_ema()

    def on_test_epoch_start(self) -> None:
        self.recalibrate_ema()

    def _evaluate(self, batch, batch_idx: int, stage: str) -> None:
        """Losses on held-out reals vs fakes from noise seeded by the batch index, so the numbers are repeatable;
        artifact metrics of the first batch's fakes."""
        real = batch[0]
        g = torch.Generator().manual_seed(self.noise_seed + 1 + batch_idx)
        z = process_share(lambda n: self.generator.sample_noise(n, g), real.shape[0]).to(real.device)
        fake = self.evaluated_generator(z)
        d_real, d_fake = self.discriminator(real), self.discriminator(fake)
        self.log_dict({f"{stage}/d_loss": self.loss.discriminator(d_real, d_fake),
                       f"{stage}/g_loss": self.loss.generator(d_fake)}, batch_size=real.shape[0], sync_dist=True)
        if batch_idx == 0:
            self.log_artifact_metrics(fake, real, stage)

    def validation_step(self, batch, batch_idx: int) -> None:
        self._evaluate(batch, batch_idx, "val")

    def test_step(self, batch, batch_idx: int) -> None:
        self._evaluate(batch, batch_idx, "test")

    def sample(self, n: int, batch_size: int = 256) -> Tensor:
        """``n`` images from noise seeded by ``noise_seed`` (the same latents at every call), in batches."""
        noise = torch.Generator().manual_seed(self.noise_seed + 10_000)
        return self.evaluated_generator.generate(n, noise, batch_size)

    def on_validation_epoch_end(self) -> None:
        with torch.no_grad():
            samples = self.evaluated_generator(self.fixed_noise)
        n = int(self.fixed_noise.shape[0] ** 0.5) or 1
        self.save_epoch_grid([samples[i * n:(i + 1) * n] for i in range(n)], "samples")
        if self.sample_quality is not None and not self.trainer.sanity_checking:
            self.log_sample_quality()

    def quality(self) -> SampleQuality:
        """``sample_quality``, on a handful of images in a smoke run (``trainer.fast_dev_run``, ``debug=fdr``)."""
        if not self.trainer.fast_dev_run:
            return self.sample_quality
        if self._smoke_quality is None:
            self._smoke_quality = self.sample_quality.for_smoke_run()
            rank_zero_info(f"fast_dev_run: FID/KID on {self._smoke_quality.fid_samples} images (the loop is "
                           "checked, not the numbers)")
        return self._smoke_quality

    def on_test_epoch_end(self) -> None:
        if self.sample_quality is not None and self.sample_quality.final_samples:
            self.final_evaluation()

    def on_rank_zero(self, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """``compute()`` on rank 0 only, its result broadcast to every process (FID is computed once, and every
        process logs, and monitors, the same value)."""
        return self.trainer.strategy.broadcast(compute() if self.trainer.is_global_zero else None, src=0)

    def final_evaluation(self) -> None:
        """FID, KID and FID∞ of ``metrics.final_samples`` generated images, and the artifact metrics of the same
        images against as many real ones, logged as final/<name>; the whole result to ``final.json``."""
        quality, datamodule = self.quality(), self.trainer.datamodule

        def evaluate() -> dict[str, Any]:
            fake = self.sample(quality.final_samples)
            real = datamodule.real_images(quality.real_split, len(fake)).to(fake.device)
            result = quality.compute(lambda n: fake, datamodule, self.device, final=True)
            return {"result": result, "artifacts": self.artifact_metrics(fake, real)}

        evaluated = self.on_rank_zero(evaluate)
        result = evaluated["result"]
        self.log_dict({f"final/{k}": float(v) for k, v in result.items() if k in FIDELITY_METRICS}
                      | {f"final/{k}": v for k, v in evaluated["artifacts"].items()}, sync_dist=True)
        if self.trainer.is_global_zero:
            record = {"epoch": self.current_epoch, "step": self.global_step} | result | self.generator_record()
            atomic_write_text(self.run_dir / FINAL_RECORD, json.dumps(record, indent=2) + "\n")

    def log_sample_quality(self) -> None:
        """FID/KID (IS) as val/fid, val/kid_mean, ...; the full result, extractor included, to fidelity.jsonl."""
        result = self.on_rank_zero(lambda: self.quality().compute(self.sample, self.trainer.datamodule, self.device))
        self.log_dict({f"val/{k}": float(v) for k, v in result.items() if k in FIDELITY_METRICS}, sync_dist=True)
        if self.trainer.is_global_zero:
            SampleQuality.record(result | self.generator_record(), self.run_dir / FIDELITY_LOG,
                                 epoch=self.current_epoch, step=self.global_step)

    def generator_record(self) -> dict[str, Any]:
        """What a fidelity record says of the generator it measured: ``{"generator": "ema"}`` for the EMA copy,
        nothing for G (as in every record written before the EMA existed)."""
        return {} if self.ema is None else {"generator": "ema"}
