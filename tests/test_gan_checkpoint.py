"""``analysis.gan_checkpoint`` loads the generator a run evaluated: the EMA copy's weights when the run kept one."""
from __future__ import annotations

import pytest
import torch

from hydra_files import save_hydra_files
from test_gan_options import GAN, SHORT
from upsamplelab.analysis.gan_checkpoint import load_gan_run
from upsamplelab.train import train


@pytest.mark.parametrize("ema", [None, 0.9])
def test_the_checkpoints_generator_is_the_one_the_run_evaluated(make_cfg, tmp_path, ema):
    cfg = make_cfg(*GAN, *SHORT, "trainer.max_epochs=1", "test=false", f"model.ema={'null' if ema is None else ema}")
    train(cfg)
    save_hydra_files(cfg, tmp_path)
    ckpt = tmp_path / "checkpoints" / "last.ckpt"
    run = load_gan_run(ckpt)
    state = torch.load(ckpt, map_location="cpu", weights_only=True)["state_dict"]
    prefix = "generator." if ema is None else "ema.module."
    assert run.weights == ("generator" if ema is None else "ema")
    for name, value in run.generator.state_dict().items():
        torch.testing.assert_close(value, state[prefix + name], rtol=0, atol=0, msg=name)
    if ema is not None:                                   # the EMA copy differs from G after averaging
        assert any(not torch.equal(state["ema.module." + n], state["generator." + n])
                   for n in run.generator.state_dict() if n.endswith("weight"))
    assert run.sample(3).shape == (3, 1, 32, 32) and run.upsampler == "convT_k3"


def test_a_checkpoint_without_a_gan_config_is_refused(tmp_path):
    ckpt = tmp_path / "checkpoints" / "x.ckpt"
    ckpt.parent.mkdir()
    ckpt.write_bytes(b"")
    with pytest.raises(ValueError, match=r"has no GAN run config next to it \(expected .*\.hydra/config.yaml"):
        load_gan_run(ckpt)
