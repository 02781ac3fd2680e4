"""Artifact metrics hold their documented values: phase energy (Odena et al. 2016), radial power spectra and the
log-spectrum distance (Durall et al. 2020), and the at-init diagnostic built on them."""
from __future__ import annotations

import json
import math

import matplotlib.image as mpimg
import pytest
import torch
import torch.nn.functional as F

from upsamplelab.analysis.at_init import at_init_scores, main
from upsamplelab.metrics import phase_contrast, phase_energy, radial_power_spectrum, spectral_distance
from upsamplelab.nn import list_upsamplers, upsampler_info
from upsamplelab.ops import overlap_map

LOW, HIGH = 0.02, 0.5


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def power_law_field(n: int, size: int, seed: int = 0) -> torch.Tensor:
    """Random (n, 1, size, size) images with the 1/f amplitude spectrum of natural images."""
    f = torch.fft.fftfreq(size)
    radius = torch.sqrt(f[:, None] ** 2 + f[None, :] ** 2).clamp_min(1 / size)
    return torch.fft.ifft2(torch.fft.fft2(torch.randn(n, 1, size, size, generator=gen(seed))) / radius).real


def gaussian_smooth(x: torch.Tensor, sigma: float = 3.0) -> torch.Tensor:
    t = torch.arange(-3 * int(sigma), 3 * int(sigma) + 1, dtype=x.dtype)
    g = torch.exp(-t ** 2 / (2 * sigma ** 2))
    g = (g / g.sum()).view(1, 1, -1)
    x = F.conv2d(x, g.view(1, 1, -1, 1))
    return F.conv2d(x, g.view(1, 1, 1, -1))


def smooth_positive(n: int = 4, size: int = 32, seed: int = 0) -> torch.Tensor:
    """Smooth random images with values in [1, 2]."""
    x = gaussian_smooth(torch.randn(n, 1, size + 18, size + 18, generator=gen(seed)))
    lo, hi = x.amin(dim=(1, 2, 3), keepdim=True), x.amax(dim=(1, 2, 3), keepdim=True)
    return 1 + (x - lo) / (hi - lo)


def k3s2_overlap(size: int) -> torch.Tensor:
    """The interior 1-2-4 overlap counts of a K3/S2 transposed conv, size x size."""
    return torch.from_numpy(overlap_map(3, 2, size)[1:size + 1, 1:size + 1]).float()


def yx(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.meshgrid(torch.arange(size, dtype=torch.float64), torch.arange(size, dtype=torch.float64),
                          indexing="ij")


CLEAN_IMAGES = {
    "constant": lambda: torch.full((2, 3, 32, 32), 0.7),
    "gradient": lambda: (lambda y, x: 0.3 * y + 0.1 * x + 0.002 * x * y)(*yx(32)).expand(2, 3, 32, 32),
    "bilinear_x2": lambda: F.interpolate(torch.rand(8, 3, 16, 16, generator=gen()), scale_factor=2, mode="bilinear",
                                         align_corners=False),
    "natural_1_over_f": lambda: power_law_field(16, 64),
    "smoothed_field": lambda: gaussian_smooth(torch.randn(8, 1, 82, 82, generator=gen())),
}


@pytest.mark.parametrize("name", list(CLEAN_IMAGES))
def test_phase_energy_is_low_without_a_stride_pattern(name):
    scores = phase_energy(CLEAN_IMAGES[name]())
    assert scores.max() < LOW, scores


def test_phase_energy_of_a_constant_image_is_zero():
    assert phase_energy(torch.full((1, 1, 16, 16), 3.0)).item() == 0.0


def test_phase_energy_is_high_under_the_k3s2_overlap_pattern():
    scores = phase_energy(smooth_positive() * k3s2_overlap(32))
    assert scores.min() > 0.95, scores


def test_phase_energy_follows_the_period():
    pattern = torch.rand(3, 3, generator=gen(1)).repeat(11, 11) + 1                # 33 x 33, period 3
    image = smooth_positive(size=33) * pattern
    assert phase_energy(image, period=3).min() > HIGH
    assert phase_energy(image, period=2).max() < LOW


def test_phase_energy_shape_and_range():
    checkered = (smooth_positive(3, 24) * k3s2_overlap(24))[..., :20, :].expand(3, 2, 20, 24)
    images = torch.cat([torch.randn(3, 2, 20, 24, generator=gen()), checkered])
    for period in (1, 2, 3, 4):
        scores = phase_energy(images, period=period)
        assert scores.shape == (6,) and scores.dtype == torch.float32
        assert ((scores >= 0) & (scores <= 1)).all()
    assert (phase_energy(images, period=1) == 0).all()             # one phase: nothing between phases


@pytest.mark.parametrize("scale, offset", [(3.0, 0.0), (1e-3, 5.0), (-2.0, 1.0), (255.0, -128.0)])
def test_phase_energy_ignores_brightness_offset_and_scale(scale, offset):
    images = torch.cat([smooth_positive() * k3s2_overlap(32), power_law_field(4, 32)]).double()
    torch.testing.assert_close(phase_energy(scale * images + offset), phase_energy(images), atol=1e-6, rtol=1e-5)


def test_phase_energy_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        phase_energy(torch.zeros(8, 8))
    with pytest.raises(ValueError, match="no full period"):
        phase_energy(torch.zeros(1, 1, 5, 5), border=2)


def test_phase_contrast_of_the_k3s2_pattern_is_exact():
    pattern = k3s2_overlap(32)[None, None]                       # phase means 1, 2, 2, 4
    assert phase_contrast(pattern, border=0).item() == pytest.approx(math.sqrt(19) / 10, rel=1e-6)
    assert phase_contrast(3.5 * pattern, border=0).item() == pytest.approx(math.sqrt(19) / 10, rel=1e-6)


def test_phase_contrast_is_zero_without_a_stride_pattern():
    assert phase_contrast(torch.full((2, 3, 16, 16), 0.7)).abs().max() < 1e-7
    up = F.interpolate(torch.rand(4, 1, 16, 16, generator=gen()) + 1, scale_factor=2, mode="nearest")
    assert phase_contrast(up).max() < 0.05                       # nearest x2: the 4 phases are equal copies
    assert phase_contrast(up * (1 + 0.3 * (k3s2_overlap(32) - 2.25))).min() > 0.2


@pytest.fixture(scope="module")
def at_init():
    """{seed: at_init_scores(all, seed)} for three seeds."""
    return {seed: at_init_scores(seed=seed) for seed in range(3)}


@pytest.mark.parametrize("seed", range(3))
def test_at_init_phase_contrast_ranks_the_checkerboards(seed):
    """The amplitude ranks what phase energy (a share) cannot: K3/S2 >> K4/S2 > resize-conv ~ 0 (Odena et al.)."""
    contrast = at_init_scores(["convT_k3", "convT_k4", "resize_conv_nearest"], seed=seed, score="phase_contrast")
    for net in ("stack", "generator"):
        k3, k4, nearest = (contrast[name][net] for name in ("convT_k3", "convT_k4", "resize_conv_nearest"))
        assert k3 > 2 * k4 > 0 and k4 > 10 * nearest and nearest < 1e-3, contrast


@pytest.mark.parametrize("name", list_upsamplers())
def test_at_init_stack_separates_checkerboard_prone_from_free(at_init, name):
    """Ones through three x2 stacks with |w|: the free ones give a constant interior (< 0.01), the others a
    stride-periodic one (> 0.8), as the registry's ``checkerboard_free_at_init`` claims.  Not asserted: K3 > K4;
    both interiors are purely periodic, and the share-based score puts K4 (0.95 - 0.997) above K3 (0.87 - 0.96)."""
    stack = [at_init[seed][name]["stack"] for seed in at_init]
    if upsampler_info(name).checkerboard_free_at_init:
        assert max(stack) < 0.01, stack
    else:
        assert min(stack) > 0.8, stack


def test_at_init_generator_shows_the_checkerboard(at_init):
    for scores in at_init.values():
        assert all(scores[name]["generator"] > HIGH for name in ("convT_k3", "convT_k4", "convT_k2", "pixel_shuffle"))
        assert all(scores[name]["generator"] < 0.01
                   for name in ("bilinear_convT", "resize_conv_bilinear", "pixel_shuffle_icnr"))


def test_at_init_command_writes_figure_and_scores(tmp_path, capsys):
    out = main(["--out", str(tmp_path), "--upsamplers", "convT_k3", "resize_conv_nearest"])
    assert out == tmp_path / "at_init_artifacts.png"
    assert mpimg.imread(out).shape[1] > 300
    saved = json.loads((tmp_path / "at_init_scores.json").read_text())["phase_energy"]
    assert saved == at_init_scores(["convT_k3", "resize_conv_nearest"])
    printed = capsys.readouterr().out
    assert str(out.resolve()) in printed and "convT_k3" in printed


def test_an_upsampler_that_keeps_its_channels_has_a_stack_and_no_generator(tmp_path, capsys):
    """FCN's fixed bilinear head cannot halve channels: its stack runs 1 -> 1 -> 1 -> 1, the DCGAN generator is left
    out (no score, a dash in the table, a note in its panel) and the others are unaffected."""
    scores = at_init_scores(["bilinear_fixed", "convT_k3"])
    assert set(scores["bilinear_fixed"]) == {"stack"} and set(scores["convT_k3"]) == {"stack", "generator"}
    assert scores["convT_k3"] == at_init_scores(["convT_k3"])["convT_k3"]
    main(["--out", str(tmp_path), "--upsamplers", "bilinear_fixed", "convT_k3"])
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("bilinear_fixed"))
    assert row.split()[1:] == [f"{scores['bilinear_fixed']['stack']:.4f}", "-"]


def ring_size(h: int, w: int, k: int) -> int:
    """How many integer frequencies (u, v) of an h x w FFT have round(|(u, v)|) == k, counted by brute force."""
    us = [u if u < (h + 1) // 2 else u - h for u in range(h)]
    vs = [v if v < (w + 1) // 2 else v - w for v in range(w)]
    return sum(round(math.hypot(u, v)) == k for u in us for v in vs)


def test_radial_spectrum_shape_and_cosine_peak():
    y, x = yx(48)
    waves = torch.stack([torch.cos(2 * math.pi * 10 * x[:32] / 48),                 # 10 cycles along x -> bin 10
                         torch.cos(2 * math.pi * (3 * y[:32] / 32 + 4 * x[:32] / 48))])   # (3, 4) -> bin 5
    spectrum = radial_power_spectrum(waves[:, None].expand(2, 3, 32, 48))
    assert spectrum.shape == (2, 17) and spectrum.dtype == torch.float64
    assert spectrum.argmax(dim=1).tolist() == [10, 5]


def test_radial_spectrum_parseval():
    """P = |FFT|^2 / (H W), so sum_k S(k) * |ring k| equals the energy of the mean-removed image."""
    y, x = yx(32)
    image = 2 + 3 * torch.cos(2 * math.pi * 4 * x / 32) + torch.sin(2 * math.pi * (2 * y + 5 * x) / 32)
    spectrum = radial_power_spectrum(image[None, None])[0]
    energy = (image - image.mean()).square().sum()
    rings = {4: ring_size(32, 32, 4), 5: ring_size(32, 32, 5)}
    torch.testing.assert_close(sum(spectrum[k] * n for k, n in rings.items()), energy)
    assert spectrum[[k for k in range(17) if k not in rings]].abs().max() < 1e-20


def test_radial_spectrum_of_white_noise_is_flat_at_the_pixel_variance():
    noise = 2.0 * torch.randn(64, 1, 32, 32, generator=gen())
    spectrum = radial_power_spectrum(noise).mean(0)
    assert spectrum[0] < 1e-20
    torch.testing.assert_close(spectrum[1:], torch.full((16,), 4.0, dtype=torch.float64), rtol=0.25, atol=0)


def test_spectral_distance():
    smooth_a, smooth_b = (gaussian_smooth(torch.randn(16, 1, 44, 44, generator=gen(s)), 2.0) for s in (1, 2))
    noise = torch.randn(16, 1, 32, 32, generator=gen(3))
    assert spectral_distance(smooth_a, smooth_a) == 0
    assert spectral_distance(smooth_a, noise) == spectral_distance(noise, smooth_a)
    assert spectral_distance(smooth_a, noise) > 10 * spectral_distance(smooth_a, smooth_b)
    torch.testing.assert_close(spectral_distance(2 * noise + 1, noise).item(), math.log10(4))
    with pytest.raises(ValueError, match="differ in shape"):
        spectral_distance(noise, noise[..., :16])
