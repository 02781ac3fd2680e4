"""Any folder of images (searched recursively), streamed from disk: for your own data.

Each image is converted to RGB (or grey for ``channels=1``), resized so its shorter side is ``image_size``
(antialiased), centre-cropped to a square and mapped to [-1, 1].  Targets are all 0 (one class: unconditional
generation).  A seeded ``val_size`` of the files is held out and serves as validation and test split.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset

from .base import StreamedDataModule, seeded_permutation
from .convert import uint8_to_unit
from .errors import DatasetUnavailableError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def square_image(image: Image.Image, size: int, channels: int) -> Tensor:
    """A PIL image -> float32 (channels, size, size) in [-1, 1]: shorter side to ``size``, centre crop."""
    from torchvision.transforms import functional as TF
    image = TF.center_crop(TF.resize(image.convert("L" if channels == 1 else "RGB"), size), [size, size])
    return uint8_to_unit(TF.pil_to_tensor(image))


class ImageFiles(Dataset):
    """(image, 0) for each of ``files``."""

    def __init__(self, files: list[Path], size: int, channels: int) -> None:
        self.files, self.size, self.channels = files, size, channels

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[Tensor, int]:
        with Image.open(self.files[i]) as image:
            return square_image(image, self.size, self.channels), 0


class ImageFolderDataModule(StreamedDataModule):
    name = "image_folder"
    native_channels = 3
    dataset_num_classes = 1

    def __init__(self, root: str = "data/images", val_size: int = 100, **kwargs: Any) -> None:
        super().__init__(val_size=val_size, **kwargs)
        self.root = root

    def files(self) -> list[Path]:
        """The image files under ``root``, sorted."""
        return sorted(p for p in Path(self.root).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)

    def identity(self) -> dict[str, Any]:
        """The folder and what decides its pixels: every image's relative path, size and modification time (so
        adding, removing or changing an image changes ``dataset_id`` and with it the FID reference cache)."""
        root = Path(self.root).resolve()
        listing = [(p.relative_to(root).as_posix(), st.st_size, st.st_mtime_ns)
                   for p in self.files() for st in [p.stat()]] if root.is_dir() else []
        digest = hashlib.sha1(json.dumps(listing).encode()).hexdigest()
        return super().identity() | {"root": str(root), "files": digest}

    def datasets(self) -> dict[str, Dataset]:
        files = self.files()
        if not files:
            raise DatasetUnavailableError(f"no image files ({', '.join(IMAGE_SUFFIXES)}) under {self.root}: put your "
                                          f"image files there, or set data.root to the folder that holds them")
        if self.val_size >= len(files):
            raise ValueError(f"data.val_size={self.val_size} leaves no training images: {self.root} holds "
                             f"{len(files)}; choose data.val_size < {len(files)}")
        order = seeded_permutation(len(files), self.seed).tolist()
        pick = lambda idx: ImageFiles([files[i] for i in idx], self.image_size, self.channels)  # noqa: E731
        held_out = pick(order[-self.val_size:])
        return {"train": pick(order[:-self.val_size]), "val": held_out, "test": held_out}
