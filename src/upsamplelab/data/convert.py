"""Turning stored images into model inputs, once, up front: [-1, 1] floats, the model's size, its channels.

Size rule (``resize``): "pad" centres the image on a background-filled canvas when the size difference is positive
and even (28 -> 32: 2 pixels each side, exact pixels kept); otherwise, and for ``resize="resize"``, the image is
resized bilinearly (antialiased when shrinking).  Masks follow the same rule with background class 0 and
nearest-neighbour resizing at pixel centres ("nearest-exact"), so no new labels appear.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

RESIZE_MODES = ("pad", "resize")


def uint8_to_unit(images: Tensor) -> Tensor:
    """uint8 0..255 -> float32 in [-1, 1]: x / 127.5 - 1 (0 -> -1, 255 -> 1)."""
    return images.float() / 127.5 - 1


def _pad_width(size: int, target: int, mode: str) -> int | None:
    """Pixels of padding per side when ``mode`` pads and the difference allows it, else None (resize)."""
    diff = target - size
    return diff // 2 if mode == "pad" and diff >= 0 and diff % 2 == 0 else None


def fit_to_size(images: Tensor, size: int, mode: str, background: float = -1.0) -> Tensor:
    """(N, C, H, W) float images -> (N, C, size, size) by the module's size rule."""
    h, w = images.shape[-2:]
    if (h, w) == (size, size):
        return images
    pad = _pad_width(h, size, mode) if h == w else None
    if pad is not None:
        return F.pad(images, [pad] * 4, value=background)
    resized = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False,
                            antialias=size < max(h, w))
    return resized.clamp(-1, 1)


def fit_masks_to_size(masks: Tensor, size: int, mode: str) -> Tensor:
    """(N, H, W) class-index masks -> (N, size, size) int64 by the module's size rule (background 0)."""
    h, w = masks.shape[-2:]
    masks = masks.long()
    if (h, w) == (size, size):
        return masks
    pad = _pad_width(h, size, mode) if h == w else None
    if pad is not None:
        return F.pad(masks, [pad] * 4, value=0)
    return F.interpolate(masks[:, None].float(), size=(size, size), mode="nearest-exact")[:, 0].long()


def match_channels(images: Tensor, channels: int) -> Tensor:
    """Grey -> RGB by repeating the channel; RGB -> grey by the ITU-R BT.601 luma weights."""
    if images.shape[1] == channels:
        return images
    if images.shape[1] == 1 and channels == 3:
        return images.repeat(1, 3, 1, 1)
    if images.shape[1] == 3 and channels == 1:
        weights = torch.tensor([0.299, 0.587, 0.114], dtype=images.dtype, device=images.device)
        return (images * weights.view(1, 3, 1, 1)).sum(dim=1, keepdim=True)
    raise ValueError(f"cannot convert {images.shape[1]} channels to {channels}")


def prepare_images(images: Tensor, size: int, mode: str, channels: int) -> Tensor:
    """uint8 (N, H, W) or (N, C, H, W) -> float32 (N, channels, size, size) in [-1, 1], background -1."""
    images = images[:, None] if images.ndim == 3 else images
    return match_channels(fit_to_size(uint8_to_unit(images), size, mode), channels).contiguous()
