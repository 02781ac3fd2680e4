"""Labelled image datasets with an official train/test split (Fashion-MNIST, MNIST, CIFAR-10), held in memory.

train = the official training split; the official test split is divided
into ``val_size`` validation images (seeded) and the rest for testing.
"""
from __future__ import annotations

from torch import Tensor

from .base import InMemoryDataModule, Part, split_held_out
from .convert import prepare_images


class LabelledImagesDataModule(InMemoryDataModule):
    """Subclasses implement ``raw(split)`` for split in ("train", "test"): (uint8 images, int64 labels)."""

    def raw(self, split: str) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    def load(self) -> dict[str, Part]:
        train_x, train_y = self.raw("train")
        val, test = split_held_out(*self.raw("test"), self.val_size, self.seed)
        convert = lambda x: prepare_images(x, self.image_size, self.resize, self.channels)  # noqa: E731
        return {"train": (convert(train_x), train_y.long()), "val": (convert(val[0]), val[1].long()),
                "test": (convert(test[0]), test[1].long())}
