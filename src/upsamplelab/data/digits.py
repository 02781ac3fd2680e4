"""scikit-learn's bundled digits (UCI optical digits): 1,797 images of 8 x 8 pixels with values 0..16, 10 classes.

Always present, so the fast tests use it.  Values map to [-1, 1] as v / 8 - 1, then the images are resized
bilinearly to ``image_size``.  A seeded ``val_size`` (297 by default, leaving 1,500 for training) is held out; it
serves as both the validation and the test split (the set is too small for three).
"""
from __future__ import annotations

from typing import Any

import torch

from .base import InMemoryDataModule, Part, seeded_permutation
from .convert import fit_to_size, match_channels


class DigitsDataModule(InMemoryDataModule):
    name = "digits"

    def __init__(self, val_size: int = 297, resize: str = "resize", **kwargs: Any) -> None:
        super().__init__(val_size=val_size, resize=resize, **kwargs)

    def load(self) -> dict[str, Part]:
        from sklearn.datasets import load_digits
        digits = load_digits()
        images = torch.from_numpy(digits.images).float()[:, None] / 8 - 1
        labels = torch.from_numpy(digits.target).long()
        if self.val_size >= len(images):
            raise ValueError(f"data.val_size={self.val_size} leaves no training data: digits has {len(images)} "
                             f"images; choose data.val_size < {len(images)}")
        images = match_channels(fit_to_size(images, self.image_size, self.resize), self.channels).contiguous()
        order = seeded_permutation(len(images), self.seed)
        train, held = order[:-self.val_size], order[-self.val_size:]
        held_out = (images[held], labels[held])
        return {"train": (images[train], labels[train]), "val": held_out, "test": held_out}
