"""Loading a run directory never runs code beyond the allow-list (reliability.trusted_targets); eval refuses what
it would otherwise ignore, and checks the precision for the device (through the CLI, as users run it)."""
from __future__ import annotations

import pickle

import pytest
from omegaconf import OmegaConf

from upsamplelab.app.bad_input import check_precision
from upsamplelab.reliability.trusted_targets import UntrustedConfigError, check_targets

AE = ["model=autoencoder", "data=digits", "model.net.widths=[8,16]", "upsampler=convT_k3", "test=false",
      "trainer.accelerator=cpu", "extras.print_summary=false", "trainer.limit_train_batches=2",
      "trainer.limit_val_batches=1", "trainer.max_epochs=1"]
BAD = {"HYDRA_FULL_ERROR": "0"}


class Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return open, (self.marker, "w")            # unpickling creates the marker file


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    import subprocess
    import sys

    from conftest import REPO, cli_env
    run = tmp_path_factory.mktemp("trust") / "run"
    subprocess.run([sys.executable, "-m", "upsamplelab.train", *AE, f"hydra.run.dir={run}"], cwd=REPO,
                   env=cli_env(), check=True, capture_output=True, timeout=300)
    return run


def test_a_sidecar_config_naming_torch_load_is_refused_and_never_runs(run_cli, trained_run, tmp_path):
    marker, crafted = tmp_path / "pwned", tmp_path / "crafted.pt"
    crafted.write_bytes(pickle.dumps(Payload(str(marker))))
    config_path = trained_run / ".hydra" / "config.yaml"
    original = config_path.read_text()
    cfg = OmegaConf.load(config_path)
    cfg.data = {"_target_": "torch.load", "f": str(crafted), "weights_only": False}
    try:
        config_path.write_text(OmegaConf.to_yaml(cfg))
        proc = run_cli("upsamplelab.eval", f"ckpt_path={trained_run / 'checkpoints' / 'last.ckpt'}",
                       "trainer.accelerator=cpu", env=BAD, check=False)
    finally:
        config_path.write_text(original)
    assert proc.returncode == 2 and not marker.exists()
    assert "data._target_='torch.load' is not a target this package instantiates" in proc.stderr


@pytest.mark.parametrize("override, message", [
    ("data=mnist", "eval takes data, model, upsampler, seed from the run that wrote the checkpoint; data=mnist"),
    ("trainer.precision=16-mixed", "trainer.precision=16-mixed is for GPUs"),
])
def test_eval_refuses_what_it_would_ignore_or_misrun(run_cli, trained_run, override, message):
    proc = run_cli("upsamplelab.eval", f"ckpt_path={trained_run / 'checkpoints' / 'last.ckpt'}",
                   "trainer.accelerator=cpu", override, env=BAD, check=False)
    assert proc.returncode == 2 and message in proc.stderr


def test_allow_list():
    ok = OmegaConf.create({"model": {"_target_": "upsamplelab.models.UNet", "opt": {"_target_": "torch.optim.Adam"}},
                           "trainer": {"_target_": "pytorch_lightning.Trainer", "plugins": [
                               {"_target_": "upsamplelab.reliability.AtomicCheckpointIO"}]}})
    check_targets(ok, "run")
    for bad, key in [({"a": [{"_target_": "os.system"}]}, "a[0]._target_"),
                     ({"b": {"_target_": "${oc.env:X}"}}, "b._target_"),
                     ({"c": {"_target_": "upsamplelab_evil.x"}}, "c._target_")]:
        with pytest.raises(UntrustedConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
            check_targets(OmegaConf.create(bad), "run")


def test_bf16_alias_is_a_cpu_precision():
    check_precision("bf16", "cpu")
    with pytest.raises(ValueError, match="trainer.precision=16 is for GPUs"):
        check_precision("16", "cpu")
