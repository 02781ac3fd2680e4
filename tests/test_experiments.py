"""Every experiment config runs: each offline experiment with ``fast_dev_run``, in-process (one batch of each stage;
the GAN experiments compute FID with ``TinyFeatures``; those that configure a final evaluation run it — the real
Inception is tested end to end in test_fidelity, the CLI in test_train).  Experiments on download-only data are
composed and their data modules and networks built instead."""
from __future__ import annotations

import json

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from upsamplelab.train import train
from upsamplelab.app.config import CONFIG_DIR
from upsamplelab.app.machine import cpu_model

ONLINE_DATA = {"cifar10", "celeba", "oxford_pets"}


def data_of(experiment: str) -> str:
    defaults = OmegaConf.load(CONFIG_DIR / "experiment" / f"{experiment}.yaml").defaults
    return next(d["override /data"] for d in defaults if "override /data" in d)


EXPERIMENTS = sorted(p.stem for p in (CONFIG_DIR / "experiment").glob("*.yaml"))
OFFLINE = [e for e in EXPERIMENTS if data_of(e) not in ONLINE_DATA]


@pytest.mark.slow
@pytest.mark.parametrize("experiment", OFFLINE)
def test_every_offline_experiment_config_runs(make_cfg, tmp_path, experiment):
    cfg = make_cfg(f"experiment={experiment}", "++trainer.fast_dev_run=true", "metrics.fid_samples=8",
                   "metrics.real_samples=8")
    train(cfg)
    assert cfg.task_name == experiment                    # each experiment names its task after itself
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["status"] == "completed"
    assert run["machine"]["cpu"] == cpu_model() and run["machine"]["torch_threads"] == torch.get_num_threads()
    if cfg.model._target_.endswith("GANModule"):
        record = json.loads((tmp_path / "fidelity.jsonl").read_text().splitlines()[0])
        assert record["extractor"] == "TinyFeatures" and record["num_fake"] == 8 and record["fid"] > 0
        assert (tmp_path / "final.json").exists() == bool(cfg.test and cfg.metrics.final_samples)
        if (tmp_path / "final.json").exists():                  # the final evaluation the experiment configures
            final = json.loads((tmp_path / "final.json").read_text())
            assert final["num_fake"] == 8 and final["fid_inf"] is not None


def test_the_offline_experiments_include_one_with_a_final_evaluation():
    assert len(OFFLINE) >= 6 and OmegaConf.load(CONFIG_DIR / "experiment" / "odena_checkerboard_v2.yaml").metrics.final_samples


def test_online_experiments_compose_and_build(make_cfg):
    """Their data modules are built (construction reads no data: the download waits for setup) and their
    generators at both sizes."""
    for experiment in sorted(set(EXPERIMENTS) - set(OFFLINE)):
        cfg = make_cfg(f"experiment={experiment}")
        assert cfg.hydra.mode.name == "MULTIRUN" and "upsampler" in cfg.hydra.sweeper.params
        assert instantiate(cfg.data).name == data_of(experiment)
        for size in (32, 64):
            cfg.data.image_size = size
            model = instantiate(cfg.model)
            assert model.generator(torch.randn(2, model.generator.nz)).shape == (2, 3, size, size)


def test_sweep_experiments_declare_their_grid(make_cfg):
    cfg = make_cfg("experiment=odena_checkerboard")
    params = cfg.hydra.sweeper.params
    assert params.upsampler.split(",") == ["convT_k3", "convT_k4", "resize_conv_nearest", "resize_conv_bilinear",
                                           "pixel_shuffle", "pixel_shuffle_icnr"]
    assert params.seed == "0,1,2" and cfg.data._target_.endswith("FashionMNISTDataModule")


def test_a_sweep_of_upsamplers_includes_the_baseline_its_report_compares_against(make_cfg):
    studies = 0
    for experiment in EXPERIMENTS:
        cfg = make_cfg(f"experiment={experiment}")
        params = cfg.hydra.sweeper.params or {}
        if "upsampler" in params:
            studies += 1
            swept = str(params.upsampler).split(",")
            assert cfg.baseline in swept, f"{experiment}: baseline={cfg.baseline} is not among its upsamplers {swept}"
    assert studies >= 6


@pytest.mark.parametrize("experiment", ["compare_upsamplers_unet", "compare_fcn_heads"])
def test_the_segmentation_studies_decay_the_learning_rate_to_zero_by_their_last_epoch(make_cfg, experiment):
    """cos(pi t / T) decay (SGDR without restarts) stepped per epoch: the full rate in the first epoch, half of it
    halfway, 0 after the last."""
    cfg = make_cfg(f"experiment={experiment}")
    optimizers = instantiate(cfg.model).configure_optimizers()
    optimizer, scheduler = optimizers["optimizer"], optimizers["lr_scheduler"]["scheduler"]
    assert optimizers["lr_scheduler"]["interval"] == "epoch"
    rates = []
    for _ in range(cfg.trainer.max_epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    base = cfg.model.optimizer.lr
    assert rates[0] == base and rates[len(rates) // 2] == pytest.approx(base / 2)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0, abs=1e-12)
