"""Inception images/s per backend (``metrics.inception_backend``: torch and ONNX Runtime) on the CPU, side by side.

Both extractors (the weights ``metrics.extractor=auto`` picks) extract the features of the same images, one whole
pass each in turns for ``rounds`` rounds after a one-batch warm-up each, so that the drift of a shared CPU's speed
falls on both alike; images/s is from each backend's median pass.  The largest difference between their features,
relative to the largest feature, says that they compute the same thing.
"""
from __future__ import annotations

import statistics
import time
from typing import Any

import torch
from torch import Tensor

from ..analysis.fid_timing import inception_extractor
from ..metrics.fidelity import CPU_UNIT, extract_features
from ..metrics.inception import RUNTIMES


def compare_backends(images: Tensor, batch_size: int = 32, rounds: int = 4) -> dict[str, Any]:
    """Images/s of each of ``RUNTIMES`` extracting ``images`` on the CPU, their ratio and their features' largest
    relative difference.  ``batch_size`` in the result is the images per call (at most ``CPU_UNIT`` on the CPU)."""
    extractors = {backend: inception_extractor(backend, "cpu") for backend in RUNTIMES}
    seconds: dict[str, list[float]] = {backend: [] for backend in RUNTIMES}
    features: dict[str, Tensor] = {}
    for model in extractors.values():
        extract_features(images[:batch_size], model, batch_size=batch_size)
    for _ in range(rounds):
        for backend, model in extractors.items():
            start = time.perf_counter()
            features[backend] = extract_features(images, model, batch_size=batch_size)[0]
            seconds[backend].append(time.perf_counter() - start)
    per_s = {backend: len(images) / statistics.median(s) for backend, s in seconds.items()}
    torch_features = features["torch"]
    difference = (features["onnxruntime"] - torch_features).abs().max() / torch_features.abs().max()
    return {"extractor": extractors["torch"].get_name(), "num_images": len(images),
            "batch_size": min(batch_size, CPU_UNIT),
            "rounds": rounds, "threads": torch.get_num_threads(), "images_per_s": per_s,
            "speedup": per_s["onnxruntime"] / per_s["torch"], "max_relative_difference": float(difference)}
