"""The scale-out paths run here: joblib's parallel launcher, submitit's local launcher (the code path of
``submitit_slurm`` without the scheduler) and the Optuna sweeper of ``hparams_search=dcgan_optuna``."""
from __future__ import annotations

import json

import yaml

from conftest import ONE_THREAD

TINY_GAN = ["model=dcgan", "data=digits", "model.generator.ngf=8", "model.discriminator.ndf=8", "test=false",
            "trainer.accelerator=cpu", "extras.print_summary=false", "trainer.limit_train_batches=3",
            "trainer.limit_val_batches=1", "trainer.max_epochs=1", "metrics.fid_samples=8",
            "metrics.real_samples=8"]


def records(sweep) -> list[dict]:
    """The run.json of every job of the sweep, by job directory name (the swept values)."""
    return [json.loads(path.read_text()) for path in sorted(sweep.glob("*/run.json"))]


def statuses(sweep) -> list[str]:
    return [record["status"] for record in records(sweep)]


def test_joblib_runs_jobs_in_parallel_processes(run_cli, tmp_path):
    sweep = tmp_path / "sweep"
    run_cli("upsamplelab.train", "-m", *TINY_GAN, "upsampler=convT_k3,resize_conv_nearest", "hydra/launcher=joblib",
            "hydra.launcher.n_jobs=2", f"metrics.cache_dir={tmp_path / 'cache'}", f"hydra.sweep.dir={sweep}",
            env=ONE_THREAD)
    assert statuses(sweep) == ["completed", "completed"]


def test_submitit_local_runs_the_cluster_code_path(run_cli, tmp_path):
    sweep = tmp_path / "sweep"
    run_cli("upsamplelab.train", "-m", *TINY_GAN, "seed=0,1", "hydra/launcher=submitit_local",
            "hydra.launcher.timeout_min=10", f"metrics.cache_dir={tmp_path / 'cache'}", f"hydra.sweep.dir={sweep}",
            env=ONE_THREAD, timeout=600)
    assert statuses(sweep) == ["completed", "completed"]
    assert sorted(p.parent.name for p in sweep.glob("*/run.json")) == ["seed=0", "seed=1"]
    assert list((sweep / ".submitit").glob("*/*_result.pkl"))             # submitit ran and collected the jobs


def test_optuna_search_tunes_the_learning_rates_against_fid(run_cli, tmp_path):
    sweep = tmp_path / "sweep"
    run_cli("upsamplelab.train", "-m", "hparams_search=dcgan_optuna", *TINY_GAN, "hydra.sweeper.n_trials=2",
            f"metrics.cache_dir={tmp_path / 'cache'}", f"hydra.sweep.dir={sweep}", env=ONE_THREAD, timeout=600)
    assert statuses(sweep) == ["completed"] * 2
    results = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    objectives = [record["objective"] for record in records(sweep)]
    assert results["best_value"] == min(objectives)                        # the best run's best FID
    assert set(results["best_params"]) == {"model.optimizer_g.lr", "model.optimizer_d.lr"}
