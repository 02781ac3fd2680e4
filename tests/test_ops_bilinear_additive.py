"""Bilinear resizing and bilinear additive upsampling (Wojna et al. 2019) as NumPy references: against PyTorch,
hand-computed numbers and the group-sum formula."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from upsamplelab.ops import bilinear_additive_reference, bilinear_resize_reference


@pytest.mark.parametrize("r", [1, 2, 3, 4, (2, 3)])
@pytest.mark.parametrize("size", [(1, 1), (2, 5), (6, 4)])
def test_bilinear_resize_equals_pytorch(r, size):
    x = torch.randn(2, 3, *size, dtype=torch.float64)
    expected = F.interpolate(x, scale_factor=r, mode="bilinear", align_corners=False)
    np.testing.assert_allclose(bilinear_resize_reference(x, r), expected.numpy(), rtol=0, atol=1e-12)


def test_bilinear_resize_hand_numbers():
    """[0, 4] by 2: sources max(0, -1/4), 1/4, 3/4, 5/4 (edge-clamped) -> 0, 1, 3, 4 on each axis."""
    x = np.array([[0.0, 4.0], [8.0, 12.0]])[None, None]
    line = np.array([0.0, 1.0, 3.0, 4.0])
    np.testing.assert_allclose(bilinear_resize_reference(x, 2)[0, 0], line[None, :] + 2 * line[:, None], atol=1e-15)


def test_bilinear_additive_is_the_sum_of_resized_channel_groups():
    x = np.random.default_rng(0).standard_normal((2, 6, 3, 4))
    y = bilinear_additive_reference(x, 2, 3)
    resized = bilinear_resize_reference(x, 3)
    assert y.shape == (2, 2, 9, 12)
    for k in range(2):
        np.testing.assert_allclose(y[:, k], resized[:, 3 * k] + resized[:, 3 * k + 1] + resized[:, 3 * k + 2],
                                   rtol=0, atol=1e-12)


def test_bilinear_additive_needs_in_channels_a_multiple_of_out_channels():
    with pytest.raises(ValueError, match="bilinear additive upsampling needs in_channels to be a multiple of "
                                         "out_channels .*got in_channels=6, out_channels=4"):
        bilinear_additive_reference(np.zeros((1, 6, 2, 2)), 4, 2)
