"""An exponential moving average of the generator's weights (``model.ema``, ``model.ema_start``).

After each generator step t (counted from 0) the copy's parameters θ̄ follow G's θ:

    θ̄ ← θ                       while t < ema_start
    θ̄ ← β θ̄ + (1 − β) θ         from then on (β = ``decay``, e.g. 0.999)

(the average of Yazıcı et al. 2019, "The Unusual Effectiveness of Averaging in GAN Training"; StudioGAN's
``ema_start``).  Averaged weights do not come with running statistics for them: before every evaluation
``recalibrate`` recomputes the copy's BatchNorm statistics as the plain average over ``RECALIBRATION_BATCHES``
batches of ``RECALIBRATION_BATCH_SIZE`` latents drawn from a fixed seed, in training mode (so the statistics depend
only on the averaged weights, and a resumed or re-evaluated checkpoint gets the same ones).

The copy is a submodule (``ema.module``), so it moves, changes memory format and is checkpointed with the
LightningModule; the number of updates so far is saved beside it (``ema._extra_state``), so a resumed run averages
exactly as an uninterrupted one.
"""
from __future__ import annotations

import copy
from typing import Any

import torch
from torch import Tensor, nn

RECALIBRATION_BATCHES, RECALIBRATION_BATCH_SIZE = 4, 64


class GeneratorEMA(nn.Module):
    def __init__(self, generator: nn.Module, decay: float, start: int = 0) -> None:
        super().__init__()
        self.module = copy.deepcopy(generator).requires_grad_(False)
        self.decay, self.start, self.updates = decay, start, 0

    def forward(self, z: Tensor) -> Tensor:
        return self.module(z)

    @torch.no_grad()
    def update(self, generator: nn.Module) -> None:
        """One step of the average towards ``generator``'s current parameters."""
        mine, theirs = list(self.module.parameters()), list(generator.parameters())
        if self.updates < self.start:
            torch._foreach_copy_(mine, theirs)
        else:
            torch._foreach_lerp_(mine, theirs, 1.0 - self.decay)
        self.updates += 1

    @torch.no_grad()
    def recalibrate(self, seed: int, device: torch.device) -> None:
        """Recompute every BatchNorm's running mean and variance as the average (momentum None) over
        ``RECALIBRATION_BATCHES`` batches of the copy's ``sample_noise`` drawn from ``seed``, leaving the copy in
        the mode it was in."""
        norms = [m for m in self.module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if not norms:
            return
        was_training, momenta = self.module.training, [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None
        self.module.train()
        g = torch.Generator().manual_seed(seed)
        for _ in range(RECALIBRATION_BATCHES):
            self.module(self.module.sample_noise(RECALIBRATION_BATCH_SIZE, g).to(device))
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        self.module.train(was_training)

    def get_extra_state(self) -> dict[str, Any]:
        return {"updates": self.updates}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        self.updates = int(state["updates"])
