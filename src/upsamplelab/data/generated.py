"""Segmentation sets generated on the fly, exactly labelled and reproducible from ``seed``.

``num_samples`` training images; ``val_size`` validation and ``val_size`` test images, each split drawn from its
own random stream (changing one split's size leaves the others as they were).
"""
from __future__ import annotations

from typing import Any

import torch

from .base import InMemoryDataModule, Part, check_int

SPLIT_STREAMS = {"train": 0, "val": 1, "test": 2}


class GeneratedSegmentationDataModule(InMemoryDataModule):
    """Subclasses implement ``generate(n, split, generator) -> (images, masks)``."""

    task = "segmentation"

    def __init__(self, num_samples: int = 2000, val_size: int = 200, **kwargs: Any) -> None:
        super().__init__(val_size=val_size, **kwargs)
        check_int("num_samples", num_samples)
        self.num_samples = num_samples

    def identity(self) -> dict[str, Any]:
        return super().identity() | {"num_samples": self.num_samples}

    def generate(self, n: int, split: str, generator: torch.Generator) -> Part:
        raise NotImplementedError

    def load(self) -> dict[str, Part]:
        sizes = {"train": self.num_samples, "val": self.val_size, "test": self.val_size}
        return {split: self.generate(n, split, torch.Generator().manual_seed(self.seed * 7919 + SPLIT_STREAMS[split]))
                for split, n in sizes.items()}
