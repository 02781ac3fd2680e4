"""CIFAR-10 (Krizhevsky 2009): 50k + 10k RGB 32 x 32 images, 10 classes, through torchvision (download only:
no offline copy exists on the project's machines)."""
from __future__ import annotations

import torch
from torch import Tensor

from .errors import torchvision_or_raise
from .labelled import LabelledImagesDataModule


class CIFAR10DataModule(LabelledImagesDataModule):
    name = "cifar10"
    native_channels = 3

    def raw(self, split: str) -> tuple[Tensor, Tensor]:
        from torchvision.datasets import CIFAR10
        dataset = torchvision_or_raise(
            lambda: CIFAR10(self.data_root, train=split == "train", download=self.download), "CIFAR-10",
            f"place the python version of the dataset (170 MB) in {self.data_root}/cifar-10-batches-py",
            self.download)
        return torch.from_numpy(dataset.data).permute(0, 3, 1, 2), torch.tensor(dataset.targets)
