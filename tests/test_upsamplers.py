"""Every registered upsampler, tested for free by parametrising over ``list_upsamplers()``."""
from __future__ import annotations

import logging

import pytest
import torch
import torch.nn.functional as F

from upsamplelab.nn import (
    PixelShuffleUpsampler,
    TransposedConvUpsampler,
    build_upsampler,
    list_upsamplers,
    upsampler_info,
)
from upsamplelab.nn import transposed_conv
from upsamplelab.ops import bilinear_kernel

NAMES = list_upsamplers()
CONVT_FIXED = ["convT_k3", "convT_k4", "convT_k2"]


def test_registry_has_the_documented_names():
    assert set(NAMES) == {"convT_k3", "convT_k4", "convT_k2", "resize_conv_nearest", "resize_conv_bilinear",
                          "pixel_shuffle", "pixel_shuffle_icnr", "bilinear_convT"}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scale", [2, 4])
def test_shape_is_exactly_scaled(name, scale):
    if scale not in (upsampler_info(name).scales or (scale,)):
        with pytest.raises(ValueError, match="scale_factor"):
            build_upsampler(name, 3, 5, scale)
        return
    up = build_upsampler(name, 3, 5, scale)
    for h, w in [(1, 1), (4, 4), (5, 7)]:
        x = torch.randn(2, 3, h, w, requires_grad=True)
        y = up(x)
        assert y.shape == (2, 5, scale * h, scale * w)
        y.square().mean().backward()
        assert x.grad is not None and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("name", NAMES)
def test_parameters_are_trainable(name):
    params = list(build_upsampler(name, 4, 8).parameters())
    assert params and all(p.requires_grad for p in params)


@pytest.mark.parametrize("name,count", [
    ("convT_k3", 296), ("resize_conv_nearest", 296), ("resize_conv_bilinear", 296),   # 4*8*9 + 8
    ("pixel_shuffle", 1184), ("pixel_shuffle_icnr", 1184),                           # 4*32*9 + 32
    ("convT_k4", 520), ("bilinear_convT", 520), ("convT_k2", 136),
])
def test_parameter_counts_4_to_8(name, count):
    assert sum(p.numel() for p in build_upsampler(name, 4, 8).parameters()) == count


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
    with pytest.raises(ValueError, match="even scale_factor"):
        build_upsampler("bilinear_convT", 2, 2, scale_factor=3)


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
