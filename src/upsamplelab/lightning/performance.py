"""How a model is run fast: its memory format (``model.channels_last``) and ``torch.compile`` (``model.compile``).

``model.channels_last``: true, false or "auto".  "auto" chooses channels_last where ``upsamplelab.bench`` measured it
faster, per device type and upsampler family (``CHANNELS_LAST_FASTER``, the measurement is in BENCHMARKS.md).  On a
device type the project has not measured (CUDA among them: no GPU was available), "auto" keeps PyTorch's default
contiguous NCHW format; PyTorch's own guidance is channels_last with mixed precision on tensor-core GPUs, so GPU
users should try ``model.channels_last=true``.  Both formats compute the same function: outputs and gradients agree
to float tolerance (tested), only the kernels and their speed differ.

``model.compile``: ``nn.Module.compile`` on each network in place, so checkpoint keys are unchanged and a checkpoint
trained compiled loads uncompiled (and back).  The first steps pay the compilation (its cost on a CPU: BENCHMARKS.md).
"""
from __future__ import annotations

from typing import Union

from torch import nn

from ..nn.base import Upsampler

ChannelsLast = Union[bool, str]

CHANNELS_LAST_FASTER: dict[str, dict[str, bool]] = {
    # device type -> upsampler family -> channels_last measured faster (python -m upsamplelab.bench, BENCHMARKS.md)
    "cpu": {"transposed_conv": True, "resize_conv": True, "pixel_shuffle": True, "filtered_transposed_conv": True,
            "filtered_pixel_shuffle": True, "carafe": True, "dysample": True},
}


def check_settings(channels_last: ChannelsLast, compile_networks: bool) -> None:
    """ValueError naming the config key unless both settings are allowed values."""
    if not (isinstance(channels_last, bool) or channels_last == "auto"):
        raise ValueError(f"model.channels_last must be one of [true, false, auto], got {channels_last!r}")
    if not isinstance(compile_networks, bool):
        raise ValueError(f"model.compile must be one of [true, false], got {compile_networks!r}")


def upsampler_families(module: nn.Module) -> set[str]:
    """The families of the upsamplers inside ``module``."""
    return {m.family for m in module.modules() if isinstance(m, Upsampler)}


def resolve_channels_last(setting: ChannelsLast, device_type: str, families: set[str]) -> bool:
    """Whether to train in channels_last: the setting itself, or for "auto" whether it was measured faster on
    ``device_type`` for every one of the model's upsampler ``families`` (False when unmeasured)."""
    if setting != "auto":
        return bool(setting)
    faster = CHANNELS_LAST_FASTER.get(device_type, {})
    return bool(families) and all(faster.get(family, False) for family in families)


def compile_networks(module: nn.Module) -> None:
    """``nn.Module.compile`` in place on each direct child that holds parameters: a LightningModule's networks, not
    its metric collections."""
    for child in module.children():
        if any(True for _ in child.parameters()):
            child.compile()
