"""DCGAN generator and discriminator (Radford, Metz & Chintala 2016) with a swappable upsampler.

Generator: z (N, nz, 1, 1) -> ConvTranspose2d(nz, C0, 4, 1, 0) -> 4x4, then one x2 upsampler block per doubling
(upsampler, BatchNorm, ReLU), the last upsampler mapping to the image channels followed by Tanh.  Widths halve at
every block: for 32 px, ngf*4 (4x4) -> ngf*2 (8x8) -> ngf (16x16) -> channels (32x32).
Discriminator: strided Conv2d(4, 2, 1) blocks with BatchNorm (none on the first) and LeakyReLU(0.2), down to 4x4,
then Conv2d(., 1, 4, 1, 0) -> one logit per image.  With ``spectral_norm`` every convolution's weight W is used as
W / σ(W), σ the largest singular value of W reshaped to (out, in*k*k), estimated by one power iteration per training
forward (Miyato et al. 2018; ``torch.nn.utils.parametrizations.spectral_norm``), and the BatchNorm layers are left
out, as in Miyato et al.'s discriminators and StudioGAN's DCGAN (BatchNorm would rescale what the normalisation
bounds).
"""
from __future__ import annotations

from typing import Union

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm as spectral_normalized

from .factory import UpsamplerFactory, as_upsampler_factory, check_power_of_two_multiple
from .init import dcgan_init_


class DCGANGenerator(nn.Module):
    def __init__(self, upsampler: Union[str, UpsamplerFactory] = "convT_k4", nz: int = 100, ngf: int = 64,
                 image_size: int = 32, channels: int = 1) -> None:
        super().__init__()
        n_up = check_power_of_two_multiple(image_size, 4, "image_size")
        for name, value in (("nz", nz), ("ngf", ngf), ("channels", channels)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        make_up = as_upsampler_factory(upsampler)
        self.nz, self.image_size, self.channels = nz, image_size, channels
        widths = [ngf * 2 ** (n_up - 1 - i) for i in range(n_up)] + [channels]
        layers: list[nn.Module] = [nn.ConvTranspose2d(nz, widths[0], 4, 1, 0, bias=False),
                                   nn.BatchNorm2d(widths[0]), nn.ReLU(True)]
        for i in range(n_up):
            layers.append(make_up(in_channels=widths[i], out_channels=widths[i + 1], scale_factor=2))
            layers += [nn.BatchNorm2d(widths[i + 1]), nn.ReLU(True)] if i < n_up - 1 else [nn.Tanh()]
        self.net = nn.Sequential(*layers)
        dcgan_init_(self)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z.view(z.shape[0], self.nz, 1, 1))

    def sample_noise(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor:
        """Latent batch z ~ N(0, I) of shape (n, nz, 1, 1)."""
        return torch.randn(n, self.nz, 1, 1, generator=generator, device=device)

    def generate(self, n: int, noise: torch.Generator, batch_size: int = 256) -> Tensor:
        """``n`` images from latents ``noise`` draws in turn (on the CPU; the batch sizes decide the draws), moved to
        this network's device and dtype, in batches of ``batch_size``, without gradients."""
        weight = next(self.parameters())
        sizes = [min(batch_size, n - i) for i in range(0, n, batch_size)]
        with torch.no_grad():
            return torch.cat([self(self.sample_noise(b, noise).to(weight.device, weight.dtype)) for b in sizes])


class DCGANDiscriminator(nn.Module):
    def __init__(self, ndf: int = 64, image_size: int = 32, channels: int = 1, spectral_norm: bool = False) -> None:
        super().__init__()
        n_down = check_power_of_two_multiple(image_size, 4, "image_size")
        if not isinstance(spectral_norm, bool):
            raise ValueError(f"spectral_norm must be one of [true, false], got {spectral_norm!r}")
        widths = [channels] + [ndf * 2 ** i for i in range(n_down)]
        layers: list[nn.Module] = []
        for i in range(n_down):
            layers.append(nn.Conv2d(widths[i], widths[i + 1], 4, 2, 1, bias=i == 0))
            if i > 0 and not spectral_norm:
                layers.append(nn.BatchNorm2d(widths[i + 1]))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
        layers.append(nn.Conv2d(widths[-1], 1, 4, 1, 0))
        self.net = nn.Sequential(*layers)
        self.image_size, self.channels, self.spectral_norm = image_size, channels, spectral_norm
        dcgan_init_(self)
        if spectral_norm:                 # after the init, which sets the weights the parametrization normalises
            for layer in self.net:
                if isinstance(layer, nn.Conv2d):
                    spectral_normalized(layer)

    def forward(self, x: Tensor) -> Tensor:
        """One logit per image, shape (N,)."""
        return self.net(x).flatten()
