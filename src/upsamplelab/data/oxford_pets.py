"""Oxford-IIIT Pet (Parkhi et al. 2012) trimaps as 3-class segmentation, through torchvision (download only).

Classes: 0 background, 1 pet, 2 border (the trimap's 2, 1, 3).  Photos are squashed to ``image_size`` squares
(bilinear, antialiased) and trimaps resized by nearest neighbour at pixel centres, then held in memory.  train =
the official trainval list; the official test list gives ``val_size`` validation images (seeded) and the rest.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from .base import InMemoryDataModule, Part, split_held_out
from .convert import fit_masks_to_size, match_channels, uint8_to_unit
from .errors import torchvision_or_raise

TRIMAP_TO_CLASS = torch.tensor([0, 1, 0, 2])          # trimap value 1 pet, 2 background, 3 border


class OxfordPetsDataModule(InMemoryDataModule):
    name = "oxford_pets"
    task = "segmentation"
    native_channels = 3
    dataset_num_classes = 3

    def __init__(self, image_size: int = 128, val_size: int = 500, resize: str = "resize", **kwargs: Any) -> None:
        if resize != "resize":
            raise ValueError(f"data.resize must be 'resize' for oxford_pets (photos of many sizes), got {resize!r}")
        super().__init__(image_size=image_size, val_size=val_size, resize=resize, **kwargs)

    def read_split(self, split: str) -> Part:
        """(uint8 images (N, 3, S, S), class masks (N, S, S)) of the official "trainval" or "test" list."""
        from torchvision.datasets import OxfordIIITPet
        from torchvision.transforms.functional import pil_to_tensor
        dataset = torchvision_or_raise(
            lambda: OxfordIIITPet(self.data_root, split=split, target_types="segmentation", download=self.download),
            "Oxford-IIIT Pet", f"place its images/ and annotations/ (800 MB) in {self.data_root}/oxford-iiit-pet/",
            self.download)
        size, images, masks = self.image_size, [], []
        for photo, trimap in dataset:
            image = pil_to_tensor(photo.convert("RGB"))[None].float()
            images.append(F.interpolate(image, size=(size, size), mode="bilinear", align_corners=False,
                                        antialias=True).round().clamp(0, 255).to(torch.uint8))
            masks.append(fit_masks_to_size(TRIMAP_TO_CLASS[pil_to_tensor(trimap).long()], size, "resize"))
        return torch.cat(images), torch.cat(masks)

    def load(self) -> dict[str, Part]:
        convert = lambda x: match_channels(uint8_to_unit(x), self.channels).contiguous()  # noqa: E731
        train = self.read_split("trainval")
        val, test = split_held_out(*self.read_split("test"), self.val_size, self.seed)
        return {name: (convert(x), y) for name, (x, y) in (("train", train), ("val", val), ("test", test))}
