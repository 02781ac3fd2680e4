"""Fashion-MNIST (Xiao, Rasul & Vollgraf 2017): 60k + 10k greyscale 28 x 28 garments, 10 classes.

Read from Debian's ``dataset-fashion-mnist`` (IDX files in ``FASHION_MNIST_DIR``: the environment variable of that
name, else /usr/share/datasets/fashion-mnist) when installed, else through torchvision in ``data_root`` (downloaded
there with ``download=True``).  28 px -> 32 px pads 2 pixels of background on every side by default
(``resize="resize"`` resizes instead).
"""
from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from .errors import torchvision_or_raise
from .labelled import LabelledImagesDataModule

FASHION_MNIST_DIR = Path(os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
IDX_FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
             "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def read_idx_gz(path: Path, header_bytes: int) -> np.ndarray:
    """The uint8 payload of a gzipped IDX file (LeCun's MNIST format): 16 header bytes for images, 8 for labels."""
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), np.uint8, offset=header_bytes)


def fashion_mnist_source() -> str:
    """Which source ``load_fashion_mnist`` reads: "debian" (``FASHION_MNIST_DIR``) or "torchvision"."""
    return "debian" if (FASHION_MNIST_DIR / IDX_FILES["train"][0]).exists() else "torchvision"


def load_fashion_mnist(split: str, data_root: str, download: bool) -> tuple[Tensor, Tensor]:
    """(uint8 images (N, 28, 28), int64 labels (N,)) of the official ``split`` ("train" or "test")."""
    images_file, labels_file = IDX_FILES[split]
    if (FASHION_MNIST_DIR / images_file).exists():
        images = read_idx_gz(FASHION_MNIST_DIR / images_file, 16).reshape(-1, 28, 28)
        labels = read_idx_gz(FASHION_MNIST_DIR / labels_file, 8)
        return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))
    from torchvision.datasets import FashionMNIST
    dataset = torchvision_or_raise(
        lambda: FashionMNIST(data_root, train=split == "train", download=download), "Fashion-MNIST",
        f"install it with `sudo apt-get install dataset-fashion-mnist` (Debian, into {FASHION_MNIST_DIR}), or place "
        f"torchvision's files in {data_root}/FashionMNIST/raw", download)
    return dataset.data, dataset.targets.long()


class FashionMNISTDataModule(LabelledImagesDataModule):
    name = "fashion_mnist"

    def raw(self, split: str) -> tuple[Tensor, Tensor]:
        return load_fashion_mnist(split, self.data_root, self.download)

    def identity(self) -> dict[str, Any]:
        return super().identity() | {"source": fashion_mnist_source()}
