"""Where and in what precision the benchmark times: the device type and Lightning's precision name.

On a CUDA device kernels run asynchronously, so a host clock read right after a step measures the launches, not
the work: every timed step is bracketed by ``torch.cuda.synchronize()`` (``Device.synchronize``).  "bf16-mixed" is
Lightning's mixed precision with bfloat16 autocast (Micikevicius et al. 2018, with bfloat16 needing no loss
scaling); the raw loop runs its whole step under the same autocast, as Lightning runs a manual-optimisation
``training_step``.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import ContextManager

import torch

DEVICE_TYPES = ("cpu", "cuda")
PRECISIONS = ("32", "bf16-mixed")


@dataclass(frozen=True)
class Device:
    type: str = "cpu"
    precision: str = "32"

    def __post_init__(self) -> None:
        if self.type not in DEVICE_TYPES:
            raise ValueError(f"--device must be one of {list(DEVICE_TYPES)}, got {self.type!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"--precision must be one of {list(PRECISIONS)}, got {self.precision!r}")
        if self.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("--device cuda: no CUDA device is visible to torch here")

    @property
    def accelerator(self) -> str:
        """Lightning's ``trainer.accelerator`` for this device type."""
        return "gpu" if self.type == "cuda" else "cpu"

    def overrides(self) -> list[str]:
        """The Hydra overrides that train on this device in this precision."""
        return [f"trainer.accelerator={self.accelerator}", f"trainer.precision={self.precision}"]

    def synchronize(self) -> None:
        """Wait for the device's queued work (nothing to wait for on the CPU)."""
        if self.type == "cuda":
            torch.cuda.synchronize()

    def autocast(self) -> ContextManager:
        """bfloat16 autocast for "bf16-mixed", nothing for "32"."""
        if self.precision == "bf16-mixed":
            return torch.autocast(self.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()
