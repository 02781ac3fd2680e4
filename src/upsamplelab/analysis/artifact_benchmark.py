"""Do the artifact metrics see checkerboards?  Validation against injected ground truth.

    python -m upsamplelab.analysis.artifact_benchmark [--out DIR] [--quick] [--n 800] [--size 32]
        [--datasets fashion_mnist mnist nuclei] [--checkpoints RUN/checkpoints/last.ckpt ...]

For each dataset, three disjoint sets of ``n`` real images (seeded): a reference R, clean images C and images A
that receive the artifacts of ``artifact_injection.KINDS`` at each amplitude (relative to each image's std).

- Per image: each metric's per-image score (``artifact_bench_metrics``) of the artifact images against that of C gives a
  ROC-AUC (0.5: blind, 1: every artifact image scores above every clean one); per kind, the smallest amplitude
  whose AUC reaches 0.9.
- Per set: each metric's set-level value (what training logs: ``stride_band_excess`` and ``stride_peak_excess``
  against R, the mean phase energy and contrast, ``spectral_distance`` to R), for the artifact sets and for the
  clean controls of ``artifact_injection.CONTROLS`` applied to A; all but the spectral distance with a 95 %
  percentile-bootstrap interval.  The controls also get a false-alarm AUC (control vs C).
- The peak check: circularly [1, 2, 1]-blurred images, alone and plus sign-varying cosines of periods 8, 4 and 2
  at 0.08 std each, against R.
- ``--checkpoints``: ``n`` samples of each trained GAN generator against the run's real test images.

Writes ``report.md`` (``artifact_report``), ``artifact_metrics.csv`` (one row per case, metric) and
``artifact_auc.png`` into ``--out``.  ``--quick``: 96 images, Fashion-MNIST, four amplitudes (the test).
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Optional, Sequence

import torch
from rich.progress import track
from sklearn.metrics import roc_auc_score
from torch import Tensor

from ..metrics import ExcessCI, stride_band_energy, stride_periods
from ..metrics.registry import METRICS
from .artifact_bench_metrics import BENCH_METRICS, N_BOOT
from .artifact_injection import CONTROLS, KINDS, overlap_pattern, smooth_field, unit_rms
from .artifact_report import write_outputs
from .artifact_results import PEAK_AMPLITUDE, Results, Row

DEFAULT_OUT = Path("docs/results/artifact_metrics")
AMPLITUDES = (0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)
QUICK_AMPLITUDES = (0.05, 0.1, 0.15, 0.3)
PEAK_PERIODS = (8, 4, 2)


def load_dataset(name: str, size: int) -> Tensor:
    """All available real images of ``name`` at ``size`` px, float64 (Fashion-MNIST and MNIST: the test split,
    28 px padded; nuclei: the training strip's tiles every 8 px)."""
    from ..data import FashionMNISTDataModule, MNISTDataModule, NucleiDataModule
    modules = {"fashion_mnist": lambda: FashionMNISTDataModule(image_size=size).real_images("test"),
               "mnist": lambda: MNISTDataModule(image_size=size).real_images("test"),
               "nuclei": lambda: NucleiDataModule(image_size=size, stride=8).real_images("train")}
    return modules[name]().double()


DATASETS = ("fashion_mnist", "mnist", "nuclei")


def auc(positive: Tensor, negative: Tensor) -> float:
    """ROC-AUC of scores ``positive`` (label 1) against ``negative`` (label 0); NaN scores count as lowest."""
    scores = torch.cat([positive, negative]).double().nan_to_num(nan=-math.inf, neginf=-1e300, posinf=1e300)
    labels = [1] * len(positive) + [0] * len(negative)
    return float(roc_auc_score(labels, scores.numpy()))


def _set_row(row: Row, value: float | ExcessCI) -> Row:
    if isinstance(value, ExcessCI):
        row.value, row.low, row.high = value.value, value.low, value.high
    else:
        row.value = value
    return row


def split_sets(images: Tensor, n: int, seed: int) -> tuple[Tensor, Tensor, Tensor]:
    """Three disjoint seeded sets of ``n`` images: reference R, clean C, artifact base A."""
    if len(images) < 3 * n:
        raise ValueError(f"--n {n} needs {3 * n} images, the dataset has {len(images)}")
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:3 * n]
    return images[order[:n]], images[order[n:2 * n]], images[order[2 * n:]]


def blur121(images: Tensor) -> Tensor:
    """Circular separable [1, 2, 1] / 4 blur of each channel."""
    return _blur_axis(_blur_axis(images.to(torch.float64), -1), -2)


def _blur_axis(x: Tensor, dim: int) -> Tensor:
    return (x.roll(1, dim) + 2 * x + x.roll(-1, dim)) / 4


def stride_cosines(images: Tensor, amplitude: float, generator: torch.Generator,
                   periods: Sequence[int] = PEAK_PERIODS, scale: float = 0.25) -> Tensor:
    """Sum over ``periods`` of amplitude * std(x) * unit_rms((cos(2 pi y / p) + cos(2 pi x / p)) * field), each
    with its own smooth random field (``smooth_field`` at ``scale``)."""
    n, _, h, w = images.shape
    y, x = torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64), indexing="ij")
    std = images.std(dim=(1, 2, 3), keepdim=True, unbiased=False)
    return sum(amplitude * std * unit_rms((torch.cos(2 * math.pi * y / p) + torch.cos(2 * math.pi * x / p))
                                          * smooth_field(n, h, w, generator, scale)) for p in periods)


def run_dataset(results: Results, dataset: str, images: Tensor, n: int, amplitudes: Sequence[float], seed: int,
                periods: tuple[int, ...]) -> None:
    """Every artifact kind and amplitude, every control and the peak check, for one dataset."""
    reference, clean, base = split_sets(images, n, seed)
    g = torch.Generator().manual_seed(seed + 1)
    clean_scores: dict[tuple[str, int], Tensor] = {}

    def score(group: str, case: str, amplitude: Optional[float], treated: Tensor, period: int) -> None:
        for m in BENCH_METRICS.values():
            key = (m.name, period)
            if key not in clean_scores:
                clean_scores[key] = m.per_image(clean, period, periods, reference)
            row = Row(dataset, group, case, amplitude, m.name,
                      auc=auc(m.per_image(treated, period, periods, reference), clean_scores[key]))
            results.rows.append(_set_row(row, m.set_value(treated, reference, period, periods)))

    cases = [(kind, a) for kind in KINDS.values() for a in amplitudes]
    for kind, a in track(cases, description=f"{dataset}: artifacts", transient=True):
        score("artifact", kind.name, a, kind.inject(base, a, g), kind.period)
    for name, control in track(list(CONTROLS.items()), description=f"{dataset}: controls", transient=True):
        score("control", name, None, control(base, g), 2)
    blurred = blur121(base)
    peak_cases = {"real": base, "blurred": blurred,
                  "blurred + cosines (field size/4)": blurred + stride_cosines(blurred, PEAK_AMPLITUDE, g),
                  "blurred + cosines (field size/8)": blurred + stride_cosines(blurred, PEAK_AMPLITUDE, g,
                                                                               scale=0.125)}
    for name, treated in peak_cases.items():
        for m in BENCH_METRICS.values():
            results.rows.append(_set_row(Row(dataset, "peak_check", name, None, m.name),
                                         m.set_value(treated, reference, 2, periods)))


def run_checkpoints(results: Results, paths: Sequence[Path], n: int, seed: int) -> None:
    """``n`` samples of each checkpoint's generator against the first ``n`` real test images of its run, and the
    next ``n`` real test images against the same reference (real vs real)."""
    from ..lightning.base import upsampling_periods
    from .gan_checkpoint import load_gan_run
    for path in track(list(paths), description="checkpoints", transient=True):
        run = load_gan_run(path)
        real = run.real_images("test", 2 * n).double()
        reference, other = real[:n], real[n:]
        periods = upsampling_periods(run.generator)
        for case, images in ((f"{run.upsampler} ({path})", run.sample(n, seed).double()),
                             (f"real vs real ({path})", other)):
            for m in BENCH_METRICS.values():
                results.rows.append(_set_row(Row("checkpoints", "checkpoint", case, None, m.name),
                                             m.set_value(images, reference, 2, periods)))


def must_hold(results: Results, n: int, seed: int, size: int) -> None:
    """The issue's acceptance numbers on Fashion-MNIST (``results.checks``); real against real must stay within the
    registry's margins (the equivalence margins of the report)."""
    get = results.get
    fm = "fashion_mnist"
    band, peak = METRICS["stride_band_excess"].margin, METRICS["stride_peak_excess"].margin
    checks = [
        ("stride_band_excess, sign_field at 0.1 std", get(fm, "artifact", "sign_field", "stride_band", 0.1).value,
         ">= 0.15", lambda v: v >= 0.15),
        ("stride_band_energy AUC, sign_field at 0.15 std", get(fm, "artifact", "sign_field", "stride_band",
                                                               0.15).auc, ">= 0.9", lambda v: v >= 0.9),
        ("stride_band_excess, real vs real", get(fm, "control", "real", "stride_band").value, f"|x| <= {band}",
         lambda v: abs(v) <= band),
        ("stride_band_excess, bilinear-resized vs real", get(fm, "control", "bilinear_resized", "stride_band").value,
         "<= 0", lambda v: v <= 0),
        ("stride_peak_excess, blurred + cosines at 0.08 std (field size/4)",
         get(fm, "peak_check", "blurred + cosines (field size/4)", "stride_peak").value, ">= 0.03",
         lambda v: v >= 0.03),
        ("stride_peak_excess, blurred alone", get(fm, "peak_check", "blurred", "stride_peak").value, f"<= {peak}",
         lambda v: v <= peak),
        ("stride_peak_excess, real vs real", get(fm, "peak_check", "real", "stride_peak").value, f"|x| <= {peak}",
         lambda v: abs(v) <= peak),
    ]
    fields = unit_rms(overlap_pattern(size, size) * smooth_field(n, size, size, torch.Generator().manual_seed(seed)))
    gap = float((stride_band_energy(fields) - stride_band_energy(-fields)).abs().max())
    checks.append(("max |energy(pattern field) - energy(-pattern field)|", gap, "== 0", lambda v: v == 0))
    results.checks = [(what, value, target, bool(ok(value))) for what, value, target, ok in checks]


def run_benchmark(out: Path, n: int = 800, size: int = 32, datasets: Sequence[str] = DATASETS,
                  amplitudes: Sequence[float] = AMPLITUDES, checkpoints: Sequence[Path] = (), n_samples: int = 1000,
                  seed: int = 0, command: str = "") -> Path:
    """Run everything, write the CSV, the figure and report.md into ``out``; returns report.md's path."""
    if size < 16 or size & (size - 1):
        raise ValueError(f"--size must be a power of two >= 16, got {size}")
    periods = stride_periods(int(math.log2(size)) - 2)
    results = Results({"n": n, "size": size, "datasets": list(datasets), "amplitudes": list(amplitudes),
                       "seed": seed, "periods": periods, "n_boot": N_BOOT, "command": command})
    for dataset in datasets:
        run_dataset(results, dataset, load_dataset(dataset, size), n, amplitudes, seed, periods)
    if "fashion_mnist" in datasets and {0.1, 0.15} <= set(amplitudes):
        must_hold(results, n, seed, size)
    if checkpoints:
        run_checkpoints(results, checkpoints, n_samples, seed)
    return write_outputs(results, out)


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--quick", action="store_true", help="96 images, Fashion-MNIST, 4 amplitudes")
    parser.add_argument("--n", type=int, default=800, help="images per set (reference, clean, artifact)")
    parser.add_argument("--size", type=int, default=32, help="image size (a power of two)")
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--checkpoints", nargs="*", type=Path, default=[], help="GAN checkpoints to sample")
    parser.add_argument("--samples", type=int, default=1000, help="samples per checkpoint")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.n < 2 or args.samples < 2:
        parser.error(f"--n and --samples must be >= 2, got {args.n} and {args.samples}")
    n, datasets, amplitudes = (96, ["fashion_mnist"], QUICK_AMPLITUDES) if args.quick else \
        (args.n, args.datasets, AMPLITUDES)
    command = " ".join(["python -m upsamplelab.analysis.artifact_benchmark", *(argv if argv is not None else
                                                                               sys.argv[1:])])
    report = run_benchmark(args.out, n, args.size, datasets, amplitudes, args.checkpoints, args.samples, args.seed,
                           command.strip())
    print(f"artifact-metric benchmark written to {report.resolve()}")
    return report


if __name__ == "__main__":
    main()
