"""How long FID takes on this machine: Inception throughput, and an evaluation with a cold and a warm reals cache.

    python -m upsamplelab.analysis.fid_timing [--data fashion_mnist] [--samples 500] [--real-samples N]
                                               [--batch-size 32] [--inception-backend auto|torch|onnxruntime]

Uses ``--samples`` real training images of ``--data`` as the "generated" set and ``--real-samples`` others (default:
as many) as the reference set (the bundled or cached TF-Inception, as ``metrics.extractor=auto`` picks, run by
``--inception-backend`` as ``metrics.inception_backend`` does), in a fresh temporary cache: the cold call extracts
both sets, the warm call only the generated one.  Prints the three timings and the speed-up.  ``upsamplelab.bench``
reports the same numbers (``time_fid``).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Sequence

import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf
from torch import Tensor, nn

from ..app.config import CONFIG_DIR
from ..metrics import fidelity
from ..metrics.inception import BACKENDS, fid_device, resolve_backend


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def metrics_cache_dir() -> Path:
    """``metrics.cache_dir`` of the default metrics config, ``paths.root_dir`` as the configs set it (``$PROJECT_ROOT``,
    else the working directory): where runs keep the ONNX export of the Inception network."""
    cfg = OmegaConf.create({"paths": OmegaConf.load(CONFIG_DIR / "paths" / "default.yaml"),
                            "metrics": OmegaConf.load(CONFIG_DIR / "metrics" / "default.yaml")})
    return Path(cfg.metrics.cache_dir)


def data_module(data: str):
    """The data module of ``configs/data/<data>.yaml`` (its data under ``./data`` where it reads from disk)."""
    return instantiate(OmegaConf.create({"paths": {"data_dir": "data"},
                                         "data": OmegaConf.load(CONFIG_DIR / "data" / f"{data}.yaml")}).data)


def inception_extractor(backend: str = "auto", device: str | None = None) -> nn.Module:
    """The Inception extractor ``metrics.extractor=auto`` picks, run by ``backend`` (``metrics.inception_backend``)
    as resolved for ``device`` (default ``fid_device()``)."""
    return fidelity.load_extractor("auto", backend=resolve_backend(backend, device or fid_device()),
                                   cache_dir=metrics_cache_dir())


def time_fid(fake: Tensor, real: Tensor, model: nn.Module, batch_size: int = 32) -> dict[str, float | str]:
    """Inception images/s on ``fake``; seconds of FID+KID of ``fake`` vs ``real`` with a cold, then a warm reals
    cache (a fresh temporary one); their ratio; the extractor's name and backend.  All on ``fid_device()`` (each
    batch's features return to the host, which synchronises a GPU)."""
    device = fid_device()
    extract_s, _ = timed(lambda: fidelity.extract_features(fake, model, batch_size=batch_size, device=device))
    with tempfile.TemporaryDirectory() as cache:
        run = lambda: fidelity.fidelity_metrics(fake, real, real_key="timing", cache_dir=cache,  # noqa: E731
                                                extractor=model, batch_size=batch_size)
        cold_s, result = timed(run)
        warm_s, _ = timed(run)
    return {"inception_images_per_s": len(fake) / extract_s, "cold_s": cold_s, "warm_s": warm_s,
            "speedup": cold_s / warm_s, "extractor": result["extractor"],
            "inception_backend": result["inception_backend"], "num_fake": len(fake), "num_real": len(real)}


def main(argv: Sequence[str] | None = None) -> dict[str, float | str]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="fashion_mnist", help="a config of configs/data/")
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--real-samples", type=int, default=None, help="reference set size (default: --samples)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--inception-backend", default="auto", choices=BACKENDS,
                        help="what runs the Inception network, as metrics.inception_backend (default auto)")
    args = parser.parse_args(argv)
    n_real = args.real_samples or args.samples
    images = data_module(args.data).real_images("train", args.samples + n_real)
    timings = time_fid(images[:args.samples], images[args.samples:], inception_extractor(args.inception_backend),
                       args.batch_size)
    print(f"{timings['extractor']} ({timings['inception_backend']}) on {torch.get_num_threads()} threads, "
          f"{args.data}, {args.samples} vs {timings['num_real']} images, batch {args.batch_size}")
    print(f"  Inception features    {timings['inception_images_per_s']:.1f} images/s")
    print(f"  FID+KID, cold cache   {timings['cold_s']:.1f} s")
    print(f"  FID+KID, warm cache   {timings['warm_s']:.1f} s   (speed-up {timings['speedup']:.2f}x)")
    return timings


if __name__ == "__main__":
    main()
