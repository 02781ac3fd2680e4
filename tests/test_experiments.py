"""Every experiment config runs: one Hydra multirun over the experiments with ``fast_dev_run``, via the CLI (the GAN
experiments compute FID with the real bundled Inception, on 8 samples; those that configure a final evaluation run
it).  Experiments on download-only data are composed and their data modules and networks built instead."""
from __future__ import annotations

import json

import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from upsamplelab.app.config import CONFIG_DIR

ONLINE_DATA = {"cifar10", "celeba", "oxford_pets"}


def data_of(experiment: str) -> str:
    defaults = OmegaConf.load(CONFIG_DIR / "experiment" / f"{experiment}.yaml").defaults
    return next(d["override /data"] for d in defaults if "override /data" in d)


EXPERIMENTS = sorted(p.stem for p in (CONFIG_DIR / "experiment").glob("*.yaml"))
OFFLINE = [e for e in EXPERIMENTS if data_of(e) not in ONLINE_DATA]


def test_every_offline_experiment_config_runs(run_cli, tmp_path):
    proc = run_cli("upsamplelab.train", "-m", f"experiment={','.join(OFFLINE)}", "++trainer.fast_dev_run=true",
                   "trainer.accelerator=cpu", "extras.print_summary=false", f"hydra.sweep.dir={tmp_path / 'sweep'}",
                   "metrics.fid_samples=8", "metrics.real_samples=8",
                   f"metrics.cache_dir={tmp_path / 'fidelity_cache'}", timeout=600)
    jobs = sorted(p for p in (tmp_path / "sweep").iterdir() if p.is_dir())
    assert len(jobs) == len(OFFLINE) >= 6
    ran = {OmegaConf.load(job / ".hydra" / "config.yaml").task_name for job in jobs}
    assert ran == set(OFFLINE)                           # each experiment names its task after itself
    assert proc.stdout.count("run directory:") == len(OFFLINE)
    finals = set()
    for job in jobs:
        cfg = OmegaConf.load(job / ".hydra" / "config.yaml")
        if cfg.model._target_.endswith("GANModule"):
            record = json.loads((job / "fidelity.jsonl").read_text().splitlines()[0])
            assert record["extractor"] == "inception-v3-bundled" and record["num_fake"] == 8 and record["fid"] > 0
            assert (job / "final.json").exists() == bool(cfg.test and cfg.metrics.final_samples)
            if (job / "final.json").exists():                   # the final evaluation the experiment configures
                final = json.loads((job / "final.json").read_text())
                assert final["num_fake"] == 8 and final["fid_inf"] is not None
                finals.add(cfg.task_name)
    assert "odena_checkerboard_v2" in finals


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
