"""``conv_transpose_output_size``: the formula, PyTorch's rule for output_padding, and the seed's table."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from upsamplelab.ops import conv_transpose_output_size

# (input, kernel, stride, padding, output_padding) -> output: the seed's worked table
SEED_TABLE = [
    ((1, 4, 1, 0, 0), 4),     # DCGAN's 1x1 -> 4x4 projection
    ((4, 4, 2, 1, 0), 8),     # DCGAN up-block
    ((14, 4, 2, 1, 0), 28),   # MNIST 14 -> 28
    ((4, 3, 2, 1, 0), 7),     # K3 S2 P1 without output_padding: 7, not 8
    ((4, 3, 2, 1, 1), 8),     # ... with output_padding 1: exactly x2
    ((7, 3, 2, 1, 1), 14),
    ((4, 2, 2, 0, 0), 8),     # U-Net K2 S2
    ((2, 3, 1, 0, 0), 4),     # the 2x2 * 3x3 worked example
    ((3, 3, 2, 0, 0), 7),     # the 7x7 1-2-4 overlap pattern
    ((16, 16, 8, 4, 0), 128),  # FCN bilinear x8 head (K=2S, P=S/2)
]


@pytest.mark.parametrize("args,expected", SEED_TABLE)
def test_seed_table(args, expected):
    assert conv_transpose_output_size(*args) == expected


def test_output_padding_adds_one_row():
    assert (conv_transpose_output_size(4, 3, 2, 1, 0), conv_transpose_output_size(4, 3, 2, 1, 1)) == (7, 8)


def test_equals_pytorch_on_random_configs():
    rng = np.random.default_rng(0)
    checked = 0
    while checked < 200:
        i, k, s, d = (int(v) for v in rng.integers(1, 6, 4))
        p, op = int(rng.integers(0, 4)), int(rng.integers(0, max(s, d)))
        try:
            ours = conv_transpose_output_size(i, k, s, p, op, d)
        except ValueError:
            continue
        layer = nn.ConvTranspose2d(1, 1, k, s, p, op, dilation=d)
        assert layer(torch.zeros(1, 1, i, i)).shape[-1] == ours
        checked += 1


def test_pairs_give_pairs():
    assert conv_transpose_output_size((4, 5), (3, 4), (2, 2), (1, 1), (1, 0)) == (8, 10)


@pytest.mark.parametrize("kwargs,name", [
    (dict(size=4, kernel_size=3, stride=2, output_padding=2), "output_padding"),
    (dict(size=4, kernel_size=3, stride=1, output_padding=1), "output_padding"),
    (dict(size=0, kernel_size=3), "size"),
    (dict(size=4, kernel_size=0), "kernel_size"),
    (dict(size=4, kernel_size=3, stride=0), "stride"),
    (dict(size=4, kernel_size=3, padding=-1), "padding"),
    (dict(size=4, kernel_size=3, dilation=0), "dilation"),
    (dict(size=1, kernel_size=1, padding=1), "reduce padding"),
    (dict(size=4, kernel_size="3"), "kernel_size"),
])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        conv_transpose_output_size(**kwargs)


def test_output_padding_allowed_below_dilation():
    # PyTorch accepts output_padding >= stride when it is below the dilation
    assert conv_transpose_output_size(3, 2, stride=1, output_padding=1, dilation=2) == 3 - 1 + 2 + 1 + 1
