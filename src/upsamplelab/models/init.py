"""DCGAN weight initialisation (Radford et al. 2016, sec. 4): conv weights ~ N(0, 0.02), BN scale ~ N(1, 0.02).

Upsampler modules are not overwritten: they get ``reset_parameters(weight_init)``, so an upsampler whose
initialisation is its method (ICNR, bilinear) keeps it.
"""
from __future__ import annotations

from torch import Tensor, nn

from ..nn import Upsampler

DCGAN_STD = 0.02


def dcgan_normal_(weight: Tensor) -> None:
    nn.init.normal_(weight, 0.0, DCGAN_STD)


def dcgan_init_(module: nn.Module) -> nn.Module:
    """Apply the DCGAN initialisation to every conv and BatchNorm of ``module``; returns ``module``."""
    upsampler_params = set()
    for m in module.modules():
        if isinstance(m, Upsampler):
            m.reset_parameters(dcgan_normal_)
            upsampler_params.update(id(p) for p in m.parameters())
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)) and id(m.weight) not in upsampler_params:
            dcgan_normal_(m.weight.data)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, DCGAN_STD)
            nn.init.zeros_(m.bias)
    return module
