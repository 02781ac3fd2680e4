"""upfirdn2d: the PyTorch path against the NumPy reference (float64, atol 1e-10), the reference against SciPy's
1-D ``upfirdn``, and the polyphase property behind the filtered upsamplers."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.signal import upfirdn

from upsamplelab.ops import box_fir, upfirdn2d, upfirdn2d_reference

N_CONFIGS = 60


def random_config(seed: int) -> dict:
    """Random x (batch, channels, non-square), a 1-D or 2-D random filter, factors 1-4 per axis, padding that may
    crop (negative) but leaves the filter room."""
    rng = np.random.default_rng(seed)
    fir = rng.standard_normal(int(rng.integers(1, 6))) if seed % 2 else rng.standard_normal(rng.integers(1, 6, 2))
    up, down = tuple(int(v) for v in rng.integers(1, 5, 2)), tuple(int(v) for v in rng.integers(1, 5, 2))
    x = rng.standard_normal((int(rng.integers(1, 3)), int(rng.integers(1, 4)), *rng.integers(1, 6, 2)))
    kh, kw = (fir.size,) * 2 if fir.ndim == 1 else fir.shape
    lo = (1 - x.shape[3] * up[1] + kw, 1 - x.shape[2] * up[0] + kh)    # the least total padding per axis
    pads = [int(rng.integers(-2, 4)) for _ in range(4)]
    pads[1] = max(pads[1], lo[0] - pads[0])
    pads[3] = max(pads[3], lo[1] - pads[2])
    return dict(x=x, fir=fir, up=up, down=down, padding=tuple(pads), gain=float(rng.uniform(0.5, 4)))


def test_random_configs_cover_the_cases():
    cfgs = [random_config(s) for s in range(N_CONFIGS)]
    assert {c["fir"].ndim for c in cfgs} == {1, 2}
    assert {u for c in cfgs for u in c["up"]} == {1, 2, 3, 4} == {d for c in cfgs for d in c["down"]}
    assert sum(min(c["padding"]) < 0 for c in cfgs) > 10 and sum(max(c["padding"]) > 0 for c in cfgs) > 10
    assert sum(c["x"].shape[1] > 1 for c in cfgs) > 10 and sum(c["x"].shape[0] > 1 for c in cfgs) > 10


@pytest.mark.parametrize("seed", range(N_CONFIGS))
def test_pytorch_path_equals_reference(seed):
    cfg = random_config(seed)
    expected = upfirdn2d_reference(**cfg)
    got = upfirdn2d(torch.from_numpy(cfg["x"]), torch.from_numpy(cfg["fir"]),
                    **{k: v for k, v in cfg.items() if k not in ("x", "fir")})
    assert got.shape == expected.shape
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("up,down", [(1, 1), (2, 1), (3, 2), (1, 3), (4, 4)])
def test_reference_equals_scipy_upfirdn_on_each_axis(up, down):
    """SciPy's 1-D upfirdn is the full convolution (pad k - 1 on both sides) of the zero-inserted input, which ends
    at its last sample: the reference has up - 1 more inserted zeros, i.e. possibly more outputs at the end."""
    rng = np.random.default_rng(up * 10 + down)
    x, fir = rng.standard_normal(7), rng.standard_normal(4)
    expected = upfirdn(fir, x, up, down)
    rows = upfirdn2d_reference(x[None, None, None, :], fir[None, :], (1, up), (1, down), padding=(3, 3, 0, 0))
    cols = upfirdn2d_reference(x[None, None, :, None], fir[:, None], (up, 1), (down, 1), padding=(0, 0, 3, 3))
    np.testing.assert_allclose(rows[0, 0, 0, :expected.size], expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(cols[0, 0, :expected.size, 0], expected, rtol=0, atol=1e-12)


def test_separable_filter_equals_its_outer_product():
    rng = np.random.default_rng(0)
    x, fir = rng.standard_normal((2, 3, 5, 6)), rng.standard_normal(4)
    args = dict(up=2, down=1, padding=(1, 2, 2, 1), gain=4.0)
    np.testing.assert_allclose(upfirdn2d_reference(x, fir, **args), upfirdn2d_reference(x, np.outer(fir, fir), **args),
                               rtol=0, atol=1e-12)


def test_every_channel_is_filtered_alone():
    x = torch.zeros(1, 3, 4, 4, dtype=torch.float64)
    x[0, 1, 2, 2] = 1.0
    y = upfirdn2d(x, torch.tensor([1.0, 2.0, 1.0], dtype=torch.float64), padding=1)
    assert y[0, 0].abs().max() == 0 and y[0, 2].abs().max() == 0
    np.testing.assert_allclose(y[0, 1, 1:4, 1:4].numpy(), np.outer([1, 2, 1], [1, 2, 1]))


@pytest.mark.parametrize("fir,flat", [((1, 3, 3, 1), True), ((1, 1), True), ((1, 2, 1), True), ((1, 3), False),
                                      ((1, 2, 3, 4), False)])
def test_constant_stays_constant_iff_polyphase_sums_are_equal(fir, flat):
    """x2 zero insertion + f maps a constant to a constant (interior) iff f[0] + f[2] + ... == f[1] + f[3] + ..."""
    f = np.asarray(fir, dtype=np.float64) / np.sum(fir)
    y = upfirdn2d_reference(np.ones((1, 1, 8, 8)), f, up=2, gain=4.0, padding=len(fir) - 1)[0, 0, 6:-6, 6:-6]
    assert (np.ptp(y) < 1e-12) == flat
    if flat:
        np.testing.assert_allclose(y, 1.0, rtol=0, atol=1e-12)      # gain 4 restores the mean


@pytest.mark.parametrize("length,order,expected", [(2, 1, [1, 1]), (2, 2, [1, 2, 1]), (3, 2, [1, 2, 3, 2, 1]),
                                                   (2, 3, [1, 3, 3, 1])])
def test_box_fir(length, order, expected):
    np.testing.assert_array_equal(box_fir(length, order), expected)


def test_float32_path_matches_float64_reference():
    rng = np.random.default_rng(1)
    x, fir = rng.standard_normal((2, 4, 6, 5)), rng.standard_normal(4)
    got = upfirdn2d(torch.from_numpy(x).float(), torch.from_numpy(fir).float(), up=2, down=1, padding=1, gain=4.0)
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), upfirdn2d_reference(x, fir, up=2, padding=1, gain=4.0), rtol=0, atol=1e-5)


def test_channels_last_gives_the_same_result():
    x = torch.randn(2, 5, 6, 7)
    fir = torch.tensor([1.0, 3.0, 3.0, 1.0]) / 8
    expected = upfirdn2d(x, fir, up=2, padding=(1, 2, 1, 2), gain=4.0)
    got = upfirdn2d(x.to(memory_format=torch.channels_last), fir, up=2, padding=(1, 2, 1, 2), gain=4.0)
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("kwargs,match", [
    (dict(up=0), "up must be >= 1"), (dict(down=(1, 0)), "down must be >= 1"),
    (dict(padding=(1, 1)), "padding must be an int or \\(left, right, top, bottom\\)"),
    (dict(padding=-3), "smaller than the filter"),
])
def test_bad_arguments_are_named(kwargs, match):
    x, fir = torch.zeros(1, 1, 3, 3), torch.ones(3)
    for op in (upfirdn2d, upfirdn2d_reference):
        with pytest.raises(ValueError, match=match):
            op(x, fir, **kwargs)


def test_bad_filter_is_named():
    with pytest.raises(ValueError, match="fir must be a non-empty 1-D"):
        upfirdn2d(torch.zeros(1, 1, 3, 3), torch.ones(2, 2, 2))
    with pytest.raises(ValueError, match="order must be an int >= 1"):
        box_fir(2, 0)
