"""``python -m upsamplelab.bench`` (console script ``upsamplelab-bench``): what upsamplelab costs, measured here.

    python -m upsamplelab.bench [--quick] [--families dcgan32,unet] [--upsamplers convT_k4,...] [--compile]
                                [--device cpu|cuda] [--precision 32|bf16-mixed] [--steps N]
                                [--override trainer.log_every_n_steps=1 ...]
                                [--fid-samples 500] [--real-samples 5000] [--out results.json] [--markdown t.md]

For each model family x upsampler: raw-loop images/s in NCHW and channels_last, the full ``upsamplelab.train`` path
against the raw loop (overhead), and with ``--compile`` the raw loop with ``torch.compile``; per family the data path
against direct tensor indexing and generator sampling; then Inception throughput per backend (torch and ONNX
Runtime, on the CPU: ``bench.inception_backends``) and FID with a cold and a warm reals cache (on the backend
``metrics.inception_backend=auto`` picks).  ``--device cuda`` times on the GPU (synchronised around every timed
step), ``--precision bf16-mixed`` with bfloat16 autocast in both the raw loop and the Trainer.  Prints tables and the goals met, writes
everything as JSON (default ``outputs/bench/<time>.json``).
Run it on an otherwise idle machine: two processes on two cores slow each other down many times over.
``--quick`` (one family, two upsamplers, short timings, 16 vs 48 images for FID, 16 images twice per Inception
backend) takes about a minute.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

import torch
from rich.console import Console
from rich.progress import Progress

from ..analysis.fid_timing import inception_extractor, time_fid
from ..app.config import silence_library_noise
from ..app.machine import machine
from ..nn import build_upsampler, list_upsamplers
from . import model_timings
from .data_path import compare_with_indexing
from .device import DEVICE_TYPES, PRECISIONS, Device
from .families import FAMILIES, Family
from .goals import check
from .inception_backends import compare_backends
from .table import markdown, print_tables
from .train_path import build_task

QUICK_FAMILIES, QUICK_UPSAMPLERS = ("dcgan32_ngf16",), ("convT_k4", "resize_conv_nearest")
INCEPTION_IMAGES, INCEPTION_ROUNDS = {False: 64, True: 16}, {False: 4, True: 2}     # by --quick


def parse_names(text: str | None, allowed: Sequence[str], option: str) -> list[str] | None:
    if text is None:
        return None
    names = [n for n in text.split(",") if n]
    unknown = [n for n in names if n not in allowed]
    if unknown or not names:
        raise SystemExit(f"{option}: unknown {unknown or 'empty list'}; allowed: {', '.join(allowed)}")
    return names


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m upsamplelab.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one family, two upsamplers, short timings (~1 min)")
    parser.add_argument("--families", help=f"comma-separated, from: {', '.join(FAMILIES)}")
    parser.add_argument("--upsamplers", help="comma-separated registered names (default: all that fit a family)")
    parser.add_argument("--compile", action="store_true", help="also time the raw loop with torch.compile")
    parser.add_argument("--device", default="cpu", choices=DEVICE_TYPES, help="where to time (default cpu)")
    parser.add_argument("--precision", default="32", choices=PRECISIONS,
                        help="float32, or bfloat16 autocast in raw loop and Trainer alike (default 32)")
    parser.add_argument("--steps", type=int, help="timed steps per measurement (default: the family's; quick / 6)")
    parser.add_argument("--fid-samples", type=int, help="generated images for FID (default 500; quick 16)")
    parser.add_argument("--real-samples", type=int, help="reference images for FID (default 5000; quick 48)")
    parser.add_argument("--no-fid", action="store_true", help="skip the FID timings")
    parser.add_argument("--override", action="append", default=[], metavar="KEY=VALUE",
                        help="a Hydra override for every timed config, e.g. trainer.log_every_n_steps=1 (repeatable)")
    parser.add_argument("--out", type=Path, help="the JSON file (default outputs/bench/<time>.json)")
    parser.add_argument("--markdown", type=Path, help="also write the tables as Markdown to this file")
    args = parser.parse_args(argv)
    args.families = parse_names(args.families, list(FAMILIES), "--families") or list(
        QUICK_FAMILIES if args.quick else FAMILIES)
    args.upsamplers = parse_names(args.upsamplers, list_upsamplers(), "--upsamplers") or (
        list(QUICK_UPSAMPLERS) if args.quick else None)
    args.fid_samples = args.fid_samples or (16 if args.quick else 500)
    args.real_samples = args.real_samples or (48 if args.quick else 5000)
    for key in ("fid_samples", "real_samples"):
        if getattr(args, key) < 2:
            raise SystemExit(f"--{key.replace('_', '-')} must be >= 2 (FID needs a covariance)")
    if args.steps is not None and args.steps < 1:
        raise SystemExit(f"--steps must be >= 1, got {args.steps}")
    try:
        args.timing_device = Device(args.device, args.precision)
    except ValueError as err:
        raise SystemExit(str(err)) from None
    return args


def bench_family(family: Family, upsamplers: list[str] | None, quick: bool, compile_: bool,
                 progress: Progress, device: Device = Device(),
                 steps: int | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    steps = steps or (max(4, family.steps // 6) if quick else family.steps)
    names = [u for u in family.upsamplers() if upsamplers is None or u in upsamplers]
    task = progress.add_task(family.name, total=len(names) + 1)
    rows = []
    for upsampler in names:
        progress.update(task, description=f"{family.name} / {upsampler}")
        row = {"family": family.name, "upsampler": upsampler,
               "upsampler_family": build_upsampler(upsampler, 4, 4, family.single_upsampler or 2).family,
               **model_timings.memory_formats(family, upsampler, steps, device),
               **model_timings.framework_overhead(family, upsampler, steps, device)}
        if compile_:
            row["compiled_images_per_s"] = model_timings.compiled(family, upsampler, steps, row["channels_last"],
                                                                  device)
        rows.append(row)
        progress.advance(task)
    progress.update(task, description=f"{family.name} / data path, sampling")
    first = names[0] if names else "convT_k4"
    datamodule, _ = build_task(family, first)
    images, targets = datamodule.part("train")
    summary = {"family": family.name, "description": family.description, "batch_size": family.batch_size,
               "data_path": compare_with_indexing(images, targets, family.batch_size, repeats=3 if quick else 10),
               "sampling_images_per_s": model_timings.sampling_images_per_s(family, first, 64 if quick else 512,
                                                                            device)}
    progress.advance(task)
    return rows, summary


def bench_fid(fid_samples: int, real_samples: int, device: str, quick: bool) -> dict[str, Any]:
    """On Fashion-MNIST training images (32 px) standing in for generated ones: with ``device`` "cpu", Inception
    images/s per backend (``compare_backends``, under "inception_backends"); ``time_fid`` with the backend
    ``metrics.inception_backend=auto`` picks."""
    datamodule, _ = build_task(FAMILIES["dcgan32"], "convT_k4")
    images = datamodule.real_images("train", fid_samples + real_samples)
    fid = time_fid(images[:fid_samples], images[fid_samples:], inception_extractor("auto"))
    if device == "cpu":
        fid["inception_backends"] = compare_backends(images[:INCEPTION_IMAGES[quick]], rounds=INCEPTION_ROUNDS[quick])
    return fid


def quiet() -> None:
    """Keep the console for the tables: no per-run Lightning chatter, no warnings about the short timing runs."""
    silence_library_noise()
    for name in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    for message in (r"The number of training batches .* is smaller than the logging interval",
                    r"FID from .* is biased"):
        warnings.filterwarnings("ignore", message=message)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    os.environ.setdefault("PROJECT_ROOT", str(Path.cwd()))       # data, FID cache and outputs under ./, as train
    quiet()
    start = time.perf_counter()
    result: dict[str, Any] = {"command": " ".join(["python -m upsamplelab.bench", *(argv or sys.argv[1:])]),
                              "machine": machine(), "quick": args.quick, "device": args.device,
                              "precision": args.precision, "overrides": args.override, "models": [], "families": []}
    with Progress(console=Console(stderr=True), transient=True) as progress:   # Lightning's bars use the global one
        for name in args.families:
            family = replace(FAMILIES[name], overrides=(*FAMILIES[name].overrides, *args.override))
            rows, summary = bench_family(family, args.upsamplers, args.quick, args.compile, progress,
                                         args.timing_device, args.steps)
            result["models"] += rows
            result["families"].append(summary)
        if not args.no_fid:
            progress.add_task(f"FID {args.fid_samples} vs {args.real_samples}", total=None)
            result["fid"] = bench_fid(args.fid_samples, args.real_samples, args.device, args.quick)
    result["goals"] = check(result["models"], result["families"], result.get("fid"), device_type=args.device)
    result["wall_time_s"] = time.perf_counter() - start
    out = args.out or Path("outputs") / "bench" / f"{time.strftime('%Y-%m-%d_%H-%M-%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    if args.markdown:
        args.markdown.write_text(markdown(result))
    print_tables(result, Console(width=None if sys.stdout.isatty() else 160))
    print(f"{len(result['models'])} model timings in {result['wall_time_s']:.0f} s; JSON: {out}")
    return result
