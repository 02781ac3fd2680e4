"""CARAFE's reassembly: the unfold + einsum path against the NumPy reference (float64, atol 1e-10) and against the
paper's formula at single locations."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from upsamplelab.ops import carafe_reassembly, carafe_reassembly_reference


def random_operands(seed: int, scale: int, k_up: int, dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 3, 4, 5, generator=gen, dtype=dtype)
    kernels = torch.randn(2, k_up * k_up, 4 * scale, 5 * scale, generator=gen, dtype=dtype).softmax(dim=1)
    return x, kernels


@pytest.mark.parametrize("scale", [1, 2, 3, 4])
@pytest.mark.parametrize("k_up", [1, 3, 5])
def test_fast_path_equals_reference(scale, k_up):
    x, kernels = random_operands(scale * 10 + k_up, scale, k_up)
    expected = carafe_reassembly_reference(x, kernels, scale)
    got = carafe_reassembly(x, kernels, scale)
    assert got.shape == expected.shape == (2, 3, 4 * scale, 5 * scale)
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-10)


def test_reference_is_the_papers_sum_at_single_locations():
    """y[c, i', j'] = sum_{a,b} W[a*k + b, i', j'] * x[c, i'//s + a - r, j'//s + b - r], zero outside."""
    scale, k_up, r = 2, 5, 2
    x, kernels = random_operands(7, scale, k_up)
    x, kernels = x.numpy(), kernels.numpy()
    y = carafe_reassembly_reference(x, kernels, scale)
    for i_out, j_out in [(0, 0), (3, 6), (7, 9), (5, 2)]:
        total = np.zeros(3)
        for a in range(k_up):
            for b in range(k_up):
                i, j = i_out // scale + a - r, j_out // scale + b - r
                if 0 <= i < 4 and 0 <= j < 5:
                    total += kernels[1, a * k_up + b, i_out, j_out] * x[1, :, i, j]
        np.testing.assert_allclose(y[1, :, i_out, j_out], total, rtol=0, atol=1e-12)


def test_uniform_kernels_of_size_one_are_nearest_upsampling():
    x, _ = random_operands(0, 3, 1)
    ones = torch.ones(2, 1, 12, 15, dtype=torch.float64)
    torch.testing.assert_close(carafe_reassembly(x, ones, 3), x.repeat_interleave(3, 2).repeat_interleave(3, 3))


def test_float32_and_channels_last_match_the_float64_reference():
    x, kernels = random_operands(3, 2, 5)
    expected = carafe_reassembly_reference(x, kernels, 2)
    for x32 in (x.float(), x.float().to(memory_format=torch.channels_last)):
        got = carafe_reassembly(x32, kernels.float(), 2)
        np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("kernel_shape,scale,match", [
    ((2, 4, 8, 10), 2, "k_up\\^2 for an odd k_up"), ((2, 9, 8, 10), 3, "must have shape"),
    ((2, 9, 8, 10), 0, "scale must be an int >= 1"),
])
def test_bad_operands_are_named(kernel_shape, scale, match):
    x = torch.zeros(2, 3, 4, 5)
    for op in (carafe_reassembly, carafe_reassembly_reference):
        with pytest.raises(ValueError, match=match):
            op(x, torch.zeros(kernel_shape), scale)
