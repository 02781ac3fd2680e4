"""Timings of one model family with one upsampler: memory formats, torch.compile, the framework's overhead, sampling.

Per-step timings alternate between the two things compared (one step each, in turns), so that the drift of a shared
CPU's speed cancels out of their ratio.  Every timing runs on ``device`` (``bench.device``: CPU or CUDA, float32 or
bf16 autocast).
"""
from __future__ import annotations

import time
from typing import Optional

from ..lightning import GANModule
from ..lightning.performance import compile_networks
from .device import Device
from .families import Family
from .raw_loop import RawLoop
from .train_path import build_task, interleaved_timings


def images_per_s(batch_size: int, seconds: list[float]) -> float:
    return batch_size * len(seconds) / sum(seconds)


def memory_formats(family: Family, upsampler: str, steps: int, device: Device = Device()) -> dict[str, float]:
    """Raw-loop images/s in NCHW and in channels_last: two copies of the model (same seed, same weights), one step
    of each in turns after a warm-up step each."""
    loops = []
    for channels_last in (False, True):
        datamodule, module = build_task(family, upsampler)
        images, targets = datamodule.part("train")
        loops.append(RawLoop(module, images, targets, batch_size=family.batch_size, channels_last=channels_last,
                             device=device))
    seconds: list[list[float]] = [[], []]
    for loop in loops:
        loop.timed_step()
    for _ in range(steps):
        for loop, out in zip(loops, seconds):
            out.append(loop.timed_step())
    nchw, cl = (images_per_s(family.batch_size, s) for s in seconds)
    return {"raw_nchw_images_per_s": nchw, "raw_channels_last_images_per_s": cl, "channels_last_speedup": cl / nchw}


def framework_overhead(family: Family, upsampler: str, steps: int,
                       device: Device = Device()) -> dict[str, float | bool]:
    """The full ``upsamplelab.train`` path against the raw loop, step by step in turns (``Interleaved``), in the
    memory format the model config chooses (``model.channels_last=auto``)."""
    timings = interleaved_timings(family, upsampler, steps=steps, device=device)
    framework = images_per_s(timings["batch_size"], timings["framework_s"])
    raw = images_per_s(timings["batch_size"], timings["raw_s"])
    return {"channels_last": timings["channels_last"], "framework_images_per_s": framework,
            "raw_images_per_s": raw, "overhead": raw / framework - 1}


def compiled(family: Family, upsampler: str, steps: int, channels_last: bool,
             device: Device = Device()) -> Optional[float]:
    """Raw-loop images/s with every network ``torch.compile``d (None when compilation fails here), after two
    warm-up steps that pay the compilation."""
    datamodule, module = build_task(family, upsampler)
    compile_networks(module)
    images, targets = datamodule.part("train")
    loop = RawLoop(module, images, targets, batch_size=family.batch_size, channels_last=channels_last,
                   device=device)
    try:
        loop.timed_step()
        loop.timed_step()
    except Exception:                                      # noqa: BLE001 - "where it works": report, don't stop
        return None
    return images_per_s(family.batch_size, [loop.timed_step() for _ in range(steps)])


def sampling_images_per_s(family: Family, upsampler: str, n: int, device: Device = Device()) -> Optional[float]:
    """Generator images/s in eval mode (``GANModule.sample``, as FID draws them); None for other tasks."""
    _, module = build_task(family, upsampler)
    if not isinstance(module, GANModule):
        return None
    module.eval().to(device.type)
    with device.autocast():
        module.sample(min(n, 64))                           # warm-up
        device.synchronize()
        start = time.perf_counter()
        module.sample(n)
        device.synchronize()
    return n / (time.perf_counter() - start)
