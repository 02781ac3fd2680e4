"""The three textbook views of transposed convolution against ``F.conv_transpose2d`` (float64, atol 1e-10)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from upsamplelab.ops import (
    conv2d_matrix,
    conv_transpose2d_matrix,
    conv_transpose2d_scatter,
    conv_transpose2d_zero_insertion,
    conv_transpose_output_size,
)

VIEWS = [conv_transpose2d_scatter, conv_transpose2d_matrix, conv_transpose2d_zero_insertion]
N_CONFIGS = 120


def random_config(seed: int) -> dict:
    """A valid random ConvTranspose2d configuration: groups, non-square kernels/strides, padding, output_padding,
    dilation, batch > 1 and several channels all occur across the seeds."""
    rng = np.random.default_rng(seed)
    while True:
        groups = int(rng.integers(1, 4))
        k = tuple(int(v) for v in rng.integers(1, 5, 2))
        s = tuple(int(v) for v in rng.integers(1, 4, 2))
        d = tuple(int(v) for v in rng.integers(1, 3, 2))
        p = tuple(int(rng.integers(0, d[a] * (k[a] - 1) + 2)) for a in range(2))
        op = tuple(int(rng.integers(0, max(s[a], d[a]))) for a in range(2))
        hw = tuple(int(v) for v in rng.integers(1, 6, 2))
        try:
            conv_transpose_output_size(hw, k, s, p, op, d)
        except ValueError:
            continue
        x = rng.standard_normal((int(rng.integers(1, 4)), groups * int(rng.integers(1, 3)), *hw))
        w = rng.standard_normal((x.shape[1], groups * int(rng.integers(1, 3)) // groups, *k))
        return dict(x=x, weight=w, stride=s, padding=p, output_padding=op, dilation=d, groups=groups)


def torch_conv_transpose(cfg: dict) -> np.ndarray:
    return F.conv_transpose2d(torch.from_numpy(cfg["x"]), torch.from_numpy(cfg["weight"]), None, cfg["stride"],
                              cfg["padding"], cfg["output_padding"], cfg["groups"], cfg["dilation"]).numpy()


def test_random_configs_cover_the_hard_cases():
    cfgs = [random_config(s) for s in range(N_CONFIGS)]
    assert sum(c["groups"] > 1 for c in cfgs) > 20
    assert sum(c["x"].shape[0] > 1 for c in cfgs) > 20
    assert sum(c["weight"].shape[2] != c["weight"].shape[3] for c in cfgs) > 20
    assert sum(c["stride"][0] != c["stride"][1] for c in cfgs) > 20
    assert sum(max(c["output_padding"]) > 0 for c in cfgs) > 20
    assert sum(max(c["dilation"]) > 1 for c in cfgs) > 20
    assert sum(max(c["padding"]) > 0 for c in cfgs) > 20
    assert any(c["output_padding"][a] >= c["stride"][a] for c in cfgs for a in range(2))  # allowed by dilation


@pytest.mark.parametrize("view", VIEWS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("seed", range(N_CONFIGS))
def test_view_equals_pytorch(view, seed):
    cfg = random_config(seed)
    expected = torch_conv_transpose(cfg)
    got = view(**cfg)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("seed", range(30))
def test_conv2d_matrix_equals_pytorch_conv2d(seed):
    rng = np.random.default_rng(1000 + seed)
    cfg = random_config(seed)
    w = cfg["weight"]                                # read as a Conv2d weight (C_out, C_in/g, kH, kW)
    side = int(rng.integers(2 * max(w.shape[2:]), 2 * max(w.shape[2:]) + 4))   # big enough for any dilation
    hw = (side, side + 1)
    x = rng.standard_normal((w.shape[1] * cfg["groups"], *hw))
    m = conv2d_matrix(w, hw, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"])
    expected = F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w), None, cfg["stride"], cfg["padding"],
                        cfg["dilation"], cfg["groups"]).numpy()[0]
    np.testing.assert_allclose(m @ x.ravel(), expected.ravel(), rtol=0, atol=1e-10)


@pytest.mark.parametrize("seed", range(30))
def test_adjoint_identity(seed):
    """<conv2d(y), x> = <y, conv_transpose2d(x)> with the same weight: the transposed conv is the adjoint."""
    cfg = random_config(seed)
    rng = np.random.default_rng(seed)
    y_view = conv_transpose2d_scatter(**cfg)                       # lives in the conv2d's input space
    y = rng.standard_normal(y_view.shape)
    conv_y = F.conv2d(torch.from_numpy(y), torch.from_numpy(cfg["weight"]), None, cfg["stride"], cfg["padding"],
                      cfg["dilation"], cfg["groups"]).numpy()
    x = cfg["x"]
    h, w = x.shape[2:]
    # with output_padding >= stride the forward conv has extra output cells; x is zero there
    lhs = np.sum(conv_y[:, :, :h, :w] * x)
    rhs = np.sum(y * y_view)
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-10)


@pytest.mark.parametrize("view", VIEWS, ids=lambda f: f.__name__)
def test_seed_worked_example(view):
    """2x2 input [[1,2],[3,4]], 3x3 kernel with ones on the corners and centre, stride 1."""
    x = np.array([[1.0, 2], [3, 4]])[None, None]
    w = np.array([[1.0, 0, 1], [0, 1, 0], [1, 0, 1]])[None, None]
    expected = [[1, 2, 1, 2], [3, 5, 5, 4], [1, 5, 5, 2], [3, 4, 3, 4]]
    np.testing.assert_array_equal(view(x, w)[0, 0], expected)


def test_views_accept_tensors_and_pairs():
    x, w = torch.randn(2, 3, 4, 5, dtype=torch.float64), torch.randn(3, 2, 3, 2, dtype=torch.float64)
    expected = F.conv_transpose2d(x, w, stride=(2, 1), padding=(1, 0), output_padding=(1, 0)).numpy()
    for view in VIEWS:
        np.testing.assert_allclose(view(x, w, (2, 1), (1, 0), (1, 0)), expected, atol=1e-10)


def test_bad_operands_are_named():
    with pytest.raises(ValueError, match="weight.shape\\[0\\]"):
        conv_transpose2d_scatter(np.ones((1, 3, 2, 2)), np.ones((2, 1, 3, 3)))
    with pytest.raises(ValueError, match="groups=2"):
        conv_transpose2d_matrix(np.ones((1, 3, 2, 2)), np.ones((3, 1, 3, 3)), groups=2)
    with pytest.raises(ValueError, match="x must have 4 dimensions"):
        conv_transpose2d_zero_insertion(np.ones((3, 2, 2)), np.ones((3, 1, 3, 3)))
    with pytest.raises(ValueError, match="output_padding"):
        conv_transpose2d_scatter(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), stride=2, output_padding=2)
