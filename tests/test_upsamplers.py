"""Every registered upsampler, tested for free by parametrising over ``list_upsamplers()``."""
from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from omegaconf import OmegaConf

from upsamplelab.models import DCGANGenerator
from upsamplelab.nn import (
    FixedBilinearUpsampler,
    PixelShuffleUpsampler,
    TransposedConvUpsampler,
    build_upsampler,
    list_upsamplers,
    register_upsampler,
    upsampler_info,
)
from upsamplelab.nn import transposed_conv
from upsamplelab.ops import (
    bilinear_additive_reference,
    bilinear_kernel,
    bilinear_resize_reference,
    carafe_reassembly_reference,
    conv_transpose2d_scatter,
    pixel_shuffle_reference,
    upfirdn2d,
    upfirdn2d_reference,
)
from upsamplelab.ops.zero_insertion import correlate2d

NAMES = list_upsamplers()
CONVT_FIXED = ["convT_k3", "convT_k4", "convT_k2"]
PARAMETER_FREE = list_upsamplers(tag="parameter_free")


def test_registry_has_the_documented_names():
    assert set(NAMES) == {"convT_k3", "convT_k4", "convT_k2", "resize_conv_nearest", "resize_conv_bilinear",
                          "pixel_shuffle", "pixel_shuffle_icnr", "bilinear_convT", "convT_k3_fir", "convT_k3_zoh",
                          "pixel_shuffle_blur", "carafe", "dysample", "bilinear_additive", "convT_k4_bau_residual",
                          "bilinear_fixed"}


def fitting(name: str, in_channels: int, out_channels: int) -> tuple[int, int]:
    """(in_channels, out_channels) when the upsampler takes them; else the nearest pair its channel rule takes: for
    "in_multiple_of_out" the smallest multiple >= 2 * out_channels that is >= in_channels (a real group sum), for
    "equal" out_channels both ways."""
    if upsampler_info(name).supports_channels(in_channels, out_channels):
        return in_channels, out_channels
    if upsampler_info(name).channels == "equal":
        return out_channels, out_channels
    return out_channels * max(2, -(-in_channels // out_channels)), out_channels


@pytest.mark.parametrize("name", NAMES)
def test_maps_16_to_8_channels_at_x2(name):
    c_in, c_out = fitting(name, 16, 8)
    assert build_upsampler(name, c_in, c_out)(torch.randn(2, c_in, 8, 8)).shape == (2, c_out, 16, 16)


REFUSED_PAIR = {"in_multiple_of_out": r"to be a multiple of out_channels \(.*\)", "equal": r"== out_channels \(.*\)"}


@pytest.mark.parametrize("name", NAMES)
def test_channel_pairs_are_refused_iff_the_registry_says(name):
    """3 -> 5 channels: refused, naming the upsampler and both counts, exactly by the upsamplers whose registry
    ``channels`` rule is not "any" (bilinear additive upsampling sums groups of in/out channels: 10 -> 5 fits it;
    the fixed bilinear head maps channel i to i: 5 -> 5 fits it); the module class refuses the pair too."""
    rule = upsampler_info(name).channels
    assert upsampler_info(name).supports_channels(3, 5) is (rule == "any")
    assert upsampler_info(name).supports_channels(*{"in_multiple_of_out": (10, 5), "equal": (5, 5)}.get(rule, (3, 5)))
    if rule == "any":
        return
    with pytest.raises(ValueError, match=f"^upsampler '{name}' needs in_channels {REFUSED_PAIR[rule]}, "
                                         "got in_channels=3, out_channels=5$"):
        build_upsampler(name, 3, 5)
    module_class = type(build_upsampler(name, *fitting(name, 3, 5)))
    with pytest.raises(ValueError, match=f"needs in_channels {REFUSED_PAIR[rule]}, got in_channels=3, "
                                         "out_channels=5"):
        module_class(3, 5)


def test_a_registration_names_a_known_channel_rule():
    with pytest.raises(ValueError, match=r"channels of upsampler 'x' must be one of \['any', 'in_multiple_of_out', "
                                         r"'equal'\], got 'same'"):
        register_upsampler("x", operation="", paper="", checkerboard_free_at_init=True, channels="same")(None)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scale", [2, 4])
def test_shape_is_exactly_scaled(name, scale):
    if scale not in (upsampler_info(name).scales or (scale,)):
        with pytest.raises(ValueError, match="scale_factor"):
            build_upsampler(name, 3, 5, scale)
        return
    c_in, c_out = fitting(name, 3, 5)
    up = build_upsampler(name, c_in, c_out, scale)
    for h, w in [(1, 1), (4, 4), (5, 7)]:
        x = torch.randn(2, c_in, h, w, requires_grad=True)
        y = up(x)
        assert y.shape == (2, c_out, scale * h, scale * w)
        y.square().mean().backward()
        assert x.grad is not None and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("name", NAMES)
def test_parameters_are_trainable_unless_parameter_free(name):
    params = list(build_upsampler(name, *fitting(name, 4, 8)).parameters())
    assert (not params) if name in PARAMETER_FREE else (params and all(p.requires_grad for p in params))


@pytest.mark.parametrize("name,count", [
    ("convT_k3", 296), ("resize_conv_nearest", 296), ("resize_conv_bilinear", 296),   # 4*8*9 + 8
    ("pixel_shuffle", 1184), ("pixel_shuffle_icnr", 1184),                           # 4*32*9 + 32
    ("convT_k4", 520), ("bilinear_convT", 520), ("convT_k2", 136),
    ("convT_k3_fir", 296), ("convT_k3_zoh", 296), ("pixel_shuffle_blur", 1184),     # the fixed filters are buffers
    ("carafe", 58060),              # compressor 4*64 + 64, encoder 64*(4*25)*9 + 100, projection 4*8 + 8
    ("dysample", 80),               # offsets 4*(2*4) + 8, projection 4*8 + 8
])
def test_parameter_counts_4_to_8(name, count):
    assert sum(p.numel() for p in build_upsampler(name, 4, 8).parameters()) == count


@pytest.mark.parametrize("name,in_channels,out_channels,count", [
    ("bilinear_additive", 8, 4, 0), ("convT_k4_bau_residual", 8, 4, 8 * 4 * 16 + 4),
    ("bilinear_fixed", 8, 8, 0),    # the kernel is a buffer
])
def test_parameter_counts_where_the_channels_are_constrained(name, in_channels, out_channels, count):
    assert sum(p.numel() for p in build_upsampler(name, in_channels, out_channels).parameters()) == count


README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_upsampler_table_has_every_upsampler_with_its_measured_parameter_count():
    """Each registered name has one row in the README's table, whose "params, 64→64 ch" cell is
    ``sum(p.numel() for p in build_upsampler(name, 64, 64).parameters())``."""
    section = README.read_text().split("\n## Upsamplers\n")[1].split("\n## ")[0]
    rows = re.findall(r"^\| `(\w+)` \| .*? \| ([\d,]+) \| ", section, re.M)
    counts = {name: int(count.replace(",", "")) for name, count in rows}
    assert sorted(counts) == sorted(NAMES) and len(rows) == len(NAMES)
    for name in NAMES:
        assert counts[name] == sum(p.numel() for p in build_upsampler(name, 64, 64).parameters()), name


@pytest.mark.parametrize("name", NAMES)
def test_checkerboard_free_at_init_is_what_the_registry_says(name):
    """Constant input -> is the initial output constant away from the border?  Must match the registry flag."""
    torch.manual_seed(0)
    up = build_upsampler(name, 4, 4)
    with torch.no_grad():
        y = up(torch.ones(1, 4, 8, 8))[..., 4:-4, 4:-4]
    spread = (y.amax(dim=(-2, -1)) - y.amin(dim=(-2, -1))).max().item()
    assert (spread < 1e-5) == upsampler_info(name).checkerboard_free_at_init, spread


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_icnr_output_is_constant_in_every_block(scale):
    up = build_upsampler("pixel_shuffle_icnr", 3, 2, scale)
    with torch.no_grad():
        y = up(torch.randn(2, 3, 5, 6))
    blocks = y.unfold(2, scale, scale).unfold(3, scale, scale)          # (N, C, H, W, r, r)
    assert (blocks - blocks[..., :1, :1]).abs().max() < 1e-6
    plain = build_upsampler("pixel_shuffle", 3, 2, scale)(torch.randn(2, 3, 5, 6)).detach()
    plain_blocks = plain.unfold(2, scale, scale).unfold(3, scale, scale)
    assert (plain_blocks - plain_blocks[..., :1, :1]).abs().max() > 1e-2


def test_icnr_survives_a_model_init_scheme():
    up = build_upsampler("pixel_shuffle_icnr", 3, 2)
    up.reset_parameters(lambda w: torch.nn.init.normal_(w, 0.0, 0.02))
    assert 0.01 < up.conv.weight.std() < 0.03
    torch.testing.assert_close(up.conv.weight[0::4], up.conv.weight[3::4])


@pytest.mark.parametrize("scale", [2, 4])
def test_bilinear_convT_equals_bilinear_resize_at_init(scale):
    up = build_upsampler("bilinear_convT", 3, 3, scale)
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        y = up(x)
    ref = F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)
    torch.testing.assert_close(y[..., scale:-scale, scale:-scale], ref[..., scale:-scale, scale:-scale])


def test_bilinear_convT_keeps_bilinear_under_a_model_init_scheme():
    up = build_upsampler("bilinear_convT", 3, 3)
    up.reset_parameters(lambda w: torch.nn.init.normal_(w, 0.0, 0.02))
    torch.testing.assert_close(up.conv.weight, bilinear_kernel(3, 3, 4))


@pytest.mark.parametrize("name", CONVT_FIXED)
def test_fixed_kernel_convT_only_for_x2(name):
    with pytest.raises(ValueError, match="scale_factor in \\[2\\]"):
        build_upsampler(name, 2, 2, scale_factor=3)


def test_bilinear_convT_needs_even_scale():
    with pytest.raises(ValueError, match=r"bilinear_convT' supports scale_factor in even factors .*got 3"):
        build_upsampler("bilinear_convT", 2, 2, scale_factor=3)
    with pytest.raises(ValueError, match=r"scale_factor must be even \(padding r/2\), got 3"):
        FixedBilinearUpsampler(2, 2, scale_factor=3)
    assert "bilinear_convT" not in list_upsamplers(scale_factor=3)
    assert "bilinear_convT" in list_upsamplers(scale_factor=4) and "bilinear_convT" in list_upsamplers(scale_factor=6)


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown upsampler 'deconv'.*convT_k3.*pixel_shuffle_icnr"):
        build_upsampler("deconv", 2, 2)


def test_convT_that_does_not_double_is_refused():
    with pytest.raises(ValueError, match="kernel_size \\+ output_padding - 2\\*padding == scale_factor"):
        build_upsampler("convT_k3", 2, 2, output_padding=0)
    with pytest.raises(ValueError, match="output_padding must be smaller"):
        TransposedConvUpsampler(2, 2, 2, kernel_size=6, padding=3, output_padding=2)


@pytest.mark.parametrize("bad", [dict(in_channels=0), dict(out_channels=-1), dict(in_channels=2.5)])
def test_bad_channels_are_named(bad):
    kwargs = dict(in_channels=2, out_channels=2) | bad
    with pytest.raises(ValueError, match=next(iter(bad))):
        PixelShuffleUpsampler(**kwargs)


def test_bad_init_lists_choices():
    with pytest.raises(ValueError, match="init must be one of \\['default', 'icnr'\\]"):
        PixelShuffleUpsampler(2, 2, init="bilinear")


def test_checkerboard_warning_logged_once(caplog, monkeypatch):
    monkeypatch.setattr(transposed_conv, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="upsamplelab.nn.transposed_conv"):
        for _ in range(3):
            build_upsampler("convT_k3", 4, 4)
        build_upsampler("convT_k4", 4, 4)
        build_upsampler("resize_conv_nearest", 4, 4)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and "K=3 S=2 is checkerboard-prone" in messages[0]


def test_overrides_reach_the_module():
    up = build_upsampler("resize_conv_nearest", 2, 3, bias=False, kernel_size=5)
    assert up.conv.bias is None and up.conv.kernel_size == (5, 5)


# --- claims that hold for every registered upsampler -------------------------------------------------------------

def randomize_(module: torch.nn.Module, nonnegative: bool, seed: int = 0) -> torch.nn.Module:
    """Every learned parameter drawn anew (|N(0, 1)| / 2 or N(0, 1) / 2); fixed buffers untouched."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            draw = torch.randn(p.shape, generator=gen, dtype=p.dtype) / 2
            p.copy_(draw.abs() if nonnegative else draw)
    return module


def scales_of(name: str) -> list[int]:
    return [s for s in (2, 4) if upsampler_info(name).supports(s)]


NAME_SCALES = [(name, scale) for name in NAMES for scale in scales_of(name)]


@pytest.mark.parametrize("name,scale", NAME_SCALES)
@pytest.mark.parametrize("nonnegative", [True, False], ids=["nonnegative", "signed"])
def test_checkerboard_free_for_any_weights_iff_tagged(name, scale, nonnegative):
    """Random weights, constant input: the interior is constant exactly for the upsamplers tagged so (the fixed
    filters, the content-aware ones, resize-conv); convT_k3/k4/k2, pixel_shuffle(_icnr) and bilinear_convT show
    the stride pattern once their weights are not the initial ones."""
    up = randomize_(build_upsampler(name, 4, 4, scale).double(), nonnegative)
    with torch.no_grad():
        y = up(torch.ones(1, 4, 10, 10, dtype=torch.float64))[..., 3 * scale:-3 * scale, 3 * scale:-3 * scale]
    spread = (y.amax(dim=(-2, -1)) - y.amin(dim=(-2, -1))).max().item()
    assert (spread < 1e-10) == ("checkerboard_free_any_weights" in upsampler_info(name).tags), spread


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_zero_order_hold_is_checkerboard_free_for_every_order_and_scale(order, scale):
    up = randomize_(build_upsampler("convT_k3_zoh", 3, 3, scale, order=order).double(), nonnegative=True)
    with torch.no_grad():
        y = up(torch.ones(1, 3, 10, 10, dtype=torch.float64))
    assert y.shape == (1, 3, 10 * scale, 10 * scale)
    interior = y[..., 3 * scale:-3 * scale, 3 * scale:-3 * scale]
    assert (interior.amax(dim=(-2, -1)) - interior.amin(dim=(-2, -1))).max() < 1e-10


@pytest.mark.parametrize("name", NAMES)
def test_channels_last_computes_the_same_function(name):
    torch.manual_seed(0)
    c_in, c_out = fitting(name, 4, 6)
    up = randomize_(build_upsampler(name, c_in, c_out), nonnegative=False)
    x = torch.randn(2, c_in, 6, 5)
    outputs, grads = [], []
    for fmt in (torch.contiguous_format, torch.channels_last):
        xi = x.clone().to(memory_format=fmt).requires_grad_(True)
        y = up.to(memory_format=fmt)(xi)
        y.square().sum().backward()
        outputs.append(y.detach())
        grads.append(xi.grad)
    torch.testing.assert_close(outputs[1], outputs[0], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(grads[1], grads[0], rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("name", NAMES)
def test_registry_family_is_the_modules(name):
    info = upsampler_info(name)
    assert build_upsampler(name, 2, 2, scales_of(name)[0]).family == info.family != ""


def test_list_upsamplers_filters():
    assert list_upsamplers(checkerboard_free=True) == [n for n in NAMES if upsampler_info(n).checkerboard_free_at_init]
    assert set(list_upsamplers(checkerboard_free=False)) == {"convT_k3", "convT_k4", "convT_k2", "pixel_shuffle",
                                                             "convT_k4_bau_residual"}
    assert list_upsamplers(family="transposed_conv") == ["convT_k3", "convT_k4", "convT_k2", "bilinear_convT"]
    assert list_upsamplers(tag="content_aware") == ["carafe", "dysample"]
    assert set(list_upsamplers(tag="fixed_filter")) == {"convT_k3_fir", "convT_k3_zoh", "pixel_shuffle_blur"}
    assert PARAMETER_FREE == ["bilinear_additive", "bilinear_fixed"]
    assert list_upsamplers(scale_factor=4) == [n for n in NAMES
                                               if n not in CONVT_FIXED + ["convT_k3_fir", "convT_k4_bau_residual"]]
    assert list_upsamplers(scale_factor=3) == [n for n in list_upsamplers(scale_factor=4)
                                               if n not in ("bilinear_convT", "bilinear_fixed")]
    assert list_upsamplers(checkerboard_free=True, tag="content_aware", scale_factor=2) == ["carafe", "dysample"]
    assert list_upsamplers(channels="in_multiple_of_out") == ["bilinear_additive", "convT_k4_bau_residual"]
    assert list_upsamplers(channels="equal") == ["bilinear_fixed"]


@pytest.mark.parametrize("kwargs,match", [(dict(family="deconv"), "family must be one of \\[.*'carafe'"),
                                          (dict(tag="fast"), "tag must be one of \\[.*'content_aware'"),
                                          (dict(channels="same"), "channels must be one of \\[.*'equal'")])
def test_list_upsamplers_names_the_allowed_filters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        list_upsamplers(**kwargs)


# --- the filtered, content-aware upsamplers against NumPy references ----------------------------------------------

def arr(t: torch.Tensor) -> np.ndarray:
    return t.detach().double().numpy()


def conv_ref(x: np.ndarray, conv: torch.nn.Conv2d) -> np.ndarray:
    """A stride-1, zero-padded Conv2d with bias, by the NumPy correlation of ``upsamplelab.ops``."""
    p = conv.padding[0]
    y = correlate2d(np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))), arr(conv.weight))
    return y + arr(conv.bias)[None, :, None, None]


def project_ref(up, y: np.ndarray) -> np.ndarray:
    return y if up.project is None else conv_ref(y, up.project)


def filtered_convT_ref(up, x: np.ndarray) -> np.ndarray:
    y = conv_transpose2d_scatter(x, arr(up.conv.weight), stride=up.scale_factor)
    y = upfirdn2d_reference(y, arr(up.fir), padding=up.padding, gain=up.gain)
    return y + arr(up.bias)[None, :, None, None]


def blurred_pixel_shuffle_ref(up, x: np.ndarray) -> np.ndarray:
    edge = up.scale_factor - 1
    y = pixel_shuffle_reference(conv_ref(x, up.conv), up.scale_factor)
    return upfirdn2d_reference(np.pad(y, ((0, 0), (0, 0), (edge, edge), (edge, edge)), mode="edge"), arr(up.blur),
                               gain=up.gain)


def carafe_ref(up, x: np.ndarray) -> np.ndarray:
    logits = pixel_shuffle_reference(conv_ref(conv_ref(x, up.compressor), up.encoder), up.scale_factor)
    kernels = np.exp(logits - logits.max(axis=1, keepdims=True))
    kernels /= kernels.sum(axis=1, keepdims=True)
    return project_ref(up, carafe_reassembly_reference(x, kernels, up.scale_factor))


def bilinear_sample(image: np.ndarray, py: np.ndarray, px: np.ndarray) -> np.ndarray:
    """image (C, H, W) at real positions (py, px), each clamped to the image (border padding)."""
    h, w = image.shape[1:]
    py, px = np.clip(py, 0, h - 1), np.clip(px, 0, w - 1)
    y0, x0 = np.floor(py).astype(int), np.floor(px).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    wy, wx = py - y0, px - x0
    return (image[:, y0, x0] * (1 - wy) * (1 - wx) + image[:, y0, x1] * (1 - wy) * wx
            + image[:, y1, x0] * wy * (1 - wx) + image[:, y1, x1] * wy * wx)


def dysample_ref(up, x: np.ndarray) -> np.ndarray:
    """Offsets by the 1x1 conv (x 0.25 or x 0.5 sigmoid(scope)), pixel shuffle, bilinear reads at
    ((i' + 0.5) / s - 0.5 + dy, (j' + 0.5) / s - 0.5 + dx)."""
    s, g = up.scale_factor, up.groups
    n, c, h, w = x.shape
    offset = conv_ref(x, up.offset)
    offset = offset * (0.25 if up.scope is None else 0.5 / (1 + np.exp(-conv_ref(x, up.scope))))
    offset = pixel_shuffle_reference(offset, s).reshape(n, 2, g, s * h, s * w)
    rows, cols = np.meshgrid((np.arange(s * h) + 0.5) / s - 0.5, (np.arange(s * w) + 0.5) / s - 0.5, indexing="ij")
    out = np.zeros((n, c, s * h, s * w))
    for i in range(n):
        for k in range(g):
            chans = slice(k * c // g, (k + 1) * c // g)
            out[i, chans] = bilinear_sample(x[i, chans], rows + offset[i, 1, k], cols + offset[i, 0, k])
    return project_ref(up, out)


def bilinear_additive_ref(up, x: np.ndarray) -> np.ndarray:
    return bilinear_additive_reference(x, up.out_channels, up.scale_factor)


def bilinear_additive_residual_ref(up, x: np.ndarray) -> np.ndarray:
    """The K4/S2/P1 transposed conv by scatter-add, plus its bias, plus bilinear additive upsampling of x."""
    convT = conv_transpose2d_scatter(x, arr(up.conv.weight), stride=2, padding=1)
    return convT + arr(up.conv.bias)[None, :, None, None] + bilinear_additive_ref(up, x)


def fixed_bilinear_ref(up, x: np.ndarray) -> np.ndarray:
    """FCN's bilinear kernel (K = 2r) on the channel diagonal, painted by scatter-add with stride r, cropped r/2."""
    r = up.scale_factor
    kernel = bilinear_kernel(up.in_channels, up.out_channels, 2 * r).double().numpy()
    return conv_transpose2d_scatter(x, kernel, stride=r, padding=r // 2)


REFERENCES = {"convT_k3_fir": filtered_convT_ref, "convT_k3_zoh": filtered_convT_ref,
              "pixel_shuffle_blur": blurred_pixel_shuffle_ref, "carafe": carafe_ref, "dysample": dysample_ref,
              "bilinear_additive": bilinear_additive_ref, "convT_k4_bau_residual": bilinear_additive_residual_ref,
              "bilinear_fixed": fixed_bilinear_ref}
REFERENCE_CASES = [(name, scale, {}) for name in REFERENCES for scale in scales_of(name)] + [
    ("convT_k3_zoh", 3, dict(order=2)), ("carafe", 2, dict(k_up=3, compressed_channels=8)),
    ("dysample", 2, dict(groups=2, dynamic_scope=True)), ("bilinear_additive", 3, {}), ("bilinear_fixed", 8, {}),
]


def test_every_upsampler_beyond_a_torch_layer_has_a_reference():
    """The filtered, content-aware and parameter-free upsamplers and the residual form are held to NumPy."""
    assert set(REFERENCES) == set(list_upsamplers(tag="fixed_filter") + list_upsamplers(tag="content_aware")
                                  + PARAMETER_FREE + ["convT_k4_bau_residual"])


@pytest.mark.parametrize("name,scale,overrides", REFERENCE_CASES, ids=str)
def test_float64_module_equals_numpy_reference(name, scale, overrides):
    c_in, c_out = fitting(name, 4, 6)
    up = randomize_(build_upsampler(name, c_in, c_out, scale, **overrides).double(), nonnegative=False)
    x = torch.randn(2, c_in, 5, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        got = up(x).numpy()
    expected = REFERENCES[name](up, x.numpy())
    assert got.shape == expected.shape == (2, c_out, 5 * scale, 6 * scale)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", list(REFERENCES))
def test_float32_module_matches_float64_reference(name):
    c_in, c_out = fitting(name, 4, 6)
    up = randomize_(build_upsampler(name, c_in, c_out), nonnegative=False)
    x = torch.randn(2, c_in, 5, 6, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        got = up(x)
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), REFERENCES[name](up, x.double().numpy()), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("name", list_upsamplers(tag="fixed_filter") + ["bilinear_fixed"])
def test_fixed_filters_are_buffers_a_model_init_does_not_touch(name):
    up = build_upsampler(name, 3, 3)
    (buffer_name, fixed), = up.named_buffers()
    before = fixed.clone()
    up.reset_parameters(lambda w: torch.nn.init.normal_(w, 0.0, 0.02))
    torch.testing.assert_close(fixed, before, rtol=0, atol=0)
    assert buffer_name not in up.state_dict()
    assert all(p is not fixed for p in up.parameters())


def test_convT_k3_fir_uses_the_stylegan2_filter():
    up = build_upsampler("convT_k3_fir", 2, 2)
    torch.testing.assert_close(up.fir, torch.tensor([1.0, 3.0, 3.0, 1.0]))
    assert up.gain == 4 / 64 and up.padding == (1, 1, 1, 1)
    assert up.conv.stride == (2, 2) and up.conv.padding == (0, 0) and up.conv.bias is None


def test_convT_k3_fir_is_filtered_interpolation_then_convolution():
    """Convolutions commute: convT(w, S=2) then f == the fixed interpolation upfirdn2d(x, f, up=2), f = [1, 3, 3, 1]
    / 8 with gain 4, then a 3x3 convolution with w flipped; borders included when the interpolation is padded by
    (3, 2), i.e. one more cell each side than StyleGAN2's same-size upsample2d (2, 1) gives the convolution."""
    up = randomize_(build_upsampler("convT_k3_fir", 3, 2, bias=False).double(), nonnegative=False)
    x = torch.randn(1, 3, 6, 6, dtype=torch.float64)
    interpolated = upfirdn2d(x, up.fir / 8, up=2, gain=4.0, padding=(3, 2, 3, 2))
    conv = F.conv2d(interpolated, up.conv.weight.transpose(0, 1).flip(2, 3))
    torch.testing.assert_close(up(x), conv, rtol=0, atol=1e-12)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_zero_order_hold_is_nearest_resize_then_convolution(scale):
    """Order 1 computes resize_conv_nearest (kernel flipped), borders included."""
    up = randomize_(build_upsampler("convT_k3_zoh", 3, 2, scale).double(), nonnegative=False)
    x = torch.randn(1, 3, 5, 5, dtype=torch.float64)
    resize_conv = build_upsampler("resize_conv_nearest", 3, 2, scale).double()
    resize_conv.load_state_dict({"conv.weight": up.conv.weight.transpose(0, 1).flip(2, 3), "conv.bias": up.bias})
    torch.testing.assert_close(up(x), resize_conv(x), rtol=0, atol=1e-12)


def test_pixel_shuffle_blur_is_icnr_then_121_blur():
    up = build_upsampler("pixel_shuffle_blur", 3, 2)
    torch.testing.assert_close(up.blur, torch.tensor([1.0, 2.0, 1.0]))
    plain = PixelShuffleUpsampler(3, 2, init="icnr")
    plain.load_state_dict(up.state_dict())
    x = torch.randn(1, 3, 6, 6)
    blur = torch.outer(up.blur, up.blur) / 16
    blurred = F.conv2d(F.pad(plain(x), (1, 1, 1, 1), mode="replicate"), blur.expand(2, 1, 3, 3), groups=2)
    torch.testing.assert_close(up(x), blurred)


@pytest.mark.parametrize("scale", [2, 3, 4])
@pytest.mark.parametrize("dynamic_scope", [False, True])
def test_dysample_is_bilinear_upsampling_at_init(scale, dynamic_scope):
    up = build_upsampler("dysample", 3, 3, scale, dynamic_scope=dynamic_scope).double()
    up.reset_parameters(lambda w: torch.nn.init.normal_(w, 0.0, 0.02))        # a model's init keeps it
    x = torch.randn(2, 3, 5, 7, dtype=torch.float64)
    expected = F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)
    torch.testing.assert_close(up(x), expected, rtol=0, atol=1e-12)


def test_carafe_kernels_are_normalised_and_start_nearly_uniform():
    up = build_upsampler("carafe", 8, 8)
    up.reset_parameters(lambda w: torch.nn.init.normal_(w, 0.0, 0.02))
    with torch.no_grad():
        kernels = up.kernels(torch.randn(2, 8, 6, 6))
    assert kernels.shape == (2, 25, 12, 12)
    torch.testing.assert_close(kernels.sum(dim=1), torch.ones(2, 12, 12))
    assert (kernels * 25 - 1).abs().max() < 0.05
    assert 5e-4 < up.encoder.weight.std() < 2e-3


@pytest.mark.parametrize("name,kwargs,match", [
    ("convT_k3_zoh", dict(order=0), "order must be an int >= 1"),
    ("convT_k3_fir", dict(fir=[]), "fir must be a non-empty 1-D"),
    ("carafe", dict(k_up=4), "k_up must be odd"),
    ("carafe", dict(compressed_channels=0), "compressed_channels must be an int >= 1"),
    ("dysample", dict(groups=3), "groups must divide in_channels=4"),
    ("dysample", dict(dynamic_scope="yes"), "dynamic_scope must be a bool"),
])
def test_bad_overrides_are_named(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_upsampler(name, 4, 4, **kwargs)


# --- Wojna et al.'s bilinear additive upsampling and FCN's fixed bilinear head -----------------------------------

@pytest.mark.parametrize("scale", [2, 3])
def test_bilinear_additive_with_groups_of_one_is_bilinear_resize(scale):
    x = torch.randn(2, 3, 5, 7, dtype=torch.float64)
    expected = F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)
    torch.testing.assert_close(build_upsampler("bilinear_additive", 3, 3, scale)(x), expected, rtol=0, atol=1e-12)


def test_bilinear_additive_sums_consecutive_channel_groups():
    """Channel k of the input holds the constant k: output channel j is the sum over its group of 3, everywhere."""
    x = torch.arange(6, dtype=torch.float64).view(1, 6, 1, 1).expand(2, 6, 4, 5)
    y = build_upsampler("bilinear_additive", 6, 2)(x)
    torch.testing.assert_close(y, torch.tensor([0.0 + 1 + 2, 3.0 + 4 + 5], dtype=torch.float64)
                               .view(1, 2, 1, 1).expand(2, 2, 8, 10), rtol=0, atol=0)


def test_bau_residual_is_convT_k4_plus_bilinear_additive():
    torch.manual_seed(0)
    residual = build_upsampler("convT_k4_bau_residual", 8, 4).double()
    convT = build_upsampler("convT_k4", 8, 4).double()
    convT.load_state_dict(residual.state_dict())
    x = torch.randn(2, 8, 5, 6, dtype=torch.float64)
    expected = convT(x) + build_upsampler("bilinear_additive", 8, 4)(x)
    torch.testing.assert_close(residual(x), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("channels,scale", [(4, 2), (3, 8), (1, 4)])
def test_bilinear_fixed_is_bilinear_convT_at_init_without_parameters(channels, scale):
    """The same function as the learnable head at initialisation, but no parameter to learn; its interior is bilinear
    resizing (the NumPy reference)."""
    fixed = build_upsampler("bilinear_fixed", channels, channels, scale).double()
    learnable = build_upsampler("bilinear_convT", channels, channels, scale).double()
    x = torch.randn(2, channels, 6, 5, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(fixed(x), learnable(x), rtol=0, atol=1e-12)
    assert not list(fixed.parameters()) and list(learnable.parameters())
    interior = (..., slice(scale, -scale), slice(scale, -scale))
    np.testing.assert_allclose(fixed(x)[interior].numpy(), bilinear_resize_reference(x, scale)[interior],
                               rtol=0, atol=1e-12)


# --- the experiments' grids name registered upsamplers ------------------------------------------------------------

EXPERIMENT_DIR = Path(__file__).resolve().parents[1] / "configs" / "experiment"


def swept_upsamplers(experiment: str) -> list[str]:
    upsamplers = OmegaConf.select(OmegaConf.load(EXPERIMENT_DIR / f"{experiment}.yaml"),
                                  "hydra.sweeper.params.upsampler")
    return str(upsamplers).split(",") if upsamplers else []


@pytest.mark.parametrize("experiment", sorted(p.stem for p in EXPERIMENT_DIR.glob("*.yaml")))
def test_experiment_grids_name_registered_upsamplers(experiment):
    names = swept_upsamplers(experiment)
    assert len(set(names)) == len(names) and set(names) <= set(NAMES)


def test_extended_odena_grid_adds_the_fixed_filters_that_fit_a_generator():
    extended = swept_upsamplers("odena_checkerboard_extended")
    assert extended == swept_upsamplers("odena_checkerboard") + ["convT_k3_fir", "convT_k3_zoh", "pixel_shuffle_blur"]
    assert set(list_upsamplers(tag="fixed_filter")) <= set(extended)
    for name in extended:
        assert DCGANGenerator(name, nz=4, ngf=4)(torch.randn(2, 4)).shape == (2, 1, 32, 32)


def test_decoder_comparisons_include_the_content_aware_upsamplers():
    for experiment in ("compare_upsamplers_unet", "compare_fcn_heads"):
        assert set(list_upsamplers(tag="content_aware")) <= set(swept_upsamplers(experiment))
    assert {"bilinear_additive", "convT_k4_bau_residual"} <= set(swept_upsamplers("compare_upsamplers_unet"))
    assert {"bilinear_convT", "bilinear_fixed"} <= set(swept_upsamplers("compare_fcn_heads"))
