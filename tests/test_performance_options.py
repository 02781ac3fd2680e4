"""The performance options users set (issue 6): memory format, torch.compile, precision, FID sample counts, logging
frequency; each checked for what it must not change (results) and for what it must do."""
from __future__ import annotations

import json
from functools import partial

import pytest
import torch

from conftest import column, read_metrics
from upsamplelab.lightning.performance import CHANNELS_LAST_FASTER, resolve_channels_last
from upsamplelab.models import FCN, ConvAutoencoder
from upsamplelab.nn import list_upsamplers, upsampler_info
from upsamplelab.train import train

AE = ["model=autoencoder", "data=digits", "model.net.widths=[8,16]", "data.batch_size=32", "test=false",
      "trainer.limit_train_batches=6", "trainer.limit_val_batches=2", "trainer.max_epochs=2"]
GAN = ["model=dcgan", "data=digits", "model.generator.ngf=8", "model.discriminator.ndf=8", "test=false",
       "trainer.limit_train_batches=3", "trainer.limit_val_batches=1", "trainer.max_epochs=1"]


def last_value(run_dir, key: str) -> float:
    return column(read_metrics(run_dir), key)[-1]


FACTOR_2_UPSAMPLERS = list_upsamplers(scale_factor=2)


def assert_channels_last_computes_the_same_function(name: str, device: str = "cpu") -> None:
    """Outputs and every gradient of a decoder built from the upsampler agree between NCHW and channels_last.

    The tolerance is relative to the largest gradient: CPU float32 BatchNorm (and conv) in channels_last round
    10-25x more than in NCHW, and a BatchNorm after a smoothing upsampler (CARAFE, DySample: a low-variance input)
    amplifies that rounding; in float64 the two formats agree to 1e-12 for every registered upsampler."""
    torch.manual_seed(0)
    if upsampler_info(name).supports_channels(16, 8):
        widths = [8, 16] if upsampler_info(name).supports_channels(8, 3) else [6, 12]    # bilinear additive: 6 -> 3
        build = partial(ConvAutoencoder, name, channels=3, widths=widths)
    else:                           # channel i to channel i (FCN's fixed head): the FCN whose head it is
        build = partial(FCN, name, in_channels=3, num_classes=3, depth=1, base_width=4)
    nchw, cl = build().to(device), build().to(device)
    cl.load_state_dict(nchw.state_dict())
    cl = cl.to(memory_format=torch.channels_last)
    x = torch.randn(4, 3, 16, 16, device=device)
    outs = [net(inp).square().mean() for net, inp in ((nchw, x), (cl, x.contiguous(memory_format=torch.channels_last)))]
    for out in outs:
        out.backward()
    assert outs[1].item() == pytest.approx(outs[0].item(), rel=1e-5)
    scale = max(p.grad.abs().max().item() for p in nchw.parameters())
    for (key, p), q in zip(nchw.named_parameters(), cl.parameters()):
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-4, atol=1e-3 * scale, msg=key)


@pytest.mark.cross_path
@pytest.mark.parametrize("name", FACTOR_2_UPSAMPLERS)
def test_channels_last_computes_the_same_function(name):
    assert_channels_last_computes_the_same_function(name)


def test_auto_memory_format_follows_the_measurement():
    for family, faster in CHANNELS_LAST_FASTER["cpu"].items():
        assert resolve_channels_last("auto", "cpu", {family}) is faster
    assert resolve_channels_last("auto", "cuda", {"transposed_conv"}) is False      # not measured: NCHW
    assert resolve_channels_last("auto", "cpu", set()) is False                      # no upsampler
    assert resolve_channels_last(True, "cuda", set()) and not resolve_channels_last(False, "cpu", {"resize_conv"})


@pytest.mark.cross_path
def test_training_in_channels_last_matches_nchw(make_cfg, tmp_path):
    """Same seed, same data: the two memory formats train to the same weights and validation PSNR.  In float64:
    in float32, the rounding noise of a bias's exactly-zero gradient (a bias right before a BatchNorm) exceeds
    Adam's eps, so each format's rounding becomes steps of +-lr that differ between formats and CPUs; in float64
    it stays far below eps, and what is left is float64 rounding (measured 1e-9 after 12 steps)."""
    psnr, weights = {}, {}
    for fmt in ("true", "false"):
        run = tmp_path / fmt
        cfg = make_cfg(*AE, "upsampler=resize_conv_nearest", f"model.channels_last={fmt}", "trainer.precision=64-true",
                       run_dir=run)
        train(cfg)
        psnr[fmt] = last_value(run, "val/psnr")
        weights[fmt] = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    assert psnr["true"] == pytest.approx(psnr["false"], rel=1e-6)
    for key, value in weights["false"].items():
        torch.testing.assert_close(weights["true"][key], value, rtol=1e-6, atol=1e-8, check_stride=False, msg=key)


def compiled_and_eager(make_cfg, tmp_path, accelerator: str = "cpu") -> tuple[dict, dict]:
    """({"true": compiled losses, "false": eager losses}, the same for checkpoint keys) of one autoencoder epoch."""
    losses, keys = {}, {}
    for flag in ("true", "false"):
        run = tmp_path / flag
        train(make_cfg(*AE, "upsampler=convT_k4", f"model.compile={flag}", "trainer.max_epochs=1",
                       "trainer.log_every_n_steps=1", run_dir=run, accelerator=accelerator))
        losses[flag] = column(read_metrics(run), "train/loss")
        keys[flag] = set(torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"])
    return losses, keys


@pytest.mark.slow                 # not cross_path: inductor's C++ does not compile under ATEN_CPU_CAPABILITY=default
def test_compiled_networks_train_like_eager_ones_and_keep_checkpoint_keys(make_cfg, tmp_path):
    """The first step's loss (the same weights and batch through generated and eager kernels: float32 rounding,
    ~1e-6) is the same; later ones are not compared at float precision: the generated kernels' other summation
    orders round the exactly-zero gradient of a bias before a BatchNorm differently, and Adam turns that into steps
    of +-lr.  Both learn."""
    losses, keys = compiled_and_eager(make_cfg, tmp_path)
    assert keys["true"] == keys["false"]                       # nn.Module.compile in place: no "_orig_mod." prefix
    assert len(losses["true"]) == len(losses["false"]) == 6
    assert losses["true"][0] == pytest.approx(losses["false"][0], rel=1e-5)
    for run in losses.values():
        assert max(run[-2:]) < run[0]


def bf16_and_fp32_psnr(make_cfg, tmp_path, accelerator: str = "cpu") -> dict[str, float]:
    """The autoencoder's last validation PSNR trained in bf16-mixed and in 32-bit precision."""
    psnr = {}
    for precision in ("bf16-mixed", "32"):
        run = tmp_path / precision
        train(make_cfg(*AE, "upsampler=convT_k4", f"trainer.precision={precision}", run_dir=run,
                       accelerator=accelerator))
        psnr[precision] = last_value(run, "val/psnr")
    return psnr


def test_bf16_mixed_precision_trains_on_cpu(make_cfg, tmp_path):
    """bf16 autocast on the CPU: finite losses that track float32's within bf16's precision."""
    psnr = bf16_and_fp32_psnr(make_cfg, tmp_path)
    assert psnr["bf16-mixed"] == pytest.approx(psnr["32"], abs=0.5)            # dB


def test_log_every_n_steps_sets_the_training_rows(make_cfg, tmp_path):
    """Training metrics reach metrics.csv every n-th batch, and only then are they computed (``log_train``)."""
    train(make_cfg(*AE, "upsampler=convT_k4", "trainer.log_every_n_steps=3", "trainer.max_epochs=1"))
    steps = [int(r["step"]) for r in read_metrics(tmp_path) if r.get("train/loss")]
    assert steps == [2, 5]                                     # batches 3 and 6 of 6


def test_fid_sample_counts(make_cfg, tmp_path):
    """metrics.fid_samples generated vs metrics.real_samples real images, the reference clipped to the split."""
    train(make_cfg(*GAN, "metrics.fid_samples=40", "metrics.real_samples=60"))
    record = json.loads((tmp_path / "fidelity.jsonl").read_text().splitlines()[-1])
    assert (record["num_fake"], record["num_real"]) == (40, 60)
    train(make_cfg(*GAN, "metrics.fid_samples=40", "metrics.real_samples=100000", run_dir=tmp_path / "all"))
    record = json.loads((tmp_path / "all" / "fidelity.jsonl").read_text().splitlines()[-1])
    assert record["num_real"] == 1500                          # digits has 1500 training images
