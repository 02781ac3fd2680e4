"""The data-module base classes: argument checks, splits, identity, and the two ways batches are served.

Every module serves (image, target) batches with images as float32 (N, C, H, W) in [-1, 1] (the range of the
models' Tanh outputs and of FID's image conversion) and int64 targets: class labels (N,) for image datasets, class
masks (N, H, W) for segmentation.  ``real_images(split, n)`` gives the images alone (FID reference sets, grids).

- ``InMemoryDataModule``: the whole dataset, converted once, as tensors; batches by ``InMemoryBatches``.
- ``StreamedDataModule``: a torch Dataset read file by file through a DataLoader with worker processes.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Optional

import pytorch_lightning as pl
import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, Subset

from .. import checks
from .batches import InMemoryBatches
from .convert import RESIZE_MODES

SPLITS = ("train", "val", "test")
Part = tuple[Tensor, Tensor]


def check_int(name: str, value: Any, minimum: int = 1) -> None:
    """``checks.check_int`` for the data key ``data.<name>``."""
    checks.check_int(f"data.{name}", value, minimum)


def check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")


def seeded_permutation(n: int, seed: int) -> Tensor:
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed))


def split_held_out(images: Tensor, targets: Tensor, val_size: int, seed: int) -> tuple[Part, Part]:
    """A seeded random ``val_size`` of an official test split for validation, the rest for testing."""
    if val_size >= len(images):
        raise ValueError(f"data.val_size={val_size} leaves nothing to test: the held-out split has {len(images)} "
                         f"samples; choose data.val_size < {len(images)}")
    order = seeded_permutation(len(images), seed)
    val, test = order[:val_size], order[val_size:]
    return (images[val], targets[val]), (images[test], targets[test])


class ImageDataModule(pl.LightningDataModule):
    """Arguments shared by every dataset (each is the config key ``data.<name>``).

    ``image_size``: side of the square model input; ``channels``: 1 or 3 (None: the dataset's own);
    ``resize``: "pad" or "resize" (see ``convert``); ``limit_train``: only the first ``limit_train`` training samples;
    ``num_classes``: checked against the dataset's (configs interpolate it into the model); ``seed``: splits,
    subsets, generated data and shuffling.
    """

    name = ""
    task = "image"
    native_channels = 1
    dataset_num_classes = 10

    def __init__(self, data_root: str = "data", download: bool = False, image_size: int = 32,
                 channels: Optional[int] = None, batch_size: int = 64, val_size: Optional[int] = 1000,
                 resize: str = "pad", limit_train: Optional[int] = None, num_classes: Optional[int] = None,
                 seed: int = 0) -> None:
        super().__init__()
        check_int("image_size", image_size)
        check_int("batch_size", batch_size)
        if val_size is not None:
            check_int("val_size", val_size)
        if limit_train is not None:
            check_int("limit_train", limit_train)
        channels = self.native_channels if channels is None else channels
        if channels not in (1, 3):
            raise ValueError(f"data.channels must be one of [1, 3], got {channels!r}")
        if resize not in RESIZE_MODES:
            raise ValueError(f"data.resize must be one of {list(RESIZE_MODES)}, got {resize!r}")
        if num_classes is not None and num_classes != self.dataset_num_classes:
            raise ValueError(f"data.num_classes={num_classes} but {self.name} has {self.dataset_num_classes} "
                             f"classes; set data.num_classes={self.dataset_num_classes}")
        self.data_root, self.download, self.image_size, self.channels = data_root, download, image_size, channels
        self.batch_size, self.val_size, self.resize, self.limit_train = batch_size, val_size, resize, limit_train
        self.num_classes, self.seed = self.dataset_num_classes, seed

    def identity(self) -> dict[str, Any]:
        """Everything that changes the images served; subclasses add their own generation arguments."""
        return {"channels": self.channels, "resize": self.resize, "val_size": self.val_size,
                "limit_train": self.limit_train, "seed": self.seed}

    @property
    def dataset_id(self) -> str:
        """``<name>-<size>px-<hash of identity()>``: equal ids mean equal images (keys FID reference caches)."""
        digest = hashlib.sha1(json.dumps(self.identity(), sort_keys=True).encode()).hexdigest()[:10]
        return f"{self.name}-{self.image_size}px-{digest}"

    def split_size(self, split: str) -> int:
        raise NotImplementedError

    def loader(self, split: str, train: bool):
        """Batches of ``split``: shuffled, full batches only, when ``train``."""
        raise NotImplementedError

    def train_dataloader(self):
        num_train = self.split_size("train")
        if self.batch_size > num_train:
            raise ValueError(f"data.batch_size={self.batch_size} is larger than the {num_train} training samples "
                             f"of {self.name}; lower data.batch_size or raise data.limit_train")
        return self.loader("train", train=True)

    def val_dataloader(self):
        return self.loader("val", train=False)

    def test_dataloader(self):
        return self.loader("test", train=False)

    def limit(self, part: Part) -> Part:
        if self.limit_train is None:
            return part
        return part[0][:self.limit_train], part[1][:self.limit_train]


class InMemoryDataModule(ImageDataModule):
    """Subclasses implement ``load() -> {"train": (images, targets), "val": ..., "test": ...}``, converted."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._parts: Optional[dict[str, Part]] = None

    def load(self) -> dict[str, Part]:
        raise NotImplementedError

    def setup(self, stage: Optional[str] = None) -> None:
        if self._parts is None:
            parts = self.load()
            parts["train"] = self.limit(parts["train"])
            self._parts = parts

    def part(self, split: str) -> Part:
        """(images, targets) of ``split``, the tensors batches are cut from."""
        check_split(split)
        self.setup()
        return self._parts[split]

    def real_images(self, split: str = "train", n: Optional[int] = None) -> Tensor:
        """The first ``n`` (all when None) images of ``split``, float32 (N, C, H, W) in [-1, 1]."""
        return self.part(split)[0][:n]

    def loader(self, split: str, train: bool) -> InMemoryBatches:
        images, targets = self.part(split)
        trainer = self.trainer
        replicas, rank = (trainer.world_size, trainer.global_rank) if trainer is not None else (1, 0)
        return InMemoryBatches(images, targets, batch_size=self.batch_size, shuffle=train, drop_last=train,
                               seed=self.seed, num_replicas=replicas, rank=rank)

    def split_size(self, split: str) -> int:
        return len(self.part(split)[0])


class StreamedDataModule(ImageDataModule):
    """Subclasses implement ``datasets() -> {"train": Dataset, "val": ..., "test": ...}`` yielding converted
    (image, target) pairs; batches come from a DataLoader with ``num_workers`` processes."""

    def __init__(self, num_workers: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check_int("num_workers", num_workers, minimum=0)
        self.num_workers = num_workers
        self._datasets: Optional[dict[str, Dataset]] = None

    def datasets(self) -> dict[str, Dataset]:
        raise NotImplementedError

    def setup(self, stage: Optional[str] = None) -> None:
        if self._datasets is None:
            datasets = self.datasets()
            train = datasets["train"]
            if self.limit_train is not None and self.limit_train < len(train):
                datasets["train"] = Subset(train, range(self.limit_train))
            self._datasets = datasets

    def _dataset(self, split: str) -> Dataset:
        check_split(split)
        self.setup()
        return self._datasets[split]

    def real_images(self, split: str = "train", n: Optional[int] = None) -> Tensor:
        dataset = self._dataset(split)
        count = len(dataset) if n is None else min(n, len(dataset))
        return torch.stack([dataset[i][0] for i in range(count)])

    def split_size(self, split: str) -> int:
        return len(self._dataset(split))

    def loader(self, split: str, train: bool) -> DataLoader:
        return DataLoader(self._dataset(split), batch_size=self.batch_size, shuffle=train, drop_last=train,
                          num_workers=self.num_workers, persistent_workers=self.num_workers > 0,
                          pin_memory=torch.cuda.is_available(),
                          generator=torch.Generator().manual_seed(self.seed) if train else None)

