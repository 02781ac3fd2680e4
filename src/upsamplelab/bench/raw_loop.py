"""The baseline: the training loop a researcher writes by hand, on the very networks a config builds.

Tensors indexed with a fresh permutation per epoch (``x[perm[i:i + b]]``), ``zero_grad`` / ``backward`` / ``step``,
no logging, no callbacks, no hooks.  The losses are the LightningModules' own (``GANModule._losses`` and
``generator_loss``, ``SegmentationModule.loss``, ``ReconstructionModule.loss_fn``), so the raw loop and
``upsamplelab.train`` compute the same thing and differ only by what the framework adds around it.  On a GPU each
batch is cut from the tensors in host memory and copied to the device, as the Trainer transfers it.
"""
from __future__ import annotations

import time
from typing import Callable

import torch
from torch import Tensor

from ..lightning import GANModule, ReconstructionModule, SegmentationModule, UpsampleLabModule
from .device import Device

Step = Callable[[Tensor, Tensor], None]


def optimizers(module: UpsampleLabModule) -> list[torch.optim.Optimizer]:
    """The optimisers of ``configure_optimizers`` (a scheduler, stepped per epoch, plays no part in a step)."""
    out = module.configure_optimizers()
    if isinstance(out, dict):
        return [out["optimizer"]]
    return list(out) if isinstance(out, (list, tuple)) else [out]


def gan_step(module: GANModule) -> Step:
    """Discriminator on reals and detached fakes, then the generator (non-saturating), as ``GANModule``."""
    opt_g, opt_d = optimizers(module)

    def step(x: Tensor, y: Tensor) -> None:
        d_loss, fake, _ = module._losses(x, module.generator.sample_noise(len(x), device=x.device))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        g_loss, _ = module.generator_loss(fake)
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()

    return step


def supervised_step(module: UpsampleLabModule, loss: Callable[[Tensor, Tensor, Tensor], Tensor]) -> Step:
    """One optimiser step on ``loss(prediction, x, y)``."""
    (opt,) = optimizers(module)

    def step(x: Tensor, y: Tensor) -> None:
        value = loss(module(x), x, y)
        opt.zero_grad(set_to_none=True)
        value.backward()
        opt.step()

    return step


def training_step(module: UpsampleLabModule) -> Step:
    """The hand-written step for ``module``'s task."""
    if isinstance(module, GANModule):
        return gan_step(module)
    if isinstance(module, SegmentationModule):
        return supervised_step(module, lambda pred, x, y: module.loss(pred, y))
    if isinstance(module, ReconstructionModule):
        return supervised_step(module, lambda pred, x, y: module.loss_fn(pred, x))
    raise TypeError(f"no raw training step for {type(module).__name__}")


class RawLoop:
    """Hand-written steps on ``module`` with batches cut from ``images``/``targets`` in memory: a new seeded
    permutation per pass (``x[perm[i:i + b]]``), full batches only, in ``module``'s memory format, on ``device``
    (the module is moved there) in its precision."""

    def __init__(self, module: UpsampleLabModule, images: Tensor, targets: Tensor, *, batch_size: int,
                 channels_last: bool, seed: int = 0, device: Device = Device()) -> None:
        if batch_size > len(images):
            raise ValueError(f"batch_size={batch_size} is larger than the {len(images)} training samples")
        self.format = torch.channels_last if channels_last else torch.contiguous_format
        self.device = device
        self.module = module.train().to(device=device.type, memory_format=self.format)
        self.step, self.images, self.targets, self.batch_size = training_step(self.module), images, targets, batch_size
        self.seed, self.epoch, self.start, self.perm = seed, -1, len(images), torch.empty(0, dtype=torch.long)

    def next_batch(self) -> tuple[Tensor, Tensor]:
        if self.start + self.batch_size > len(self.images):
            self.epoch, self.start = self.epoch + 1, 0
            generator = torch.Generator().manual_seed(self.seed + self.epoch)
            self.perm = torch.randperm(len(self.images), generator=generator)
        idx = self.perm[self.start:self.start + self.batch_size]
        self.start += self.batch_size
        images, targets = self.images[idx].to(self.device.type), self.targets[idx].to(self.device.type)
        return images.contiguous(memory_format=self.format), targets

    def timed_step(self) -> float:
        """Seconds of one step, batch indexing (and copy to the device) included, the device synchronised before
        and after."""
        self.device.synchronize()
        start = time.perf_counter()
        with self.device.autocast():
            self.step(*self.next_batch())
        self.device.synchronize()
        return time.perf_counter() - start

