"""Shared fixtures: Hydra configs composed like the CLI would, made small enough for CPU tests."""
from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import pytest
import torch
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, open_dict
from torch import nn

from onnx_export_cache import shared_onnx_dir  # noqa: F401  (one ONNX export per test session)
from upsamplelab.app.config import CONFIG_DIR, compose_config

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("PROJECT_ROOT", str(REPO))
if os.environ.get("PYTEST_XDIST_WORKER"):
    # make test runs one pytest-xdist worker per core: each computes on one thread, and so do the CLI runs and
    # processes it starts (two workers of two threads each on two cores slow each other many times over)
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)
TEST_FID_SAMPLES = 100
ONE_THREAD = {"OMP_NUM_THREADS": "1"}          # for CLI processes: two of them on two cores, one thread each


@pytest.fixture
def one_thread():
    """One intra-op thread in this process (test modules that start training take it with ``pytestmark``): on a
    2-core machine that other jobs also load, two threads slow tiny convolutions down a hundredfold (both threads
    spin-wait for a core)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def compose_test_config(tmp_path: Path, overrides: list[str], config_name: str = "train",
                        accelerator: str = "cpu") -> DictConfig:
    """Compose ``config_name`` with ``overrides``; on ``accelerator`` (the CPU unless a ``gpu`` test says "gpu"),
    no summary, outputs under ``tmp_path``."""
    defaults = [f"metrics.fid_samples={TEST_FID_SAMPLES}", f"metrics.real_samples={TEST_FID_SAMPLES}",
                f"metrics.cache_dir={tmp_path / 'fidelity_cache'}"]
    cfg = compose_config(defaults + overrides, tmp_path, config_name)
    with open_dict(cfg):
        cfg.trainer.accelerator = accelerator
        cfg.extras.print_summary = False
        if "callbacks" in cfg and cfg.callbacks and "progress_bar" in cfg.callbacks:
            del cfg.callbacks.progress_bar
    return cfg


def read_metrics(run_dir: Path) -> list[dict[str, str]]:
    """The rows of a run's metrics.csv."""
    with open(run_dir / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def column(rows: list[dict[str, str]], key: str) -> list[float]:
    """The values of ``key`` in the rows that have one."""
    return [float(r[key]) for r in rows if r.get(key)]


class TinyFeatures(nn.Module):
    """A fixed random-weight conv net standing in for Inception (uint8 (N, 3, H, W) -> (N, 64) features), so tests
    exercise the FID path in milliseconds; the real Inception has its own test.  Counts the images it sees."""

    num_features = 64                       # what torchmetrics' FrechetInceptionDistance(feature=module) reads

    def __init__(self) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            self.net = nn.Sequential(nn.Conv2d(3, 16, 3, 2), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten())
        self.images_seen = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.images_seen += len(x)
        return self.net(x.float() / 127.5 - 1)


@pytest.fixture
def make_cfg(tmp_path, monkeypatch):
    """``make_cfg(*overrides, config_name="train", run_dir=None, accelerator="cpu")`` -> a composed config writing
    into ``run_dir`` (default ``tmp_path``); FID uses ``TinyFeatures`` on ``TEST_FID_SAMPLES`` samples."""
    monkeypatch.setattr("upsamplelab.metrics.fidelity.load_extractor", lambda *args, **kwargs: TinyFeatures())
    def make(*overrides: str, config_name: str = "train", run_dir: Path | None = None,
             accelerator: str = "cpu") -> DictConfig:
        return compose_test_config(run_dir or tmp_path, list(overrides), config_name, accelerator)

    yield make
    GlobalHydra.instance().clear()


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a CLI subprocess: this one, plus the repo root, full Hydra errors and ``extra``."""
    return dict(os.environ, PROJECT_ROOT=str(REPO), HYDRA_FULL_ERROR="1", PYTHONUNBUFFERED="1") | extra


@pytest.fixture
def run_cli(tmp_path):
    """Run ``python -m <module> <args>`` in a subprocess from the repo root; returns the CompletedProcess."""
    import subprocess

    def run(module: str, *args: str, timeout: float = 300, check: bool = True, env: dict[str, str] | None = None):
        proc = subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=cli_env(**(env or {})),
                              capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"exit {proc.returncode}\nSTDOUT:\n{proc.stdout[-4000:]}\n"
                                 f"STDERR:\n{proc.stderr[-4000:]}")
        return proc

    return run


@pytest.fixture
def start_cli(tmp_path):
    """Start ``python -m <module> <args>`` from the repo root without waiting (``env``: extra variables).  Returns
    the Popen, its output in the file ``proc.log_path``; processes still running at teardown are killed."""
    import subprocess

    procs = []

    def start(module: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        log_path = tmp_path / f"cli-{len(procs)}.log"
        log = log_path.open("w")
        proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=REPO, env=cli_env(**(env or {})),
                                stdout=log, stderr=subprocess.STDOUT)
        proc.log_path = log_path
        procs.append((proc, log))
        return proc

    yield start
    for proc, log in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


NO_GPU = pytest.mark.skip(reason="needs a CUDA GPU: run `pytest -m gpu` on one (scripts/gpu_check.sh does)")


def pytest_collection_modifyitems(items):
    """Every test that runs the CLI in a subprocess (``run_cli``, ``start_cli``) is slow: ``make test-fast``
    leaves it out.  Tests marked ``gpu`` are skipped where torch sees no CUDA device (the only skips allowed).
    ``cross_path`` marks the tests that compare numbers computed by two code paths (memory formats, DDP, compile,
    the recipe options): ``make test-portable`` runs them with the fast tier on other kernels."""
    for item in items:
        if {"run_cli", "start_cli"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("gpu") and not torch.cuda.is_available():
            item.add_marker(NO_GPU)
