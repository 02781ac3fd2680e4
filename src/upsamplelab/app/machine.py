"""The machine a run or a benchmark ran on: CPU model, cores, torch threads, GPU, and the versions that decide its
speed and its last float bits.  Recorded in ``run.json`` and in ``upsamplelab.bench``'s JSON, so a wall time or a
throughput can be read with the machine that measured it (one study's seeds may run on several)."""
from __future__ import annotations

import os
import platform
from importlib.metadata import version
from pathlib import Path
from typing import Any

import torch

from ..metrics.onnx_runtime import missing_packages

CPUINFO = Path("/proc/cpuinfo")


def cpu_model() -> str:
    """The CPU's model name (Linux: ``/proc/cpuinfo``; elsewhere ``platform.processor()``, possibly "")."""
    if CPUINFO.exists():
        for line in CPUINFO.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def machine() -> dict[str, Any]:
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
            "python": platform.python_version(), "platform": platform.platform(),
            **{name: version(name) for name in ("torch", "pytorch-lightning", "torch-fidelity", "hydra-core")},
            "onnxruntime": None if "onnxruntime" in missing_packages() else version("onnxruntime")}
