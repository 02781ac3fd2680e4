"""CelebA (Liu et al. 2015): 202,599 aligned face photos, streamed through torchvision (download only).

Faces are centre-cropped to 178 x 178 and resized to ``image_size`` (64 by default), the usual GAN preprocessing;
the official train/valid/test lists are the splits; targets are all 0 (unconditional generation).
"""
from __future__ import annotations

from typing import Any

from torch.utils.data import Dataset

from .base import StreamedDataModule
from .errors import torchvision_or_raise
from .image_folder import square_image

FACE_CROP = 178
OFFICIAL_SPLITS = {"train": "train", "val": "valid", "test": "test"}


class CelebAFaces(Dataset):
    """(face, 0) pairs of one official CelebA split."""

    def __init__(self, celeba: Dataset, size: int, channels: int) -> None:
        self.celeba, self.size, self.channels = celeba, size, channels

    def __len__(self) -> int:
        return len(self.celeba)

    def __getitem__(self, i: int):
        from torchvision.transforms.functional import center_crop
        photo, _ = self.celeba[i]
        return square_image(center_crop(photo, [FACE_CROP, FACE_CROP]), self.size, self.channels), 0


class CelebADataModule(StreamedDataModule):
    name = "celeba"
    native_channels = 3
    dataset_num_classes = 1

    def __init__(self, image_size: int = 64, **kwargs: Any) -> None:
        super().__init__(image_size=image_size, val_size=None, **kwargs)

    def datasets(self) -> dict[str, Dataset]:
        from torchvision.datasets import CelebA

        def split(name: str) -> Dataset:
            celeba = torchvision_or_raise(
                lambda: CelebA(self.data_root, split=name, target_type=[], download=self.download), "CelebA",
                f"place img_align_celeba/ and the list files (1.4 GB, Google Drive) in {self.data_root}/celeba/",
                self.download)
            return CelebAFaces(celeba, self.image_size, self.channels)

        return {ours: split(theirs) for ours, theirs in OFFICIAL_SPLITS.items()}
