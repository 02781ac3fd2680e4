"""The GPU check's training step: the DCGAN on Fashion-MNIST for a few epochs with FID at every validation.

    python -m upsamplelab.gpu_check.train_fid --out DIR [--dry-run] [--epochs 2] [--extractor auto|stand-in]

The config is ``trainer=gpu`` (bf16 autocast) with ``model.channels_last=true``, DCGAN-32 ngf = ndf = 64, convT_k4,
batch 128, ``metrics.fid_samples`` 2048 generated against 10000 training images; ``--dry-run`` cuts it to a few CPU
batches of a width-8 DCGAN and 16 vs 32 images.  ``--extractor auto`` takes the real TF-Inception when its weights
are on this machine and otherwise ``RandomWeightInceptionV3`` (its FIDs are timings only, see
``stand_in_inception``); ``stand-in`` always takes the stand-in.  After training, ``analysis.fid_timing.time_fid``
times FID on training images standing in for generated ones.  Writes ``DIR/train_fid.json``: the overrides, the
extractor, the run record (status, wall time, images/s), val/fid and val/kid_mean per epoch, the FID timing and the
peak GPU memory; exits 1 unless the run completed with a finite FID at every epoch.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterator, Sequence
from unittest import mock

import torch
from hydra.utils import instantiate

from ..analysis.fid_timing import time_fid
from ..app.config import compose_config
from ..run_dir import METRICS_CSV
from ..app.run_record import read_run_record
from ..metrics import fidelity
from ..metrics.inception import resolve_extractor
from ..train import train
from .stand_in_inception import RandomWeightInceptionV3

GPU_OVERRIDES = ["model=dcgan", "data=fashion_mnist", "data.image_size=32", "upsampler=convT_k4",
                 "model.generator.ngf=64", "model.discriminator.ndf=64", "data.batch_size=128", "trainer=gpu",
                 "model.channels_last=true", "metrics.fid_samples=2048", "metrics.real_samples=10000",
                 "metrics.batch_size=128", "trainer.log_every_n_steps=50"]
DRY_RUN_OVERRIDES = ["model=dcgan", "data=fashion_mnist", "data.image_size=32", "upsampler=convT_k4",
                     "model.generator.ngf=8", "model.discriminator.ndf=8", "data.batch_size=32",
                     "trainer.accelerator=cpu", "trainer.limit_train_batches=4", "trainer.limit_val_batches=1",
                     "metrics.fid_samples=16", "metrics.real_samples=32", "metrics.batch_size=16",
                     "trainer.log_every_n_steps=1"]
COMMON = ["test=false", "extras.print_summary=false", "~callbacks.progress_bar"]
STAND_IN_INPUT_SIZE = {False: 299, True: 75}           # dry run: Inception-v3's smallest input, for CPU speed


@contextlib.contextmanager
def inception(selection: str, dry_run: bool) -> Iterator[str]:
    """Within the block, FID uses the real TF-Inception ("auto" when its weights are here) or the random-weight
    stand-in (patched in where ``SampleQuality`` loads its extractor); yields the choice's name."""
    real = None
    if selection == "auto":
        with contextlib.suppress(FileNotFoundError):
            real = resolve_extractor("auto")
    if real is not None:
        yield real
        return
    stand_in = RandomWeightInceptionV3(STAND_IN_INPUT_SIZE[dry_run])
    with mock.patch.object(fidelity, "load_extractor", lambda *args, **kwargs: stand_in):
        yield type(stand_in).__name__


def per_epoch(run_dir: Path) -> list[dict[str, Any]]:
    """val/fid and val/kid_mean of each validation in the run's metrics.csv."""
    with open(run_dir / METRICS_CSV, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("val/fid")]
    return [{"epoch": int(r["epoch"]), "val/fid": float(r["val/fid"]), "val/kid_mean": float(r["val/kid_mean"])}
            for r in rows]


def run(out: Path, dry_run: bool, epochs: int, extractor: str) -> dict[str, Any]:
    overrides = [*(DRY_RUN_OVERRIDES if dry_run else GPU_OVERRIDES), *COMMON, f"trainer.max_epochs={epochs}",
                 f"metrics.cache_dir={out / 'fidelity_cache'}"]
    run_dir = out / "run"
    os.environ.setdefault("PROJECT_ROOT", str(Path.cwd()))
    with inception(extractor, dry_run) as extractor_name:
        cfg = compose_config(overrides, run_dir)
        start = time.perf_counter()
        metrics = train(cfg)
        wall_s = time.perf_counter() - start
        n_fake, n_real = cfg.metrics.fid_samples, cfg.metrics.real_samples
        datamodule = instantiate(cfg.data)
        images = datamodule.real_images("train", n_fake + n_real)
        timing = time_fid(images[:n_fake], images[n_fake:], fidelity.load_extractor("auto"),
                          batch_size=cfg.metrics.batch_size)
    record = read_run_record(run_dir) or {}
    return {"overrides": overrides, "extractor": extractor_name,
            "fid_comparable": extractor_name != RandomWeightInceptionV3.__name__, "wall_s": wall_s,
            "status": record.get("status"), "train_images_per_s": record.get("train_images_per_s"),
            "epochs": per_epoch(run_dir), "final_metrics": {k: float(v) for k, v in metrics.items()},
            "fid_timing": timing, "data_source": datamodule.identity().get("source"),
            "peak_gpu_memory_gib": torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None}


def passed(result: dict[str, Any], epochs: int) -> bool:
    """Completed, one validation per epoch, every FID finite."""
    fids = [e["val/fid"] for e in result["epochs"]]
    return result["status"] == "completed" and len(fids) == epochs and all(math.isfinite(f) for f in fids)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m upsamplelab.gpu_check.train_fid",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the run and train_fid.json")
    parser.add_argument("--dry-run", action="store_true", help="a few CPU batches of a tiny DCGAN")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--extractor", choices=("auto", "stand-in"), default="auto")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be >= 1, got {args.epochs}")
    args.out.mkdir(parents=True, exist_ok=True)
    result = run(args.out.resolve(), args.dry_run, args.epochs, args.extractor)
    (args.out / "train_fid.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("extractor", "status", "wall_s", "train_images_per_s", "epochs")}))
    return 0 if passed(result, args.epochs) else 1


if __name__ == "__main__":
    sys.exit(main())
