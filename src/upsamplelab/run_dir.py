"""What a run directory holds, by name: the one table that the entry points, the callbacks that write records
and the sweep report read.

    <run dir>/
      .hydra/config.yaml, overrides.yaml, hydra.yaml   the composed config (Hydra)
      .hydra/recorded/                                  the first start's copies (``reliability.job_identity``)
      checkpoints/last.ckpt, <best>.ckpt                ``configs/callbacks/default.yaml``
      run.json                                          ``app.run_record``
      run.lock                                          held by the process training in it (``reliability.run_claim``)
      metrics.csv                                       Lightning's CSV logger (its fixed file name)
      fidelity.jsonl                                    one FID/KID evaluation per line (``lightning.sample_quality``)
      final.json                                        the final evaluation (``lightning.sample_quality``)
      DIVERGED                                          written by ``reliability.divergence`` when training diverged
"""
from __future__ import annotations

from pathlib import Path

HYDRA_DIR = ".hydra"
CONFIG = "config.yaml"
OVERRIDES = "overrides.yaml"
HYDRA_RUNTIME = "hydra.yaml"
CHECKPOINT_DIR = "checkpoints"
LAST_CHECKPOINT = "last.ckpt"
RUN_RECORD = "run.json"
RUN_CLAIM = "run.lock"
METRICS_CSV = "metrics.csv"
FIDELITY_LOG = "fidelity.jsonl"
FINAL_RECORD = "final.json"
DIVERGED = "DIVERGED"

# what a run is (the rest of its config says how it is trained): fixed on resume, rebuilt by eval and the report
RUN_KEYS = ("data", "model", "upsampler", "seed")


def last_checkpoint(run_dir: str | Path) -> Path:
    """Where a run keeps its newest checkpoint: ``<run dir>/checkpoints/last.ckpt``."""
    return Path(run_dir) / CHECKPOINT_DIR / LAST_CHECKPOINT


def run_dir_of_checkpoint(ckpt_path: str | Path) -> Path:
    """The run directory of a checkpoint saved where runs save them (``<run dir>/checkpoints/<file>.ckpt``)."""
    return Path(ckpt_path).resolve().parent.parent


def run_config(run_dir: str | Path) -> Path:
    """The composed config a run was started with: ``<run dir>/.hydra/config.yaml``."""
    return Path(run_dir) / HYDRA_DIR / CONFIG
