"""The GPU check's steps: what each runs, what it writes, and the seconds it may take on one H100/H200.

Each step is one ``python`` subprocess, stopped at its budget (``runner``), so a hung or failing step costs at
most its budget and the next step still runs.  The budgets add up to ``TOTAL_BUDGET_S`` = 8 minutes; the order
puts the compile timings, the most likely to run long, last, and they cover DCGAN-32 only (each upsampler's
generator and discriminator compile afresh, tens of seconds each).  The dry run (``plan(dry_run=True)``) runs the
same commands on the CPU at tiny sizes, except the torch.compile timings (a minute of compilation on a 2-core CPU),
each with ``DRY_RUN_BUDGET_FACTOR`` times its budget: it checks that the steps work, not how fast.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

TOTAL_BUDGET_S = 480
DRY_RUN_BUDGET_FACTOR = 10      # a dry run checks the steps on a (possibly loaded) CPU, not their H100 budgets
BENCH_UPSAMPLERS = "convT_k4,resize_conv_nearest,pixel_shuffle_icnr"    # one per family: transposed, resize, shuffle


@dataclass(frozen=True)
class Step:
    name: str
    what: str                       # one line for the summary
    budget_s: int
    args: tuple[str, ...]           # the arguments after ``python``
    output: Optional[str] = None    # the file it writes, relative to the output folder
    skip: Optional[str] = None      # why it does not run (dry run only)


def bench(name: str, what: str, budget_s: int, dry_run: bool, *extra: str, families: str = "dcgan32,dcgan64",
          skip: Optional[str] = None) -> Step:
    """A ``python -m upsamplelab.bench`` step: ``families`` (DCGAN-32 with ngf 64, DCGAN-64) with three upsamplers
    on the GPU; one small family, one upsampler, two steps on the CPU in a dry run."""
    sizes = (("--device", "cpu", "--quick", "--families", "dcgan32_ngf16", "--upsamplers", "convT_k4", "--steps", "2")
             if dry_run else
             ("--device", "cuda", "--families", families, "--upsamplers", BENCH_UPSAMPLERS, "--steps", "50"))
    return Step(name, what, budget_s, ("-m", "upsamplelab.bench", *sizes, "--no-fid", *extra,
                                       "--out", f"{name}.json", "--markdown", f"{name}.md"), f"{name}.json", skip)


def plan(dry_run: bool) -> list[Step]:
    """The steps in order; their commands write into the current directory (the runner runs them in the output
    folder, with the repository's ``src`` on PYTHONPATH)."""
    tests = Path(__file__).resolve().parents[3] / "tests" / "test_gpu.py"
    steps = [
        Step("environment", "GPU, driver, torch, CUDA, cuDNN, NCCL; every imported package's version and location",
             15, ("-m", "upsamplelab.gpu_check.environment", "--out", "environment.json",
                  *(() if dry_run else ("--require-cuda",))), "environment.json"),
        Step("gpu_tests", "pytest -m gpu: bf16 AMP, channels_last, compile, one-process DDP, divergence guard, "
             "deterministic resume", 135,
             ("-m", "pytest", "-m", "gpu", str(tests), "-q", "-rs", "-p", "no:cacheprovider",
              "--junitxml", "gpu_tests.xml"), "gpu_tests.xml"),
        bench("bench_fp32", "raw loop vs framework, NCHW vs channels_last, float32", 80, dry_run,
              "--precision", "32"),
        bench("bench_bf16", "raw loop vs framework, NCHW vs channels_last, bf16 autocast", 80, dry_run,
              "--precision", "bf16-mixed"),
        Step("train_fid", "DCGAN on Fashion-MNIST with FID every epoch, then FID timed", 70,
             ("-m", "upsamplelab.gpu_check.train_fid", "--out", "train_fid",
              *(("--dry-run", "--epochs", "1", "--extractor", "stand-in") if dry_run else ("--epochs", "2"))),
             "train_fid/train_fid.json"),
        bench("bench_compile", "torch.compile on/off (raw loop), float32, DCGAN-32 only (compiling is slow)", 100,
              dry_run, "--precision", "32", "--compile", families="dcgan32",
              skip="dry run: compiling costs about a minute on a 2-core CPU" if dry_run else None),
    ]
    return [replace(s, budget_s=s.budget_s * DRY_RUN_BUDGET_FACTOR) for s in steps] if dry_run else steps
