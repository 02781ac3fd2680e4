"""The model families the benchmark times: each is a set of Hydra overrides on ``configs/train.yaml``.

Every family runs on in-memory data, so the numbers measure the model and the framework, not a file reader.  The
batch sizes are those of the experiments, but DCGAN's (64; the CPU experiments train it at 128); ``steps`` is
how many steady-state steps one timing takes at full length (``--quick`` divides it by 6), chosen so that one timing
lasts a few seconds on a 2-core CPU.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..nn import list_upsamplers


@dataclass(frozen=True)
class Family:
    name: str
    description: str
    overrides: tuple[str, ...]
    batch_size: int
    steps: int
    single_upsampler: int | None = None   # the scale of a model's one upsampler (FCN: x8); None: x2 blocks

    def upsamplers(self) -> list[str]:
        """The registered upsamplers that fit this family (those defined for its scale factor)."""
        return list_upsamplers(scale_factor=self.single_upsampler or 2)


def _dcgan(size: int, width: int) -> tuple[str, ...]:
    return ("model=dcgan", "data=fashion_mnist", f"data.image_size={size}", f"model.generator.ngf={width}",
            f"model.discriminator.ndf={width}")


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("dcgan32", "DCGAN 32 px, ngf = ndf = 64, Fashion-MNIST", _dcgan(32, 64), 64, 24),
    Family("dcgan32_ngf16", "DCGAN 32 px, ngf = ndf = 16, Fashion-MNIST", _dcgan(32, 16), 64, 120),
    Family("dcgan64", "DCGAN 64 px, ngf = ndf = 32, Fashion-MNIST", _dcgan(64, 32), 64, 16),
    Family("unet", "U-Net depth 3, width 16, shapes 64 px, 4 classes", ("model=unet", "data=shapes"), 32, 8),
    Family("fcn", "FCN depth 3, width 16, one x8 head, shapes 64 px", ("model=fcn", "data=shapes"), 32, 24,
           single_upsampler=8),
    Family("autoencoder", "conv autoencoder [32, 64], Fashion-MNIST 28 px",
           ("model=autoencoder", "data=fashion_mnist", "data.image_size=28"), 128, 100),
)}
