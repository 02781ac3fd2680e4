"""Installed, not only checked out: a wheel built from the repository carries its configs, and its console script
trains from an empty directory; a user's own config directory (--config-dir) adds an experiment that swaps in an
upsampler the user registered in their own module."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from conftest import REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel of this checkout, installed with --no-deps into a target folder (its dependencies come from
    this interpreter's site-packages)."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"                          # a copy: building writes build/ next to pyproject.toml
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "src", "configs"):
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy2
        copy(REPO / name, source / name, **({"symlinks": True, "ignore": shutil.ignore_patterns(
            "__pycache__", "*.egg-info")} if (REPO / name).is_dir() else {}))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(root / "dist"), str(source)], check=True, capture_output=True, timeout=300, cwd=root)
    (wheel,) = (root / "dist").glob("upsamplelab-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "upsamplelab/py.typed" in names
    shipped = {n.removeprefix("upsamplelab/configs/") for n in names if n.startswith("upsamplelab/configs/")}
    assert shipped == {p.relative_to(REPO / "configs").as_posix() for p in (REPO / "configs").rglob("*.yaml")}
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(root / "site"),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    return root / "site"


def run_installed(site: Path, cwd: Path, *args: str, extra_path: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PROJECT_ROOT"} | {
        "PYTHONPATH": os.pathsep.join(p for p in (str(site), extra_path) if p), "OMP_NUM_THREADS": "1"}
    return subprocess.run([str(site / "bin" / "upsamplelab-train"), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def test_the_installed_console_script_trains_from_an_empty_directory(installed, tmp_path):
    help_text = run_installed(installed, tmp_path, "--help")
    assert help_text.returncode == 0 and "upsampler: " in help_text.stdout and "convT_k3_zoh" in help_text.stdout
    proc = run_installed(installed, tmp_path, "trainer.fast_dev_run=true", "extras.print_summary=false")
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run_dir,) = (tmp_path / "outputs" / "train" / "runs").iterdir()
    assert (run_dir / "fidelity.jsonl").is_file() and (run_dir / ".hydra" / "config.yaml").is_file()
    sources = OmegaConf.load(run_dir / ".hydra" / "hydra.yaml").hydra.runtime.config_sources
    configs = next(Path(source.path) for source in sources if source.provider == "main")
    assert configs.resolve() == (installed / "upsamplelab" / "configs").resolve()     # the wheel's copy, not the repo


USER_MODULE = '''
from torch import nn
from upsamplelab.nn import Upsampler, register_upsampler


class NearestOnly(Upsampler):
    """Nearest x r, then a 1x1 conv: the user's own upsampler."""

    family = "user"

    def __init__(self, in_channels, out_channels, scale_factor=2):
        super().__init__(in_channels, out_channels, scale_factor)
        self.up, self.proj = nn.Upsample(scale_factor=scale_factor), nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x):
        return self.proj(self.up(x))

    def reset_parameters(self, weight_init=None):
        self.proj.reset_parameters()


@register_upsampler("my_nearest", operation="nearest x r, 1x1 conv", paper="mine", checkerboard_free_at_init=True)
def my_nearest(in_channels, out_channels, scale_factor=2, **overrides) -> NearestOnly:
    return NearestOnly(in_channels, out_channels, scale_factor)
'''


def test_a_user_config_dir_swaps_in_a_user_registered_upsampler(installed, tmp_path):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "my_upsamplers.py").write_text(USER_MODULE)
    conf = tmp_path / "conf"
    (conf / "upsampler").mkdir(parents=True)
    (conf / "experiment").mkdir()
    (conf / "upsampler" / "my_nearest.yaml").write_text(
        "_target_: my_upsamplers.my_nearest\n_partial_: true\n")
    (conf / "experiment" / "mine.yaml").write_text(
        "# @package _global_\ndefaults:\n  - override /data: digits\n  - override /upsampler: my_nearest\n"
        "task_name: mine\nmodel:\n  generator:\n    ngf: 8\n  discriminator:\n    ndf: 8\n"
        "  sample_quality: null\n  monitor: val/d_loss\n  monitor_mode: max\n")          # FID: the test above
    work = tmp_path / "work"
    work.mkdir()
    proc = run_installed(installed, work, "--config-dir", str(conf), "experiment=mine", "trainer.fast_dev_run=true",
                         extra_path=str(tmp_path / "code"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run_dir,) = (work / "outputs" / "mine" / "runs").iterdir()
    assert "my_upsamplers.my_nearest" in (run_dir / ".hydra" / "config.yaml").read_text()
    assert "NearestOnly" in proc.stdout                                  # the run summary lists the user's module
