"""The GAN recipe options (issue 17): the default recipe reproduces the numbers of the code before them; every option
is refused in one line before compute; spectral normalisation, discriminator steps, the EMA generator (averaged,
recalibrated, evaluated) and DiffAugment do what their papers say."""
from __future__ import annotations

import json

import pytest
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate

from conftest import column, read_metrics
from hydra_files import save_hydra_files
from upsamplelab.app.bad_input import explain
from upsamplelab.eval import evaluate
from upsamplelab.lightning.diffaugment import AUGMENTATIONS, DiffAugment, cutout, translation
from upsamplelab.lightning.ema import RECALIBRATION_BATCH_SIZE, RECALIBRATION_BATCHES, GeneratorEMA
from upsamplelab.models import DCGANDiscriminator, DCGANGenerator
from upsamplelab.train import train

GAN = ["model=dcgan", "data=digits", "model.generator.ngf=8", "model.discriminator.ndf=8", "upsampler=convT_k3"]
SHORT = ["trainer.log_every_n_steps=1", "trainer.limit_train_batches=6", "trainer.limit_val_batches=2",
         "trainer.max_epochs=1"]
FINAL = ["trainer.limit_test_batches=2", "metrics.final_samples=32"]


# metrics.csv of the tiny default-recipe run below, trained in float64 (``trainer.precision=64-true``) by the code
# before the recipe options existed (commit 0463a3d, with its one-line fix for sampling in float64: the latents of
# ``GANModule.sample`` cast to the module's dtype).  The code after them wrote the same file byte for byte here, but
# for KID, whose subsets have been half the smaller set below 2,000 images since (they were the whole set: issue 27).
BEFORE = {
    "train/d_loss": [1.4758243431474067, 1.3769954172148762, 1.287685279800661, 1.177303037629589, 1.1078591034359921,
                     1.1195633654724824],
    "train/g_loss": [0.6835690398191416, 0.68478929277586, 0.7181453241285347, 0.7506582768536805, 0.7765438810166365,
                     0.736346222465019],
    "train/d_real": [0.4922069530997667, 0.5453967573468322, 0.5719177975499896, 0.6227167606883798,
                     0.6559559518679479, 0.6822334343447738],
    "train/d_fake": [0.5094278470226785, 0.5098010048412175, 0.49069244700480064, 0.47625189777115307,
                     0.4652690175559823, 0.4858219861714714],
    "val/d_loss": [1.383859310024921],
    "val/g_loss": [0.6897671710521593],
    "val/fid": [1.2908307313919067],
    "val/stride_band_excess": [1.086919569436201],
    "val/spectral_distance": [5.454425565558114],
    "final/fid": [1.2908371686935425],
    "final/stride_peak_excess": [1.048316240310669],
    "test/d_loss": [1.383859310024921],
}
# float64 training leaves one source of difference between CPUs: the float32 random draws of the initial weights
# (N(0, 0.02)), whose last bit depends on the instruction set (one ulp, 6e-8 relative), and the float32 features of
# FID/KID and artifact metrics.  Unamplified in float64 (Adam's eps dwarfs float64 rounding of a zero gradient), they
# move these numbers by < 1e-6 relative; a change to the recipe moves them by > 1e-3.
PORTABLE = 1e-5


@pytest.mark.cross_path
@pytest.mark.slow
def test_default_recipe_reproduces_the_numbers_from_before_the_options(make_cfg, tmp_path):
    """Losses at every step, FID/KID (TinyFeatures), artifact metrics and the final evaluation of a 6-step run in
    float64, against the numbers of the code before the options."""
    train(make_cfg(*GAN, *SHORT, *FINAL, "trainer.precision=64-true"))
    rows = read_metrics(tmp_path)
    for key, values in BEFORE.items():
        assert column(rows, key) == pytest.approx(values, rel=PORTABLE), key
    record = json.loads((tmp_path / "fidelity.jsonl").read_text())
    assert "generator" not in record and "generator" not in json.loads((tmp_path / "final.json").read_text())


BAD_OPTIONS = {
    "model.loss=wasserstein": "model.loss must be one of ['hinge', 'lsgan', 'nonsaturating', 'wgan_gp'], got "
                              "'wasserstein'",
    "model.gp_weight=-1": "model.gp_weight must be a number >= 0, got -1",
    "model.d_steps_per_g_step=0": "model.d_steps_per_g_step must be an int >= 1, got 0",
    "model.ema=1.5": "model.ema must be null or a decay in (0, 1) such as 0.999, got 1.5",
    "model.ema_start=-1": "model.ema_start must be an int >= 0 (generator steps before averaging starts), got -1",
    "model.diffaugment=blur": "model.diffaugment must be null or a comma-separated list of distinct names from "
                              "['color', 'translation', 'cutout'] (e.g. \"color,translation,cutout\"), got 'blur'",
    "model.discriminator.spectral_norm=maybe": "model.discriminator.spectral_norm must be one of [true, false], "
                                               "got 'maybe'",
}


@pytest.mark.parametrize("override", sorted(BAD_OPTIONS))
def test_each_option_is_refused_in_one_line_naming_its_key(make_cfg, override):
    cfg = make_cfg(*GAN, override)
    with pytest.raises(InstantiationException) as err:
        instantiate(cfg.model)
    assert explain(err.value, cfg) == f"ValueError: {BAD_OPTIONS[override]}"


def test_a_bad_option_stops_the_run_before_any_data_or_training(make_cfg, tmp_path):
    with pytest.raises(InstantiationException):
        train(make_cfg(*GAN, *SHORT, "model.loss=hinge_sn"))
    assert not (tmp_path / "metrics.csv").exists() and not (tmp_path / "checkpoints").exists()


def test_spectral_norm_bounds_every_conv_of_d_and_replaces_its_batchnorm():
    torch.manual_seed(0)
    d = DCGANDiscriminator(ndf=8, spectral_norm=True)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in d.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in DCGANDiscriminator(ndf=8).modules())
    x = torch.randn(4, 1, 32, 32)
    for _ in range(60):                             # one power iteration per training forward
        d(x)
    convs = [m for m in d.net if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 4
    for conv in convs:                              # W / σ(W) has largest singular value 1
        sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2)
        assert sigma.item() == pytest.approx(1.0, abs=1e-3)
        raw = torch.linalg.matrix_norm(conv.parametrizations.weight.original.detach().flatten(1), ord=2)
        assert raw.item() != pytest.approx(1.0, abs=1e-2)


# --- EMA ----------------------------------------------------------------------------------------------------------

def tiny_generator(seed: int) -> DCGANGenerator:
    torch.manual_seed(seed)
    return DCGANGenerator("convT_k3", nz=8, ngf=4, image_size=16)


def test_ema_copies_g_before_ema_start_then_averages():
    g = tiny_generator(0)
    ema = GeneratorEMA(g, decay=0.9, start=2)
    params = lambda net: [p.detach().clone() for p in net.parameters()]  # noqa: E731
    for step in range(4):
        before = params(ema.module)
        with torch.no_grad():
            for p in g.parameters():
                p.add_(torch.randn_like(p))
        ema.update(g)
        for mine, old, theirs in zip(ema.module.parameters(), before, g.parameters()):
            expected = theirs if step < 2 else 0.9 * old + 0.1 * theirs      # θ̄ ← β θ̄ + (1 − β) θ
            torch.testing.assert_close(mine, expected.detach(), rtol=1e-6, atol=1e-7)
    assert ema.updates == 4 and ema.get_extra_state() == {"updates": 4}
    assert not any(p.requires_grad for p in ema.module.parameters())


def test_ema_recalibration_gives_the_batchnorm_statistics_of_fresh_noise():
    """The first BatchNorm sees ConvT(z): its running mean/var must be the average over the recalibration batches of
    the batch means / unbiased variances of ConvT(z), z drawn from the seed."""
    g = tiny_generator(1)
    ema = GeneratorEMA(g, decay=0.999)
    ema.module.eval()
    ema.recalibrate(seed=7, device=torch.device("cpu"))
    assert not ema.module.training
    rng = torch.Generator().manual_seed(7)
    with torch.no_grad():
        first = [ema.module.net[0](ema.module.sample_noise(RECALIBRATION_BATCH_SIZE, rng).view(-1, 8, 1, 1))
                 for _ in range(RECALIBRATION_BATCHES)]
    bn = ema.module.net[1]
    torch.testing.assert_close(bn.running_mean, torch.stack([f.mean((0, 2, 3)) for f in first]).mean(0))
    torch.testing.assert_close(bn.running_var,
                               torch.stack([f.var((0, 2, 3), unbiased=True) for f in first]).mean(0))
    assert bn.momentum == g.net[1].momentum == 0.1                      # restored
    before = bn.running_mean.clone()
    ema.recalibrate(seed=7, device=torch.device("cpu"))
    assert torch.equal(bn.running_mean, before)                         # a function of the weights and the seed


@pytest.mark.slow
def test_ema_generator_is_evaluated_checkpointed_and_recorded(make_cfg, tmp_path):
    """FID, grids, the final evaluation and ``eval`` draw from the EMA copy; its update count is checkpointed."""
    cfg = make_cfg(*GAN, *SHORT, *FINAL, "model.ema=0.9", "model.ema_start=2", "test_ckpt=last")
    train(cfg)
    val_fid = column(read_metrics(tmp_path), "val/fid")
    assert json.loads((tmp_path / "fidelity.jsonl").read_text())["generator"] == "ema"
    assert json.loads((tmp_path / "final.json").read_text())["generator"] == "ema"
    ckpt = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)
    state = ckpt["state_dict"]
    assert state["ema._extra_state"] == {"updates": 6}                 # one update per generator step
    assert not torch.equal(state["ema.module.net.0.weight"], state["generator.net.0.weight"])

    model = instantiate(cfg.model)
    model.load_state_dict(state)
    model.recalibrate_ema()
    model.eval()
    with torch.no_grad():
        z = model.generator.sample_noise(8, torch.Generator().manual_seed(model.noise_seed + 10_000))
        assert torch.equal(model.sample(8), model.ema.module(z))
        assert not torch.allclose(model.sample(8), model.generator(z))

    save_hydra_files(cfg, tmp_path)                                    # the run's config, as the CLI saves it
    metrics = evaluate(make_cfg(f"ckpt_path={tmp_path / 'checkpoints' / 'last.ckpt'}", config_name="eval"))
    assert metrics["val/fid"] == pytest.approx(val_fid[-1], rel=1e-6)  # the same recalibrated EMA generator


# --- discriminator steps, losses in training ---------------------------------------------------------------------

@pytest.mark.slow
def test_wgan_gp_trains_finite_for_an_epoch_with_two_critic_steps_per_generator_step(make_cfg, tmp_path):
    train(make_cfg(*GAN, "model.loss=wgan_gp", "model.d_steps_per_g_step=2", "trainer.max_epochs=1",
                   "trainer.log_every_n_steps=1", "test=false"))
    rows = read_metrics(tmp_path)
    d_loss, g_loss = column(rows, "train/d_loss"), column(rows, "train/g_loss")
    assert len(d_loss) == 23 and len(set(g_loss)) == 11                # 1,500 images / 64: every other batch
    assert g_loss[::2] == g_loss[1::2]                 # a D-only batch's row repeats the last generator step's
    assert all(torch.isfinite(torch.tensor(d_loss + g_loss + column(rows, "val/fid"))))
    ckpt = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)
    g_steps, d_steps = (int(s["state"][0]["step"]) for s in ckpt["optimizer_states"])
    assert (d_steps, g_steps, ckpt["global_step"]) == (23, 11, 34)


@pytest.mark.slow
@pytest.mark.parametrize("recipe", [["model.loss=hinge", "model.discriminator.spectral_norm=true"],
                                    ["model.loss=lsgan"]], ids=["hinge-sn", "lsgan"])
def test_other_losses_train_finite(make_cfg, tmp_path, recipe):
    train(make_cfg(*GAN, *SHORT, *recipe, "test=false"))
    rows = read_metrics(tmp_path)
    values = column(rows, "train/d_loss") + column(rows, "train/g_loss") + column(rows, "val/fid")
    assert len(values) == 13 and all(torch.isfinite(torch.tensor(values)))
    state = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    assert ("discriminator.net.0.parametrizations.weight.original" in state) == ("hinge" in recipe[0])


# --- DiffAugment --------------------------------------------------------------------------------------------------

def images(n: int = 16, channels: int = 1, size: int = 16) -> torch.Tensor:
    return torch.rand(n, channels, size, size, generator=torch.Generator().manual_seed(3)) * 1.8 - 0.9


def test_color_shifts_brightness_and_scales_contrast_of_grey_images():
    """Grey images have no saturation: out = m' + c (x - m') with m' = mean(x) + b, so out - mean(out) =
    c (x - mean(x)), c in [0.5, 1.5], and mean(out) - mean(x) = b in [-0.5, 0.5]."""
    x = images()
    torch.manual_seed(0)
    out = AUGMENTATIONS["color"](x)
    dx, dout = x - x.mean((1, 2, 3), keepdim=True), out - out.mean((1, 2, 3), keepdim=True)
    c = (dout * dx).sum((1, 2, 3)) / (dx * dx).sum((1, 2, 3))
    torch.testing.assert_close(dout, c.view(-1, 1, 1, 1) * dx, atol=1e-5, rtol=1e-5)
    b = out.mean((1, 2, 3)) - x.mean((1, 2, 3))
    assert ((c >= 0.5) & (c <= 1.5)).all() and ((b >= -0.5) & (b <= 0.5)).all()
    assert c.std() > 0.1 and b.std() > 0.1                              # each image its own parameters


def test_color_saturation_keeps_each_pixels_channel_mean_structure():
    """After brightness and contrast (the same for every channel) saturation scales x - mean over channels by
    s in [0, 2]: the deviation from the channel mean stays proportional to the input's, per image."""
    x = images(channels=3)
    torch.manual_seed(1)
    out = AUGMENTATIONS["color"](x)
    dx, dout = x - x.mean(1, keepdim=True), out - out.mean(1, keepdim=True)
    k = (dout * dx).sum((1, 2, 3)) / (dx * dx).sum((1, 2, 3))               # = c * s
    torch.testing.assert_close(dout, k.view(-1, 1, 1, 1) * dx, atol=1e-5, rtol=1e-5)
    assert ((k >= 0) & (k <= 3.0)).all()


def test_translation_shifts_each_image_by_at_most_an_eighth_padding_zeros():
    x = images(n=64, size=16) + 2.0                                     # no zero inside the images
    torch.manual_seed(2)
    out = translation(x)
    padded = torch.nn.functional.pad(x, [2, 2, 2, 2])                  # 16 / 8 = 2 pixels
    shifts = []
    for i in range(len(x)):
        found = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                 if torch.equal(out[i], padded[i, :, 2 + dy:18 + dy, 2 + dx:18 + dx])]
        assert len(found) == 1, i
        shifts.append(found[0])
    assert len(set(shifts)) > 10                                        # of the 25 shifts, per image


def test_cutout_zeroes_one_square_of_half_the_size():
    x = images(n=64, size=16) + 2.0
    torch.manual_seed(3)
    out = cutout(x)
    for i in range(len(x)):
        zero = out[i, 0] == 0
        rows, cols = zero.any(1).nonzero().flatten(), zero.any(0).nonzero().flatten()
        assert zero.sum() == len(rows) * len(cols)                      # one axis-aligned rectangle
        assert 1 <= len(rows) <= 8 and 1 <= len(cols) <= 8             # 8 x 8, cut at the borders
        assert torch.equal(out[i][:, ~zero], x[i][:, ~zero])
    full = sum(int((out[i, 0] == 0).sum()) == 64 for i in range(len(x)))
    assert full > 10


def test_diffaugment_is_differentiable():
    """Autograd's gradient equals finite differences, with the random parameters fixed by reseeding."""
    augment = DiffAugment("color,translation,cutout")

    def fixed(x: torch.Tensor) -> torch.Tensor:
        torch.manual_seed(4)
        return augment(x)

    assert torch.autograd.gradcheck(fixed, images(n=3, channels=3, size=8).double().requires_grad_())


def test_diffaugment_is_seeded_and_follows_its_policy():
    x = images(channels=3)
    draws = []
    for seed in (5, 5, 6):
        torch.manual_seed(seed)
        draws.append(DiffAugment("color,translation,cutout")(x))
    assert torch.equal(draws[0], draws[1]) and not torch.equal(draws[0], draws[2])
    torch.manual_seed(5)
    as_list = DiffAugment(["color", "translation", "cutout"])(x)
    assert torch.equal(as_list, draws[0])
    torch.manual_seed(5)
    expected = cutout(translation(AUGMENTATIONS["color"](x)))
    assert torch.equal(draws[0], expected)


def test_discriminator_sees_augmented_reals_and_fakes_and_g_learns_through_it(make_cfg):
    model = instantiate(make_cfg(*GAN, "model.diffaugment=[cutout]").model)
    seen = []
    model.discriminator.register_forward_hook(lambda module, inputs, output: seen.append(inputs[0]))
    real = images(n=8, size=32)
    torch.manual_seed(0)
    _, fake, _ = model._losses(real, model.generator.sample_noise(8))
    g_loss, _ = model.generator_loss(fake)
    assert len(seen) == 3                                                # reals, detached fakes, fakes for G
    for image, shown in zip((real, fake, fake), seen):
        zeroed = (shown == 0) & (image != 0)
        assert zeroed.flatten(1).any(1).all()                           # every image has its cut-out square
    g_loss.backward()
    assert all(p.grad is not None for p in model.generator.parameters())


# --- recipes ------------------------------------------------------------------------------------------------------

RECIPES = {"default": {"loss": "nonsaturating", "ema": None, "diffaugment": None, "spectral_norm": False},
           "hinge_sn": {"loss": "hinge", "ema": None, "diffaugment": None, "spectral_norm": True},
           "ns_ema_diffaugment": {"loss": "nonsaturating", "ema": 0.995, "diffaugment": "color,translation,cutout",
                                  "spectral_norm": False}}


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_a_recipe_sets_the_model_keys_it_names(make_cfg, recipe):
    model = make_cfg(*GAN, f"recipe={recipe}").model
    assert {"loss": model.loss, "ema": model.ema, "diffaugment": model.diffaugment,
            "spectral_norm": model.discriminator.spectral_norm} == RECIPES[recipe]


def test_the_recipes_experiment_sweeps_two_recipes_over_three_upsamplers_and_seeds(make_cfg):
    cfg = make_cfg("experiment=odena_checkerboard_recipes")
    params = cfg.hydra.sweeper.params
    assert params.recipe.split(",") == ["hinge_sn", "ns_ema_diffaugment"]
    assert params.upsampler.split(",") == ["convT_k3", "convT_k4", "resize_conv_nearest"]
    assert params.seed == "0,1,2" and cfg.data._target_.endswith("FashionMNISTDataModule")
    v1 = make_cfg("experiment=odena_checkerboard")                      # the default recipe's runs: same settings
    for key in ("data", "metrics", "trainer"):
        assert cfg[key] == v1[key], key
    assert cfg.model.generator == v1.model.generator and cfg.model.discriminator.ndf == v1.model.discriminator.ndf
