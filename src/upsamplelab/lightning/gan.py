"""GAN training with manual optimisation: the non-saturating loss of Goodfellow et al. (2014).

Per step: the discriminator minimises BCE(D(x), 1) + BCE(D(G(z)), 0); then the generator minimises
BCE(D(G(z)), 1) (the non-saturating form).  Adam lr 2e-4, betas (0.5, 0.999) as in DCGAN (Radford et al. 2016).
A fixed noise batch gives comparable sample grids across epochs.

Validation logs the held-out losses, the artifact metrics of generated images against the real batch
(``metrics.registry``: stride-band and stride-peak excess, phase energy, spectral distance) and, with a
``sample_quality``, FID and KID, by which the best checkpoint is chosen: DCGAN's samples often degrade late in
training (StudioGAN reports the best FID seen).
"""
from __future__ import annotations

import json
from typing import Optional

import torch
import torch.nn.functional as F
from pytorch_lightning.utilities import rank_zero_info
from torch import Tensor, nn

from ..atomic import atomic_write_text
from ..metrics.registry import FIDELITY_METRICS
from .base import OptimizerFactory, UpsampleLabModule
from .performance import ChannelsLast
from .sample_quality import FINAL_RECORD, SampleQuality


class GANModule(UpsampleLabModule):
    def __init__(self, generator: nn.Module, discriminator: nn.Module, optimizer_g: OptimizerFactory,
                 optimizer_d: OptimizerFactory, grid_size: int = 64, noise_seed: int = 1234,
                 sample_quality: Optional[SampleQuality] = None, monitor: str = "val/fid", monitor_mode: str = "min",
                 channels_last: ChannelsLast = "auto", compile: bool = False) -> None:
        """Without ``sample_quality`` there is no val/fid: monitor e.g. ``val/d_loss`` (mode max) instead."""
        super().__init__(monitor, monitor_mode, channels_last, compile)
        if sample_quality is None and monitor.startswith("val/fid"):
            raise ValueError("model.monitor=val/fid needs FID: configure metrics (model.sample_quality) or set "
                             "model.monitor=val/d_loss model.monitor_mode=max")
        self.sample_quality = sample_quality
        self._smoke_quality: Optional[SampleQuality] = None
        self.automatic_optimization = False
        self.generator, self.discriminator = generator, discriminator
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

    def forward(self, z: Tensor) -> Tensor:
        return self.generator(z)

    def configure_optimizers(self):
        return [self.optimizer_g(self.generator.parameters()), self.optimizer_d(self.discriminator.parameters())]

    def _losses(self, real: Tensor, z: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(d_loss, fake, D's logits on the reals), D scored on the reals and on the detached fakes."""
        fake = self.generator(z)
        d_real, d_fake = self.discriminator(real), self.discriminator(fake.detach())
        d_loss = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                  + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
        return d_loss, fake, d_real

    def generator_loss(self, fake: Tensor) -> tuple[Tensor, Tensor]:
        """(non-saturating generator loss BCE(D(fake), 1), D's logits on ``fake``)."""
        logits = self.discriminator(fake)
        return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits)), logits

    def training_step(self, batch, batch_idx: int) -> dict[str, Tensor]:
        real = batch[0]
        opt_g, opt_d = self.optimizers()
        z = self.generator.sample_noise(real.shape[0], device=real.device)
        d_loss, fake, d_real = self._losses(real, z)
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(d_loss)
        opt_d.step()

        g_loss, d_on_fake = self.generator_loss(fake)
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(g_loss)
        opt_g.step()
        self.log_train(lambda: {"d_loss": d_loss, "g_loss": g_loss, "d_real": torch.sigmoid(d_real).mean(),
                                "d_fake": torch.sigmoid(d_on_fake).mean()})
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}

    def _evaluate(self, batch, batch_idx: int, stage: str) -> None:
        """Losses on held-out reals vs fakes from noise seeded by the batch index, so the numbers are repeatable;
        artifact metrics of the first batch's fakes."""
        real = batch[0]
        g = torch.Generator().manual_seed(self.noise_seed + 1 + batch_idx)
        z = self.generator.sample_noise(real.shape[0], g).to(real.device)
        d_loss, fake, _ = self._losses(real, z)
        g_loss, _ = self.generator_loss(fake)
        self.log_dict({f"{stage}/d_loss": d_loss, f"{stage}/g_loss": g_loss}, batch_size=real.shape[0])
        if batch_idx == 0:
            self.log_artifact_metrics(fake, real, stage)

    def validation_step(self, batch, batch_idx: int) -> None:
        self._evaluate(batch, batch_idx, "val")

    def test_step(self, batch, batch_idx: int) -> None:
        self._evaluate(batch, batch_idx, "test")

    def sample(self, n: int, batch_size: int = 256) -> Tensor:
        """``n`` images from noise seeded by ``noise_seed`` (the same latents at every call), in batches."""
        g = torch.Generator().manual_seed(self.noise_seed + 10_000)
        sizes = [min(batch_size, n - i) for i in range(0, n, batch_size)]
        with torch.no_grad():
            return torch.cat([self.generator(self.generator.sample_noise(b, g).to(self.device)) for b in sizes])

    def on_validation_epoch_end(self) -> None:
        with torch.no_grad():
            samples = self.generator(self.fixed_noise)
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

    def final_evaluation(self) -> None:
        """FID, KID and FID∞ of ``metrics.final_samples`` generated images, and the artifact metrics of the same
        images against as many real ones, logged as final/<name>; the whole result to ``final.json``."""
        quality, datamodule = self.quality(), self.trainer.datamodule
        fake = self.sample(quality.final_samples)
        result = quality.compute(lambda n: fake, datamodule, self.device, final=True)
        self.log_dict({f"final/{k}": float(v) for k, v in result.items() if k in FIDELITY_METRICS})
        self.log_artifact_metrics(fake, datamodule.real_images(quality.real_split, len(fake)).to(fake.device), "final")
        if self.trainer.is_global_zero:
            record = {"epoch": self.current_epoch, "step": self.global_step} | result
            atomic_write_text(self.run_dir / FINAL_RECORD, json.dumps(record, indent=2) + "\n")

    def log_sample_quality(self) -> None:
        """FID/KID (IS) as val/fid, val/kid_mean, ...; the full result, extractor included, to fidelity.jsonl."""
        result = self.quality().compute(self.sample, self.trainer.datamodule, self.device)
        self.log_dict({f"val/{k}": float(v) for k, v in result.items() if k in FIDELITY_METRICS})
        if self.trainer.is_global_zero:
            SampleQuality.record(result, self.run_dir / "fidelity.jsonl", epoch=self.current_epoch,
                                 step=self.global_step)
