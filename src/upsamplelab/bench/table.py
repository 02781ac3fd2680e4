"""The benchmark's results as rich tables on the console."""
from __future__ import annotations

from typing import Any, Optional

from rich.console import Console
from rich.table import Table


def _n(value: Optional[float], digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def print_tables(result: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    models = Table(title="Training throughput (img/s, steady state)", title_justify="left")
    for name in ("family", "upsampler", "raw NCHW", "raw CL", "CL gain", "auto", "framework", "raw", "overhead",
                 "compiled"):
        models.add_column(name, justify="left" if name in ("family", "upsampler", "auto") else "right")
    for r in result["models"]:
        models.add_row(r["family"], r["upsampler"], _n(r["raw_nchw_images_per_s"]),
                       _n(r["raw_channels_last_images_per_s"]), f"{r['channels_last_speedup']:.2f}x",
                       "CL" if r["channels_last"] else "NCHW", _n(r["framework_images_per_s"]),
                       _n(r["raw_images_per_s"]), f"{r['overhead']:+.1%}", _n(r.get("compiled_images_per_s")))
    console.print(models)

    families = Table(title="Per model family", title_justify="left")
    for name in ("family", "batch", "data path vs indexing", "in-memory img/s", "sampling img/s"):
        families.add_column(name, justify="left" if name == "family" else "right")
    for f in result["families"]:
        families.add_row(f["family"], str(f["batch_size"]), f"{f['data_path']['ratio']:.1%}",
                         _n(f["data_path"]["in_memory_images_per_s"]), _n(f.get("sampling_images_per_s")))
    console.print(families)

    if result.get("fid"):
        fid = result["fid"]
        console.print(f"[bold]FID[/bold] ({fid['extractor']}, {fid['num_fake']} vs {fid['num_real']} images): "
                      f"Inception {fid['inception_images_per_s']:.1f} img/s; cold reals cache {fid['cold_s']:.1f} s, "
                      f"warm {fid['warm_s']:.1f} s ({fid['speedup']:.1f}x)")

    goals = Table(title="Goals", title_justify="left")
    for name in ("goal", "measured", "target", "met"):
        goals.add_column(name)
    for g in result["goals"]:
        goals.add_row(g["goal"], g["measured"], g["target"], "[green]yes[/green]" if g["met"] else "[red]no[/red]")
    console.print(goals)


def markdown(result: dict[str, Any]) -> str:
    """The same tables as Markdown (for BENCHMARKS.md, issues and papers)."""
    m = result["machine"]
    lines = [f"Command: `{result['command']}` ({result['wall_time_s'] / 60:.1f} min)  ",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['torch_threads']} torch threads, GPU: {m['gpu'] or 'none'}; "
             f"Python {m['python']}, torch {m['torch']}, pytorch-lightning {m['pytorch-lightning']}, "
             f"torch-fidelity {m['torch-fidelity']}, hydra-core {m['hydra-core']}  ",
             f"Timed on: {result['device']}, precision {result['precision']}", "",
             "| family | upsampler | raw NCHW | raw channels_last | CL gain | auto | framework | raw (same format) "
             "| overhead | compiled |", "|---|---|--:|--:|--:|---|--:|--:|--:|--:|"]
    for r in result["models"]:
        lines.append(f"| {r['family']} | `{r['upsampler']}` | {_n(r['raw_nchw_images_per_s'])} | "
                     f"{_n(r['raw_channels_last_images_per_s'])} | {r['channels_last_speedup']:.2f}× | "
                     f"{'CL' if r['channels_last'] else 'NCHW'} | {_n(r['framework_images_per_s'])} | "
                     f"{_n(r['raw_images_per_s'])} | {r['overhead']:+.1%} | {_n(r.get('compiled_images_per_s'))} |")
    lines += ["", "| family | batch | data path / indexing | in-memory img/s | sampling img/s |",
              "|---|--:|--:|--:|--:|"]
    for f in result["families"]:
        lines.append(f"| {f['family']} ({f['description']}) | {f['batch_size']} | {f['data_path']['ratio']:.1%} | "
                     f"{_n(f['data_path']['in_memory_images_per_s'])} | {_n(f.get('sampling_images_per_s'))} |")
    if result.get("fid"):
        fid = result["fid"]
        lines += ["", f"FID ({fid['extractor']}, {fid['num_fake']} generated vs {fid['num_real']} reference images): "
                      f"Inception {fid['inception_images_per_s']:.1f} img/s; FID+KID {fid['cold_s']:.1f} s with a cold "
                      f"reals cache, {fid['warm_s']:.1f} s warm ({fid['speedup']:.1f}×)"]
    lines += ["", "| goal | measured | target | met |", "|---|---|---|---|"]
    lines += [f"| {g['goal']} | {g['measured']} | {g['target']} | {'yes' if g['met'] else '**no**'} |"
              for g in result["goals"]]
    return "\n".join(lines) + "\n"
