"""Random label maps with regions, for the segmentation metrics' tests."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def blobs(n: int, num_classes: int, size: tuple[int, int], seed: int, cell: int = 4) -> torch.Tensor:
    """Random label maps with regions: coarse random labels, nearest-upsampled, with 5 % of pixels relabelled."""
    gen = torch.Generator().manual_seed(seed)
    h, w = size
    coarse = torch.randint(num_classes, (n, 1, -(-h // cell), -(-w // cell)), generator=gen).float()
    labels = F.interpolate(coarse, scale_factor=cell, mode="nearest")[:, 0, :h, :w].long()
    flip = torch.rand(labels.shape, generator=gen) < 0.05
    return torch.where(flip, torch.randint(num_classes, labels.shape, generator=gen), labels)
