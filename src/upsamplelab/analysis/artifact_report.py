"""The outputs of ``artifact_benchmark``: ``artifact_metrics.csv``, ``artifact_auc.png`` and ``report.md``."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Optional

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .artifact_bench_metrics import BENCH_METRICS  # noqa: E402
from .artifact_results import AUC_TARGET, PEAK_AMPLITUDE, Results, Row  # noqa: E402
from .artifact_injection import CONTROLS, FIELD_SCALE, JPEG_QUALITY, KINDS, NOISE_STD  # noqa: E402

CSV_NAME, FIGURE_NAME = "artifact_metrics.csv", "artifact_auc.png"
CSV_COLUMNS = ("dataset", "group", "case", "amplitude", "metric", "auc", "value", "ci_low", "ci_high")


def write_outputs(results: Results, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    write_csv(results, out / CSV_NAME)
    plot_auc(results, out / FIGURE_NAME)
    report = out / "report.md"
    report.write_text(render(results))
    return report


def write_csv(results: Results, path: Path) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for r in results.rows:
            writer.writerow([r.dataset, r.group, r.case, _cell(r.amplitude), r.metric, _cell(r.auc), _cell(r.value),
                             _cell(r.low), _cell(r.high)])


def _cell(value: Optional[float]) -> str:
    return "" if value is None else repr(value)


def datasets(results: Results) -> list[str]:
    return list(dict.fromkeys(r.dataset for r in results.rows if r.group == "artifact"))


def plot_auc(results: Results, path: Path) -> None:
    """Per-image ROC-AUC against amplitude: one row per dataset, one column per artifact kind, a line per metric."""
    rows, kinds = datasets(results), list(KINDS)
    fig, axes = plt.subplots(len(rows), len(kinds), squeeze=False, sharey=True,
                             figsize=(3.0 * len(kinds), 2.6 * len(rows) + 0.6))
    for i, dataset in enumerate(rows):
        for j, kind in enumerate(kinds):
            ax = axes[i][j]
            for metric in BENCH_METRICS:
                points = [(r.amplitude, r.auc) for r in results.rows
                          if (r.dataset, r.group, r.case, r.metric) == (dataset, "artifact", kind, metric)]
                ax.plot(*zip(*points), marker="o", markersize=3, label=BENCH_METRICS[metric].per_image_label)
            ax.axhline(AUC_TARGET, color="grey", linestyle=":", linewidth=1)
            ax.set_xscale("log")
            ax.set_xticks(results.settings["amplitudes"], [f"{a:g}" for a in results.settings["amplitudes"]],
                          fontsize=7, rotation=60)
            ax.minorticks_off()
            ax.set_ylim(0.3, 1.02)
            ax.set_title(f"{dataset}: {kind}", fontsize=9)
            ax.set_xlabel("amplitude (× image std)", fontsize=8)
        axes[i][0].set_ylabel("per-image ROC-AUC", fontsize=8)
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.suptitle("Artifact vs clean real images: per-image ROC-AUC of each metric (dotted: 0.9)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def fmt_set(r: Row) -> str:
    if r.low is None:
        return f"{r.value:.4f}"
    return f"{r.value:+.4f} [{r.low:+.4f}, {r.high:+.4f}]"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|---" + "|--:" * (len(header) - 1) + "|",
            *("| " + " | ".join(row) + " |" for row in rows), ""]


def _rows(results: Results, dataset: str, group: str) -> dict[tuple[str, Optional[float]], dict[str, Row]]:
    cases: dict[tuple[str, Optional[float]], dict[str, Row]] = {}
    for r in results.rows:
        if r.dataset == dataset and r.group == group:
            cases.setdefault((r.case, r.amplitude), {})[r.metric] = r
    return cases


def smallest_amplitude(results: Results, dataset: str, kind: str, metric: str) -> str:
    hits = sorted(r.amplitude for r in results.rows if (r.dataset, r.group, r.case, r.metric)
                  == (dataset, "artifact", kind, metric) and r.auc >= AUC_TARGET)
    top = max(results.settings["amplitudes"])
    return f"{hits[0]:g}" if hits else f"> {top:g}"


def render(results: Results) -> str:
    s = results.settings
    names = list(BENCH_METRICS)
    lines = ["# Artifact metrics against injected ground truth", "",
             f"Command: `{s['command']}`", "",
             f"{s['n']} images per set, {s['size']} px, seed {s['seed']}; stride-peak periods {tuple(s['periods'])} "
             f"(the x2 layers of a {s['size']}-px DCGAN generator); bootstrap intervals: 95 % percentile, "
             f"{s['n_boot']} resamples. Smooth fields: Gaussian sigma = {FIELD_SCALE:g} × image size. Kinds: "
             + "; ".join(f"`{k.name}` ({k.description}, period {k.period})" for k in KINDS.values())
             + f". Controls: {', '.join(f'`{c}`' for c in CONTROLS)} (noise at {NOISE_STD:g} std, JPEG quality "
             f"{JPEG_QUALITY}).", ""]
    if results.checks:
        lines += ["## Must hold (Fashion-MNIST)", ""]
        lines += table(["check", "measured", "target", "holds"],
                       [[what, f"{value:+.4f}" if what != "max |energy(pattern field) - energy(-pattern field)|"
                         else f"{value:.3g}", target, "yes" if ok else "**NO**"]
                        for what, value, target, ok in results.checks])
    for dataset in datasets(results):
        lines += [f"## {dataset}", "", f"### Smallest amplitude (× image std) reaching per-image AUC ≥ {AUC_TARGET}",
                  ""]
        lines += table(["kind", *(BENCH_METRICS[m].per_image_label for m in names)],
                       [[f"`{k}`", *(smallest_amplitude(results, dataset, k, m) for m in names)] for k in KINDS])
        lines += ["### Per-image ROC-AUC (artifact vs clean) and the set-level excesses against R", ""]
        cases = _rows(results, dataset, "artifact")
        lines += table(["kind", "amplitude", *(f"AUC {BENCH_METRICS[m].per_image_label}" for m in names),
                        "stride_band_excess", "stride_peak_excess"],
                       [[f"`{case}`", f"{a:g}", *(f"{by[m].auc:.3f}" for m in names),
                         f"{by['stride_band'].value:+.3f}", f"{by['stride_peak'].value:+.3f}"]
                        for (case, a), by in cases.items()])
        lines += ["### Clean controls: set-level value against R (false-alarm AUC against clean images)", ""]
        cases = _rows(results, dataset, "control")
        lines += table(["control", *(BENCH_METRICS[m].set_label for m in names)],
                       [[f"`{case}`", *(f"{fmt_set(by[m])} ({by[m].auc:.2f})" for m in names)]
                        for (case, _), by in cases.items()])
        lines += [f"### Peak check: blurred images plus sign-varying cosines (periods 8, 4, 2; "
                  f"{PEAK_AMPLITUDE:g} std each) against R", ""]
        cases = _rows(results, dataset, "peak_check")
        lines += table(["images", *(BENCH_METRICS[m].set_label for m in names)],
                       [[case, *(fmt_set(by[m]) for m in names)] for (case, _), by in cases.items()])
    cases = _rows(results, "checkpoints", "checkpoint")
    if cases:
        lines += ["## Trained generators: samples against the run's real test images", ""]
        lines += table(["samples", *(BENCH_METRICS[m].set_label for m in names)],
                       [[case, *(fmt_set(by[m]) for m in names)] for (case, _), by in cases.items()])
    lines += ["## Figure", "", f"![per-image AUC]({FIGURE_NAME})", "",
              f"All numbers: [{CSV_NAME}]({CSV_NAME}).", ""]
    return "\n".join(lines)
