"""How long FID takes on this machine: Inception throughput, and an evaluation with a cold and a warm reals cache.

    python -m upsamplelab.analysis.fid_timing [--data fashion_mnist] [--samples 500] [--batch-size 32]

Uses ``--samples`` real training images of ``--data`` as the "generated" set and as many others as the reference
set (the bundled or cached TF-Inception, as ``metrics.extractor=auto`` picks), in a fresh temporary cache: the cold
call extracts both sets, the warm call only the generated one.  Prints the three timings and the speed-up.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from typing import Sequence

import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from ..config import CONFIG_DIR
from ..metrics import fidelity


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="fashion_mnist", help="a config of configs/data/")
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)
    data_cfg = OmegaConf.load(CONFIG_DIR / "data" / f"{args.data}.yaml")
    cfg = OmegaConf.create({"paths": {"data_dir": "data"}, "data": data_cfg})
    images = instantiate(cfg.data).real_images("train", 2 * args.samples)
    fake, real = images[:args.samples], images[args.samples:]
    model = fidelity.load_extractor("auto")
    extract_s, _ = timed(lambda: fidelity.extract_features(fake, model, batch_size=args.batch_size))
    with tempfile.TemporaryDirectory() as cache:
        run = lambda: fidelity.fidelity_metrics(fake, real, real_key="timing", cache_dir=cache,  # noqa: E731
                                                extractor=model, batch_size=args.batch_size)
        cold_s, result = timed(run)
        warm_s, _ = timed(run)
    timings = {"inception_images_per_s": args.samples / extract_s, "cold_s": cold_s, "warm_s": warm_s,
               "speedup": cold_s / warm_s}
    print(f"{result['extractor']} on {torch.get_num_threads()} threads, {args.data}, {args.samples} vs "
          f"{args.samples} images, batch {args.batch_size}")
    print(f"  Inception features    {timings['inception_images_per_s']:.1f} images/s")
    print(f"  FID+KID, cold cache   {cold_s:.1f} s")
    print(f"  FID+KID, warm cache   {warm_s:.1f} s   (speed-up {timings['speedup']:.2f}x)")
    return timings


if __name__ == "__main__":
    main()
