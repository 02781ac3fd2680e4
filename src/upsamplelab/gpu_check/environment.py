"""The GPU check's first step: what this machine is and which software every later step runs on.

    python -m upsamplelab.gpu_check.environment --out environment.json [--require-cuda]

Imports what the later steps import (training, the benchmark, the training-with-FID step, pytest), then records the
GPUs (name, compute capability, memory, bf16 support), the driver (``nvidia-smi``, when on PATH), torch with its
CUDA, cuDNN and NCCL versions, Python and the platform, the Python path and ``FASHION_MNIST_DIR``, and the version
and location of every distribution that provides an imported top-level module (the location shows whether a
package came from the carried wheels).  A required module that fails to import is recorded with its error.  Exits 1
when one does, or with ``--require-cuda`` when torch sees no CUDA device.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.metadata as metadata
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

REQUIRED = ("torch", "torchvision", "pytorch_lightning", "torchmetrics", "hydra", "omegaconf", "torch_fidelity",
            "numpy", "scipy", "rich", "pytest", "upsamplelab.train", "upsamplelab.bench.cli",
            "upsamplelab.gpu_check.train_fid")


def import_all(names: Sequence[str] = REQUIRED) -> dict[str, str]:
    """Import each module; ``{name: "<Type>: <message>"}`` of those that failed."""
    failed = {}
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as err:                          # noqa: BLE001 - recorded: the report must still be written
            failed[name] = f"{type(err).__name__}: {err}"
    return failed


def imported_distributions() -> dict[str, dict[str, str]]:
    """``{distribution: {"version", "location"}}`` for every distribution providing an imported top-level module."""
    providers = metadata.packages_distributions()
    top_level = {name.split(".", 1)[0] for name in list(sys.modules)}
    out = {}
    for dist_name in sorted({d for module in top_level for d in providers.get(module, ())}, key=str.lower):
        dist = metadata.distribution(dist_name)
        out[dist_name] = {"version": dist.version, "location": str(dist.locate_file(""))}
    return out


def gpus() -> list[dict[str, Any]]:
    import torch
    out = []
    for i in range(torch.cuda.device_count()):
        p = torch.cuda.get_device_properties(i)
        out.append({"index": i, "name": p.name, "capability": f"{p.major}.{p.minor}",
                    "memory_gib": round(p.total_memory / 2**30, 1), "multiprocessors": p.multi_processor_count})
    return out


def driver() -> str | None:
    """``nvidia-smi``'s driver version, None without it."""
    if shutil.which("nvidia-smi") is None:
        return None
    proc = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                          capture_output=True, text=True, timeout=30)
    return proc.stdout.strip().splitlines()[0] if proc.returncode == 0 and proc.stdout.strip() else None


def report() -> dict[str, Any]:
    failed = import_all()
    import torch
    cuda = torch.cuda.is_available()
    return {
        "python": platform.python_version(), "executable": sys.executable, "platform": platform.platform(),
        "cpu_count": os.cpu_count(), "pythonpath": os.environ.get("PYTHONPATH", ""),
        "fashion_mnist_dir": os.environ.get("FASHION_MNIST_DIR"),
        "torch": torch.__version__, "cuda_available": cuda, "torch_cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if cuda else None,
        "nccl": ".".join(map(str, torch.cuda.nccl.version())) if cuda else None,
        "bf16_supported": torch.cuda.is_bf16_supported() if cuda else None,
        "driver": driver(), "gpus": gpus(), "import_errors": failed, "packages": imported_distributions(),
        "upsamplelab": str(Path(importlib.import_module("upsamplelab").__file__).parent),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m upsamplelab.gpu_check.environment",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="the JSON file")
    parser.add_argument("--require-cuda", action="store_true", help="exit 1 when torch sees no CUDA device")
    args = parser.parse_args(argv)
    env = report()
    args.out.write_text(json.dumps(env, indent=2) + "\n")
    gpu = ", ".join(g["name"] for g in env["gpus"]) or "none"
    print(f"GPU: {gpu}; torch {env['torch']} (CUDA {env['torch_cuda']}, cuDNN {env['cudnn']}); "
          f"Python {env['python']}; {len(env['packages'])} packages imported")
    for name, error in env["import_errors"].items():
        print(f"import {name} failed: {error}")
    return 1 if env["import_errors"] or (args.require_cuda and not env["cuda_available"]) else 0


if __name__ == "__main__":
    sys.exit(main())
