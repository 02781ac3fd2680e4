"""Every model x every upsampler: shapes, gradients, parameters, and that an upsampler's own init survives."""
from __future__ import annotations

import pytest
import torch

from upsamplelab.models import FCN, ConvAutoencoder, DCGANDiscriminator, DCGANGenerator, UNet
from upsamplelab.nn import Upsampler, list_upsamplers, upsampler_info
from upsamplelab.ops import bilinear_kernel

NAMES = list_upsamplers()
# the DCGAN, the autoencoder's decoder and the U-Net's decoder halve the channels at every upsampling stage
HALVING = [name for name in NAMES if upsampler_info(name).supports_channels(16, 8)]


def assert_trains(model: torch.nn.Module, x: torch.Tensor, expected_shape: tuple) -> None:
    y = model(x)
    assert y.shape == expected_shape
    y.float().square().mean().backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(p.numel() for p in model.parameters()) > 0


@pytest.mark.parametrize("name", HALVING)
@pytest.mark.parametrize("image_size,channels", [(32, 1), (64, 3)])
def test_dcgan(name, image_size, channels):
    ngf = 8 if upsampler_info(name).supports_channels(8, channels) else 6       # 6: the last stage sums pairs
    g = DCGANGenerator(name, nz=8, ngf=ngf, image_size=image_size, channels=channels)
    d = DCGANDiscriminator(ndf=8, image_size=image_size, channels=channels)
    assert_trains(g, torch.randn(2, 8), (2, channels, image_size, image_size))
    fake = g(torch.randn(3, 8, 1, 1))
    assert fake.abs().max() <= 1.0                                       # Tanh
    assert_trains(d, fake.detach(), (3,))
    ups = [m for m in g.modules() if isinstance(m, Upsampler)]
    assert len(ups) == {32: 3, 64: 4}[image_size]
    assert ups[-1].out_channels == channels


@pytest.mark.parametrize("name", HALVING)
def test_unet(name):
    assert_trains(UNet(name, in_channels=3, num_classes=4, depth=3, base_width=4),
                  torch.randn(2, 3, 16, 24), (2, 4, 16, 24))


@pytest.mark.parametrize("name", NAMES)
def test_fcn(name):
    if upsampler_info(name).scales == (2,):
        with pytest.raises(ValueError, match=f"'{name}' supports scale_factor in \\[2\\], got 8"):
            FCN(name, in_channels=3, num_classes=4, depth=3, base_width=4)
        assert_trains(FCN(name, in_channels=3, num_classes=4, depth=1, base_width=4),
                      torch.randn(2, 3, 16, 16), (2, 4, 16, 16))
        return
    assert_trains(FCN(name, in_channels=3, num_classes=4, depth=3, base_width=4),
                  torch.randn(2, 3, 32, 32), (2, 4, 32, 32))


@pytest.mark.parametrize("name", HALVING)
@pytest.mark.parametrize("size", [28, 32])
def test_autoencoder(name, size):
    assert_trains(ConvAutoencoder(name, channels=1, widths=[8, 16], latent_channels=4),
                  torch.randn(2, 1, size, size), (2, 1, size, size))


@pytest.mark.parametrize("name", list_upsamplers(channels="in_multiple_of_out"))
def test_models_refuse_channel_pairs_the_upsampler_cannot_map(name):
    """Bilinear additive upsampling needs in_channels a multiple of out_channels: an RGB DCGAN with ngf 64 or an RGB
    autoencoder with widths [32, 64] is refused when built, naming the upsampler and the channels; every U-Net
    decoder stage (C -> C/2) and the FCN head (classes -> classes) fit."""
    refused = f"upsampler '{name}' needs in_channels to be a multiple of out_channels .*got in_channels=%d, " \
              "out_channels=3$"
    with pytest.raises(ValueError, match=refused % 64):
        DCGANGenerator(name, ngf=64, channels=3)
    with pytest.raises(ValueError, match=refused % 32):
        ConvAutoencoder(name, channels=3)
    assert_trains(UNet(name, in_channels=3, num_classes=3, depth=2, base_width=6), torch.randn(2, 3, 8, 8),
                  (2, 3, 8, 8))
    assert_trains(FCN(name, in_channels=3, num_classes=3, depth=1, base_width=4), torch.randn(2, 3, 8, 8),
                  (2, 3, 8, 8))


@pytest.mark.parametrize("name", list_upsamplers(channels="equal"))
def test_models_that_halve_channels_refuse_an_upsampler_that_keeps_them(name):
    """An upsampler that maps channel i to channel i (FCN's fixed bilinear head) cannot halve channels: the DCGAN,
    the autoencoder and the U-Net are refused when built, naming the upsampler and the first stage's channels; the
    FCN head (classes -> classes) fits."""
    refused = f"^upsampler '{name}' needs in_channels == out_channels .*got in_channels=%d, out_channels=%d$"
    with pytest.raises(ValueError, match=refused % (32, 16)):
        DCGANGenerator(name, ngf=8, channels=3)
    with pytest.raises(ValueError, match=refused % (16, 8)):
        ConvAutoencoder(name, channels=1, widths=[8, 16], latent_channels=4)
    with pytest.raises(ValueError, match=refused % (32, 16)):
        UNet(name, in_channels=3, num_classes=4, depth=3, base_width=4)
    assert_trains(FCN(name, in_channels=3, num_classes=4, depth=3, base_width=4), torch.randn(2, 3, 32, 32),
                  (2, 4, 32, 32))


def test_fcn_fixed_bilinear_head_is_the_learnable_head_at_init_without_parameters():
    """With the same encoder weights, FCN with ``bilinear_fixed`` computes what FCN with ``bilinear_convT`` computes
    at initialisation; its head has no parameter and puts nothing in a checkpoint."""
    fixed = FCN("bilinear_fixed", in_channels=3, num_classes=5, depth=3, base_width=4)
    learnable = FCN("bilinear_convT", in_channels=3, num_classes=5, depth=3, base_width=4)
    missing, unexpected = fixed.load_state_dict(learnable.state_dict(), strict=False)
    assert not missing and unexpected == ["up.conv.weight", "up.conv.bias"]
    assert not list(fixed.up.parameters()) and not any(k.startswith("up.") for k in fixed.state_dict())
    x = torch.randn(2, 3, 16, 16)
    torch.testing.assert_close(fixed(x), learnable(x))


def test_dcgan_init_is_normal_002():
    g = DCGANGenerator("convT_k4", ngf=64)
    w = g.net[0].weight
    assert abs(w.std().item() - 0.02) < 0.002 and abs(w.mean().item()) < 0.002
    up = [m for m in g.modules() if isinstance(m, Upsampler)][0]
    assert abs(up.conv.weight.std().item() - 0.02) < 0.002
    bn = g.net[1]
    assert abs(bn.weight.mean().item() - 1.0) < 0.01 and bn.bias.abs().max() == 0


def test_icnr_init_survives_dcgan_construction():
    g = DCGANGenerator("pixel_shuffle_icnr", ngf=16)
    for up in (m for m in g.modules() if isinstance(m, Upsampler)):
        w = up.conv.weight
        for k in range(1, 4):
            torch.testing.assert_close(w[k::4], w[0::4])                  # r^2 equal sub-kernels
        assert 0.015 < w.std().item() < 0.025                             # drawn from DCGAN's N(0, 0.02)


def test_bilinear_init_survives_dcgan_construction():
    g = DCGANGenerator("bilinear_convT", ngf=16)
    for up in (m for m in g.modules() if isinstance(m, Upsampler)):
        torch.testing.assert_close(up.conv.weight, bilinear_kernel(up.in_channels, up.out_channels, 4))


def test_fcn32s_head_is_bilinear_at_init():
    fcn = FCN("bilinear_convT", in_channels=3, num_classes=5, depth=5, base_width=4)
    assert fcn.up.conv.kernel_size == (64, 64) and fcn.up.conv.stride == (32, 32)
    torch.testing.assert_close(fcn.up.conv.weight, bilinear_kernel(5, 5, 64))


@pytest.mark.parametrize("size", [24, 48, 33, 2])
def test_dcgan_bad_image_size_is_named(size):
    with pytest.raises(ValueError, match=f"image_size must be 4 \\* 2\\*\\*k.*got {size}"):
        DCGANGenerator(image_size=size)


def test_unknown_upsampler_name_in_a_model():
    with pytest.raises(ValueError, match="unknown upsampler 'nope'"):
        UNet("nope")
