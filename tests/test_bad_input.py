"""A catalogue of bad configurations, each run through the CLI's ``main()``: one clear line naming the key and what
is allowed, exit status 2, no traceback, and nothing trained.  The catalogue runs in one subprocess
(tests/cli_batch.py: one interpreter start for all cases); one case also runs as its own ``python -m`` process."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, cli_env

GAN = ["data=digits", "model.generator.ngf=8", "model.discriminator.ndf=8"]

CASES = {
    "unknown upsampler": (GAN + ["upsampler.name=nope"], "unknown upsampler 'nope'; valid names: convT_k3, convT_k4"),
    "output_padding rule": (GAN + ["upsampler=convT_k3", "+upsampler.output_padding=2"],
                            "output_padding must be smaller than either stride or dilation"),
    "not exactly x2": (GAN + ["upsampler=convT_k3", "+upsampler.output_padding=0"],
                       "do not upsample by exactly scale_factor=2"),
    "unet depth vs size": (["model=unet", "data=fashion_seg", "data.image_size=28", "model.net.depth=5"],
                           "data.image_size=28 is not divisible by 2**model.net.depth = 32"),
    "generator size vs data": (GAN + ["model.generator.image_size=64", "model.discriminator.image_size=64"],
                               "model.generator.image_size=64 but data.image_size=32"),
    "channels": (GAN + ["model.generator.channels=3"], "model.generator.channels=3 but data.channels=1"),
    "fid samples": (GAN + ["metrics.fid_samples=1"], "metrics.fid_samples must be an int >= 2"),
    "resize mode": (GAN + ["data.resize=crop"], "data.resize must be one of ['pad', 'resize']"),
    "missing checkpoint": (GAN + ["ckpt_path=/nonexistent/x.ckpt"], "ckpt_path=/nonexistent/x.ckpt does not exist"),
    "absent dataset": (["data=cifar10", "data.download=false"], "Set data.download=true to download it"),
    "float16 on CPU": (GAN + ["trainer.precision=16-mixed"],
                       "trainer.precision=16-mixed is for GPUs; on the CPU use one of [32, bf16-mixed]"),
    "memory format": (GAN + ["model.channels_last=sometimes"],
                      "model.channels_last must be one of [true, false, auto], got 'sometimes'"),
    "compile flag": (GAN + ["model.compile=maybe"], "model.compile must be one of [true, false], got 'maybe'"),
    "real samples": (GAN + ["metrics.real_samples=1"], "metrics.real_samples must be an int >= 2"),
    "generator width": (GAN + ["model.generator.ngf=0"], "model.generator.ngf must be >= 1, got 0"),
    "dcgan data size": (["data=digits", "data.image_size=48"],
                        "model.generator.image_size must be 4 * 2**k for some k >= 1 (e.g. 16, 32, 64), got 48 "
                        "(model.generator.image_size is ${data.image_size}: set data.image_size)"),
    "seed": (GAN + ["seed=-1"], "seed must be an int >= 0, got -1"),
    "scale set by the model": (GAN + ["+upsampler.scale_factor=4"],
                               "upsampler.scale_factor=4 is set by the model for each of its upsampling layers"),
    "report baseline": (GAN + ["baseline=convT_k9"],
                        "baseline=convT_k9 is not a registered upsampler; allowed: convT_k3, convT_k4"),
    "test checkpoint": (GAN + ["test_ckpt=newest"], "test_ckpt must be one of ['best', 'last'], got 'newest'"),
    "bilinear additive channels": (["model=autoencoder", "data=digits", "model.net.widths=[8,12]",
                                    "upsampler=bilinear_additive"],
                                   "upsampler 'bilinear_additive' needs in_channels to be a multiple of out_channels "
                                   "(it sums groups of in_channels / out_channels consecutive channels), got "
                                   "in_channels=12, out_channels=8"),
    "boundary tolerance": (["model=unet", "data=shapes", "model.boundary_tolerance=-1"],
                           "model.boundary_tolerance must be an int >= 0 (pixels), got -1"),
    "inception backend": (GAN + ["metrics.inception_backend=openvino"],
                          "metrics.inception_backend must be one of ['auto', 'torch', 'onnxruntime'], got 'openvino'"),
    "checkpoint directory": (GAN + ["ckpt_path=configs"], "ckpt_path=configs is a directory; give a .ckpt file"),
    "Trainer argument": (GAN + ["trainer.max_epochs=-5"],
                         "trainer.max_epochs must be a non-negative integer or -1. You passed in -5."),
}


def case_args(case: str, run_dir: Path) -> list[str]:
    return [*CASES[case][0], "trainer.accelerator=cpu", "extras.print_summary=false", f"hydra.run.dir={run_dir}"]


def assert_fails_in_one_line(case: str, status: int, stderr: str, run_dir: Path) -> None:
    assert status == 2, stderr[-2000:]
    assert CASES[case][1] in stderr and "Traceback" not in stderr
    assert stderr.strip().splitlines()[-2].startswith("error: ")          # the line, then the hint
    assert not (run_dir / "checkpoints").exists()


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """Every case of CASES through ``upsamplelab.train.main()`` in one subprocess: {case: {status, stderr}}."""
    root = tmp_path_factory.mktemp("bad_input")
    argvs = [case_args(case, root / f"run{i}") for i, case in enumerate(CASES)]
    proc = subprocess.run([sys.executable, str(REPO / "tests" / "cli_batch.py"), "upsamplelab.train", json.dumps(argvs)],
                          cwd=REPO, env=cli_env(HYDRA_FULL_ERROR="0"), capture_output=True, text=True, timeout=600)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == len(CASES), proc.stderr[-4000:]
    return root, dict(zip(CASES, lines))


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_bad_config_fails_in_one_line(catalogue, case):
    root, outcomes = catalogue
    assert_fails_in_one_line(case, outcomes[case]["status"], outcomes[case]["stderr"],
                             root / f"run{list(CASES).index(case)}")


def test_bad_config_fails_in_one_line_from_its_own_process(run_cli, tmp_path):
    proc = run_cli("upsamplelab.train", *case_args("unknown upsampler", tmp_path / "run"),
                   env={"HYDRA_FULL_ERROR": "0"}, check=False, timeout=120)
    assert_fails_in_one_line("unknown upsampler", proc.returncode, proc.stderr, tmp_path / "run")


def test_not_a_checkpoint_and_the_full_traceback_on_request(run_cli, tmp_path):
    fake = tmp_path / "notes.ckpt"
    fake.write_text("not a checkpoint")
    args = ("upsamplelab.eval", f"ckpt_path={fake}", "trainer.accelerator=cpu", f"hydra.run.dir={tmp_path / 'run'}")
    proc = run_cli(*args, env={"HYDRA_FULL_ERROR": "0"}, check=False, timeout=120)
    assert proc.returncode == 2 and f"ckpt_path={fake} is not a checkpoint" in proc.stderr
    assert "Traceback" not in proc.stderr
    full = run_cli(*args, env={"HYDRA_FULL_ERROR": "1"}, check=False, timeout=120)
    assert full.returncode != 0 and "Traceback" in full.stderr


def test_unknown_group_option_is_hydras_message(run_cli, tmp_path):
    proc = run_cli("upsamplelab.train", "model=nope", f"hydra.run.dir={tmp_path / 'run'}", check=False, timeout=120)
    assert proc.returncode != 0 and "Could not find 'model/nope'" in proc.stderr
    assert "Available options in 'model'" in proc.stderr and "dcgan" in proc.stderr
