"""Any folder of images (searched recursively), streamed from disk: for your own data.

Each image is converted to RGB (or grey for ``channels=1``), resized so its shorter side is ``image_size``
(antialiased), centre-cropped to a square and mapped to [-1, 1].  Targets are all 0 (one class: unconditional
generation).  A seeded ``val_size`` of the files is held out and serves as validation and test split.

Unreadable images stop the run when the data is set up, before training, in one line naming the file
(``CorruptFileError``): every file's header is opened and what PIL can verify without decoding (a PNG's chunk
checksums) is checked.  ``skip_unreadable=true`` leaves such files out with a warning instead.  An image whose
pixel data is cut short where no checksum shows it (a truncated JPEG) is found when it is first decoded, and named
the same way.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import Any, Optional

import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset

from ..reliability.file_integrity import CorruptFileError
from .base import StreamedDataModule, seeded_permutation
from .convert import uint8_to_unit
from .errors import DatasetUnavailableError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def square_image(image: Image.Image, size: int, channels: int) -> Tensor:
    """A PIL image -> float32 (channels, size, size) in [-1, 1]: shorter side to ``size``, centre crop."""
    from torchvision.transforms import functional as TF
    image = TF.center_crop(TF.resize(image.convert("L" if channels == 1 else "RGB"), size), [size, size])
    return uint8_to_unit(TF.pil_to_tensor(image))


def unreadable(path: Path) -> Optional[str]:
    """Why PIL cannot read ``path`` as an image, from its header and what ``verify`` checks without decoding;
    None when it can."""
    try:
        with Image.open(path) as image:
            image.verify()
    except Exception as err:  # noqa: BLE001 - PIL reports broken files with many error types
        return f"{type(err).__name__}: {err}"
    return None


class ImageFiles(Dataset):
    """(image, 0) for each of ``files``; a file that cannot be decoded raises ``CorruptFileError`` naming it."""

    def __init__(self, files: list[Path], size: int, channels: int) -> None:
        self.files, self.size, self.channels = files, size, channels

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[Tensor, int]:
        try:
            with Image.open(self.files[i]) as image:
                return square_image(image, self.size, self.channels), 0
        except (OSError, SyntaxError, ValueError) as err:       # PIL's decoding errors
            raise CorruptFileError(f"image {self.files[i]} cannot be read ({type(err).__name__}: {err}): replace or "
                                   f"remove it") from None


class ImageFolderDataModule(StreamedDataModule):
    name = "image_folder"
    native_channels = 3
    dataset_num_classes = 1

    def __init__(self, root: str = "data/images", val_size: int = 100, skip_unreadable: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(val_size=val_size, **kwargs)
        if not isinstance(skip_unreadable, bool):
            raise ValueError(f"data.skip_unreadable must be one of [true, false], got {skip_unreadable!r}")
        self.root, self.skip_unreadable = root, skip_unreadable

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

    def readable(self, files: list[Path]) -> list[Path]:
        """``files`` less the unreadable ones (``unreadable``) when ``skip_unreadable``, with a warning; else
        ``CorruptFileError`` naming the first unreadable file."""
        bad = {path: why for path in files if (why := unreadable(path)) is not None}
        if not bad:
            return files
        first, why = next(iter(bad.items()))
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        if not self.skip_unreadable:
            raise CorruptFileError(f"image {first} cannot be read ({why}){more}: replace or remove it, or set "
                                   f"data.skip_unreadable=true to leave unreadable images out")
        warnings.warn(f"data.skip_unreadable: left out {len(bad)} unreadable image(s) under {self.root}, e.g. "
                      f"{first} ({why})")
        return [path for path in files if path not in bad]

    def datasets(self) -> dict[str, Dataset]:
        files = self.files()
        if not files:
            raise DatasetUnavailableError(f"no image files ({', '.join(IMAGE_SUFFIXES)}) under {self.root}: put your "
                                          f"image files there, or set data.root to the folder that holds them")
        files = self.readable(files)
        if self.val_size >= len(files):
            raise ValueError(f"data.val_size={self.val_size} leaves no training images: {self.root} holds "
                             f"{len(files)}; choose data.val_size < {len(files)}")
        order = seeded_permutation(len(files), self.seed).tolist()
        pick = lambda idx: ImageFiles([files[i] for i in idx], self.image_size, self.channels)  # noqa: E731
        held_out = pick(order[-self.val_size:])
        return {"train": pick(order[:-self.val_size]), "val": held_out, "test": held_out}
