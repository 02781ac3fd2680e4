"""The performance goals the benchmark checks (issue 6), each from measured numbers of one run."""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from ..lightning.performance import CHANNELS_LAST_FASTER

OVERHEAD_LIMITS = {"dcgan32": 0.03, "dcgan32_ngf16": 0.08}      # full training path vs the raw loop
DATA_PATH_MIN_RATIO = 0.97
FID_MIN_SPEEDUP = 5.0
ONNX_MIN_SPEEDUP = 1.8                                           # Inception, ONNX Runtime vs torch, CPU (issue 27)


def channels_last_by_family(models: list[dict[str, Any]]) -> dict[str, float]:
    """Geometric mean over model families of the channels_last speed-up, per upsampler family."""
    logs: dict[str, list[float]] = defaultdict(list)
    for row in models:
        logs[row["upsampler_family"]].append(math.log(row["channels_last_speedup"]))
    return {family: math.exp(sum(v) / len(v)) for family, v in logs.items()}


def check(models: list[dict[str, Any]], families: list[dict[str, Any]], fid: dict[str, Any],
          device_type: str = "cpu") -> list[dict[str, Any]]:
    """One entry per goal whose inputs were measured: ``goal``, ``measured``, ``target``, ``met``."""
    goals = []
    for family, limit in OVERHEAD_LIMITS.items():
        overheads = [row["overhead"] for row in models if row["family"] == family]
        if overheads:
            worst = max(overheads)
            goals.append({"goal": f"{family}: full training path vs raw loop, slowest upsampler",
                          "measured": f"{worst:+.1%}", "target": f"<= +{limit:.0%}", "met": worst <= limit})
    ratios = [f["data_path"]["ratio"] for f in families]
    if ratios:
        goals.append({"goal": "in-memory data path vs direct tensor indexing, worst family",
                      "measured": f"{min(ratios):.1%}", "target": f">= {DATA_PATH_MIN_RATIO:.0%}",
                      "met": min(ratios) >= DATA_PATH_MIN_RATIO})
    if fid:
        goals.append({"goal": f"FID {fid['num_fake']} vs {fid['num_real']}: cold / warm reals cache",
                      "measured": f"{fid['speedup']:.1f}x", "target": f">= {FID_MIN_SPEEDUP:.0f}x",
                      "met": fid["speedup"] >= FID_MIN_SPEEDUP})
    backends = (fid or {}).get("inception_backends")
    if backends:
        goals.append({"goal": "Inception on the CPU: ONNX Runtime vs torch, images/s",
                      "measured": f"{backends['speedup']:.2f}x", "target": f">= {ONNX_MIN_SPEEDUP}x",
                      "met": backends["speedup"] >= ONNX_MIN_SPEEDUP})
    chosen = CHANNELS_LAST_FASTER.get(device_type, {})
    for family, speedup in channels_last_by_family(models).items():
        goals.append({"goal": f"model.channels_last=auto for {family} on {device_type} "
                              f"({'channels_last' if chosen.get(family) else 'NCHW'})",
                      "measured": f"channels_last {speedup:.2f}x NCHW", "target": "auto picks the faster",
                      "met": chosen.get(family, False) == (speedup > 1)})
    return goals
