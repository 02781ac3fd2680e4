"""Pixel shuffle references, FCN's bilinear kernel and the overlap map against PyTorch and the seed's numbers."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from upsamplelab.ops import (
    bilinear_kernel,
    conv_transpose2d_scatter,
    is_checkerboard_free,
    overlap_map,
    pixel_shuffle_reference,
    pixel_unshuffle_reference,
)


@pytest.mark.parametrize("r", [1, 2, 3, 4])
def test_pixel_shuffle_equals_pytorch_exactly(r):
    x = torch.randn(2, 3 * r * r, 5, 4)
    np.testing.assert_array_equal(pixel_shuffle_reference(x, r), F.pixel_shuffle(x, r).numpy())


@pytest.mark.parametrize("r", [1, 2, 3])
def test_pixel_unshuffle_equals_pytorch_exactly(r):
    x = torch.randn(2, 3, 4 * r, 5 * r)
    np.testing.assert_array_equal(pixel_unshuffle_reference(x, r), F.pixel_unshuffle(x, r).numpy())
    np.testing.assert_array_equal(pixel_shuffle_reference(pixel_unshuffle_reference(x, r), r), x.numpy())


def test_pixel_shuffle_index_formula():
    """y[c, r*i + a, r*j + b] = x[c*r^2 + a*r + b, i, j] (ESPCN), also for a rectangular factor."""
    rh, rw, c, h, w = 2, 3, 2, 3, 4
    x = np.arange(c * rh * rw * h * w, dtype=float).reshape(1, c * rh * rw, h, w)
    y = pixel_shuffle_reference(x, (rh, rw))
    for ch in range(c):
        for a in range(rh):
            for b in range(rw):
                np.testing.assert_array_equal(y[0, ch, a::rh, b::rw], x[0, ch * rh * rw + a * rw + b])


def test_pixel_shuffle_bad_channels():
    with pytest.raises(ValueError, match="divisible by r_h \\* r_w = 4"):
        pixel_shuffle_reference(np.zeros((1, 6, 2, 2)), 2)
    with pytest.raises(ValueError, match="divisible by r"):
        pixel_unshuffle_reference(np.zeros((1, 1, 5, 4)), 2)


def test_bilinear_kernel_seed_numbers():
    w = bilinear_kernel(3, 3, 4)
    one_d = torch.tensor([0.25, 0.75, 0.75, 0.25])
    assert w.shape == (3, 3, 4, 4)
    for i in range(3):
        torch.testing.assert_close(w[i, i], torch.outer(one_d, one_d))
    off_diagonal = w.clone()
    off_diagonal[range(3), range(3)] = 0
    assert off_diagonal.abs().sum() == 0


def test_bilinear_kernel_odd_and_rectangular():
    torch.testing.assert_close(bilinear_kernel(1, 1, 3)[0, 0, 1], torch.tensor([0.5, 1.0, 0.5]))
    assert bilinear_kernel(2, 5, (4, 2)).shape == (2, 5, 4, 2)


@pytest.mark.parametrize("scale", [2, 4])
def test_bilinear_kernel_reproduces_bilinear_resize_in_the_interior(scale):
    x = torch.randn(1, 2, 8, 8)
    up = F.conv_transpose2d(x, bilinear_kernel(2, 2, 2 * scale), stride=scale, padding=scale // 2)
    ref = F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)
    torch.testing.assert_close(up[..., scale:-scale, scale:-scale], ref[..., scale:-scale, scale:-scale])


def test_overlap_map_seed_pattern():
    """K3 S2 on a 3x3 input: the 7x7 1-2-4 pattern."""
    line = np.array([1, 1, 2, 1, 2, 1, 1])
    np.testing.assert_array_equal(overlap_map(3, 2, 3), np.outer(line, line))
    assert set(np.unique(overlap_map(3, 2, 3))) == {1, 2, 4}


@pytest.mark.parametrize("k", range(1, 9))
@pytest.mark.parametrize("s", range(1, 5))
def test_overlap_interior_uniform_iff_divisible(k, s):
    counts = overlap_map(k, s, 12)
    margin = k                                      # the border ramps up; look far enough inside
    interior = counts[margin:-margin, margin:-margin]
    assert (np.unique(interior).size == 1) == (k % s == 0) == is_checkerboard_free(k, s)
    if k % s == 0:
        assert interior[0, 0] == (k // s) ** 2


def test_overlap_map_is_scatter_of_ones():
    np.testing.assert_array_equal(overlap_map((3, 2), (2, 1), (2, 3)),
                                  conv_transpose2d_scatter(np.ones((1, 1, 2, 3)), np.ones((1, 1, 3, 2)), (2, 1))[0, 0])
