"""Every experiment config runs: one Hydra multirun over ``experiment=glob(*)`` with ``fast_dev_run``, via the CLI
(the GAN experiments compute FID with the real bundled Inception, on 16 samples)."""
from __future__ import annotations

import json

from omegaconf import OmegaConf

from upsamplelab.config import CONFIG_DIR

EXPERIMENTS = sorted(p.stem for p in (CONFIG_DIR / "experiment").glob("*.yaml"))


def test_every_experiment_config_runs(run_cli, tmp_path):
    proc = run_cli("upsamplelab.train", "-m", "experiment=glob(*)", "++trainer.fast_dev_run=true",
                   "trainer.accelerator=cpu", "extras.print_summary=false", f"hydra.sweep.dir={tmp_path / 'sweep'}",
                   "metrics.fid_samples=16", f"metrics.cache_dir={tmp_path / 'fidelity_cache'}",
                   timeout=600)
    jobs = sorted(p for p in (tmp_path / "sweep").iterdir() if p.is_dir())
    assert len(jobs) == len(EXPERIMENTS) >= 4
    ran = {OmegaConf.load(job / ".hydra" / "config.yaml").task_name for job in jobs}
    assert ran == set(EXPERIMENTS)                       # each experiment names its task after itself
    assert proc.stdout.count("run directory:") == len(EXPERIMENTS)
    for job in jobs:
        if OmegaConf.load(job / ".hydra" / "config.yaml").model._target_.endswith("GANModule"):
            record = json.loads((job / "fidelity.jsonl").read_text().splitlines()[0])
            assert record["extractor"] == "inception-v3-bundled" and record["num_fake"] == 16 and record["fid"] > 0
