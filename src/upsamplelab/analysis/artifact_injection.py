"""Known checkerboard artifacts injected into real images, and clean controls, for validating artifact metrics.

An artifact is  x' = x + a * std(x) * u(p * m):  x one image, std over its pixels, ``a`` the amplitude, p a
zero-mean stride pattern (``overlap_pattern``), m a modulation field per image (``KINDS``) and u(.) the scaling to
RMS 1 (``unit_rms``), so the artifact's RMS is exactly a * std(x).  The patterns are the kernel-overlap counts of
stacked K3/S2 transposed convolutions with all-ones input and kernels (Odena, Dumoulin & Olah 2016): one layer
gives the 1-2-4 checkerboard of period 2, two layers a period-4 pattern.

Kinds (the modulation says how the pattern's strength and sign vary across the image):

- ``global``: m = 1, the same pattern everywhere (what ``phase_energy`` is built for);
- ``sign_field``: m a smooth Gaussian random field (``smooth_field``, correlation scale size / 4) that changes
  sign across the image in most images, so global phase means partly cancel;
- ``balanced_field``: the same with the field's mean removed, as much positive as negative: global phase means
  cancel (the case ``phase_energy`` cannot see);
- ``edge``: m proportional to the local gradient magnitude of x, with a random sign per image (edge-following);
- ``one_axis``: stripes along one axis only (rows alternate), times the smooth field;
- ``period4``: the two-layer pattern (period 4), times the smooth field.

Clean controls (``CONTROLS``, no stride pattern added): other real images; images halved by 2 x 2 averaging and
resized back x2 (nearest, bilinear, bicubic: the checkerboard-free resize upsamplers); Gaussian noise at 0.1 std;
JPEG at quality 75 (8 x 8 blocks: a period that 2 divides).
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

FIELD_SCALE = 0.25          # Gaussian sigma of the smooth field, as a fraction of the image size
NOISE_STD = 0.1             # the Gaussian-noise control, relative to each image's std
JPEG_QUALITY = 75


def overlap_pattern(height: int, width: int, layers: int = 1, axes: int = 2) -> Tensor:
    """Zero-mean, unit-RMS (height, width) float64 pattern: interior overlap counts of ``layers`` stacked K3/S2
    transposed convolutions (period 2 ** layers); ``axes=1`` takes the counts along y only (row stripes)."""
    period = 2 ** layers
    n = max(height, width) // period + 4
    counts = torch.ones(1, 1, n, n if axes == 2 else 1, dtype=torch.float64)
    kernel = torch.ones(1, 1, 3, 3 if axes == 2 else 1, dtype=torch.float64)
    for _ in range(layers):
        counts = F.conv_transpose2d(counts, kernel, stride=(2, 2 if axes == 2 else 1))
    offset = 2 * period                                           # past the border, where fewer taps overlap
    p = counts[0, 0, offset:offset + height, offset:offset + width] if axes == 2 else \
        counts[0, 0, offset:offset + height, :1].expand(height, width)
    p = p - p.mean()
    return p / p.square().mean().sqrt()


def unit_rms(m: Tensor) -> Tensor:
    """Each (C, H, W) map of a batch scaled to RMS 1 (an all-zero map stays 0)."""
    rms = m.square().mean(dim=(1, 2, 3), keepdim=True).sqrt()
    return m / torch.where(rms > 0, rms, 1.0)


def smooth_field(n: int, height: int, width: int, generator: torch.Generator, scale: float = FIELD_SCALE,
                 zero_mean: bool = False) -> Tensor:
    """(n, 1, H, W) unit-RMS Gaussian random fields: white noise circularly smoothed by a Gaussian of sigma
    ``scale * min(H, W)`` pixels.  The mean is kept unless ``zero_mean``: then some fields keep one sign and most
    change it; with ``zero_mean`` every field is as much positive as negative."""
    sigma = scale * min(height, width)
    fy, fx = torch.fft.fftfreq(height, dtype=torch.float64), torch.fft.fftfreq(width, dtype=torch.float64)
    kernel = torch.exp(-2 * math.pi ** 2 * sigma ** 2 * (fy[:, None] ** 2 + fx[None, :] ** 2))
    if zero_mean:
        kernel[0, 0] = 0
    noise = torch.randn(n, 1, height, width, generator=generator, dtype=torch.float64)
    return unit_rms(torch.fft.ifft2(torch.fft.fft2(noise) * kernel).real)


def gradient_field(images: Tensor, generator: torch.Generator) -> Tensor:
    """(N, 1, H, W) unit-RMS local gradient magnitude (central differences of the channel mean), times a random
    sign per image."""
    gy, gx = torch.gradient(images.mean(dim=1, keepdim=True), dim=(-2, -1))
    signs = torch.randint(0, 2, (len(images), 1, 1, 1), generator=generator).to(images) * 2 - 1
    return unit_rms(torch.sqrt(gy.square() + gx.square())) * signs


@dataclass(frozen=True)
class ArtifactKind:
    """``pattern(h, w)``: the stride pattern; ``modulation(images, generator)``: (N, 1, H, W) unit-RMS fields."""

    name: str
    period: int
    pattern: Callable[[int, int], Tensor]
    modulation: Callable[[Tensor, torch.Generator], Tensor]
    description: str

    def inject(self, images: Tensor, amplitude: float, generator: torch.Generator) -> Tensor:
        """x + amplitude * std(x) * unit_rms(pattern * modulation), per image, float64."""
        x = images.to(torch.float64)
        std = x.std(dim=(1, 2, 3), keepdim=True, unbiased=False)
        return x + amplitude * std * unit_rms(self.pattern(*x.shape[-2:]) * self.modulation(x, generator))


def _field(images: Tensor, generator: torch.Generator) -> Tensor:
    return smooth_field(len(images), *images.shape[-2:], generator)


KINDS = {kind.name: kind for kind in (
    ArtifactKind("global", 2, overlap_pattern, lambda x, g: torch.ones_like(x[:, :1]),
                 "1-2-4 pattern, the same everywhere"),
    ArtifactKind("sign_field", 2, overlap_pattern, _field, "1-2-4 pattern x smooth random field (sign changes)"),
    ArtifactKind("balanced_field", 2, overlap_pattern,
                 lambda x, g: smooth_field(len(x), *x.shape[-2:], g, zero_mean=True),
                 "1-2-4 pattern x zero-mean smooth random field"),
    ArtifactKind("edge", 2, overlap_pattern, gradient_field,
                 "1-2-4 pattern x local gradient magnitude, random sign (edge-following)"),
    ArtifactKind("one_axis", 2, lambda h, w: overlap_pattern(h, w, axes=1), _field,
                 "row stripes (one axis only) x smooth random field"),
    ArtifactKind("period4", 4, lambda h, w: overlap_pattern(h, w, layers=2), _field,
                 "two stacked K3/S2 layers (period 4) x smooth random field"),
)}


def resized(mode: str) -> Callable[[Tensor, torch.Generator], Tensor]:
    """Halve by 2 x 2 averaging, resize back x2 with ``mode`` (nearest, bilinear or bicubic, align_corners off)."""
    def apply(images: Tensor, generator: torch.Generator) -> Tensor:
        small = F.avg_pool2d(images.to(torch.float64), 2)
        return F.interpolate(small, scale_factor=2, mode=mode, **({} if mode == "nearest" else
                                                                  {"align_corners": False}))
    return apply


def gaussian_noise(images: Tensor, generator: torch.Generator) -> Tensor:
    x = images.to(torch.float64)
    std = x.std(dim=(1, 2, 3), keepdim=True, unbiased=False)
    return x + NOISE_STD * std * torch.randn(x.shape, generator=generator, dtype=torch.float64)


def jpeg(images: Tensor, generator: torch.Generator, quality: int = JPEG_QUALITY) -> Tensor:
    """Each [-1, 1] image through PIL's JPEG encoder and decoder at ``quality`` (grey or RGB)."""
    out = []
    for image in images.clamp(-1, 1):
        array = ((image.permute(1, 2, 0).double().numpy() + 1) * 127.5).round().astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array).save(buffer, "JPEG", quality=quality)
        decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())), dtype=np.float64).reshape(array.shape)
        out.append(torch.from_numpy(decoded).permute(2, 0, 1) / 127.5 - 1)
    return torch.stack(out)


CONTROLS: dict[str, Callable[[Tensor, torch.Generator], Tensor]] = {
    "real": lambda images, generator: images.to(torch.float64),
    "nearest_resized": resized("nearest"),
    "bilinear_resized": resized("bilinear"),
    "bicubic_resized": resized("bicubic"),
    "gaussian_noise": gaussian_noise,
    f"jpeg_q{JPEG_QUALITY}": jpeg,
}
