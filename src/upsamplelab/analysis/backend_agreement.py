"""FID and KID of the same images by each Inception backend (``metrics.inception_backend``: torch and ONNX Runtime):
how far apart they are, so that studies scored on one backend can be compared with studies scored on the other.

    python -m upsamplelab.analysis.backend_agreement [--checkpoint RUN/checkpoints/last.ckpt] [--data fashion_mnist]
        [--samples 2000] [--real-samples 5000] [--batch-size 32] [--cache-dir DIR] [--out agreement.json]

The reference is the first ``--real-samples`` training images, as ``metrics.real_split=train`` takes them, under the
cache key a run uses (``<dataset_id>/train/n=<count>``), so a study's reference caches in ``--cache-dir`` (default:
``metrics.cache_dir``) are reused.  The generated set is ``--samples`` images of ``--checkpoint``'s generator (as
``analysis.gan_checkpoint`` loads it, latents seeded 0), or without a checkpoint the ``--samples`` training images
that follow the reference (real images standing in for generated ones: nothing to train).  Each backend's FID and
KID come from that backend's features alone (its own reference cache).  Prints both and their differences.
"""
from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path
from typing import Any, Sequence

import torch
from hydra.utils import instantiate
from torch import Tensor

from ..metrics.fidelity import fidelity_metrics
from ..metrics.inception import RUNTIMES
from .fid_timing import data_module, metrics_cache_dir
from .gan_checkpoint import load_gan_run

COMPARED = ("fid", "kid_mean", "kid_std")


def images_to_compare(checkpoint: Path | None, data: str, samples: int,
                      real_samples: int) -> tuple[Tensor, Tensor, str, str]:
    """(generated, reference, reference cache key, what the generated images are)."""
    if checkpoint is not None:
        run = load_gan_run(checkpoint)
        datamodule = instantiate(run.config.data)
        fake, what = run.sample(samples), f"{samples} images of {checkpoint} ({run.weights} weights)"
        real = datamodule.real_images("train", real_samples)
    else:
        datamodule = data_module(data)
        images = datamodule.real_images("train", real_samples + samples)
        real, fake = images[:real_samples], images[real_samples:]
        what = f"{len(fake)} {data} training images after the reference (standing in for generated ones)"
    return fake, real, f"{datamodule.dataset_id}/train/n={len(real)}", what


def agreement(fake: Tensor, real: Tensor, real_key: str, cache_dir: Path, batch_size: int = 32) -> dict[str, Any]:
    """Each backend's ``fidelity_metrics`` of ``fake`` vs ``real``, and per metric of ``COMPARED`` the ONNX Runtime
    value minus the torch one."""
    results = {}
    for backend in RUNTIMES:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="FID from .* is biased")
            results[backend] = fidelity_metrics(fake, real, real_key=real_key, cache_dir=cache_dir, extractor="auto",
                                                inception_backend=backend, batch_size=batch_size, device="cpu")
    return {"results": results,
            "difference": {m: results["onnxruntime"][m] - results["torch"][m] for m in COMPARED}}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m upsamplelab.analysis.backend_agreement",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", type=Path, help="a GAN run's checkpoint (default: real images stand in)")
    parser.add_argument("--data", default="fashion_mnist", help="a config of configs/data/ (without --checkpoint)")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--real-samples", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--cache-dir", type=Path, help="reference caches and ONNX export (default metrics.cache_dir)")
    parser.add_argument("--out", type=Path, help="also write the result as JSON here")
    args = parser.parse_args(argv)
    fake, real, real_key, what = images_to_compare(args.checkpoint, args.data, args.samples, args.real_samples)
    out = agreement(fake, real, real_key, args.cache_dir or metrics_cache_dir(), args.batch_size)
    out |= {"generated": what, "real_key": real_key, "threads": torch.get_num_threads()}
    print(f"{what} vs the first {len(real)} training images ({real_key}), {out['results']['torch']['extractor']}")
    for metric in COMPARED:
        torch_value, onnx_value = (out["results"][b][metric] for b in RUNTIMES)
        print(f"  {metric:9s} torch {torch_value:.6g}   onnxruntime {onnx_value:.6g}   difference "
              f"{out['difference'][metric]:+.3g}")
    if args.out:
        args.out.write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    main()
