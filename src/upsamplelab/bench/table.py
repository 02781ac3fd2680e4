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
        console.print(f"[bold]FID[/bold] ({fid['extractor']} on {fid['inception_backend']}, {fid['num_fake']} vs "
                      f"{fid['num_real']} images): Inception {fid['inception_images_per_s']:.1f} img/s; cold reals "
                      f"cache {fid['cold_s']:.1f} s, warm {fid['warm_s']:.1f} s ({fid['speedup']:.1f}x)")
        if fid.get("inception_backends"):
            console.print(f"[bold]Inception backends[/bold] {backends_sentence(fid['inception_backends'])}")

    goals = Table(title="Goals", title_justify="left")
    for name in ("goal", "measured", "target", "met"):
        goals.add_column(name)
    for g in result["goals"]:
        goals.add_row(g["goal"], g["measured"], g["target"], "[green]yes[/green]" if g["met"] else "[red]no[/red]")
    console.print(goals)


def backends_setting(b: dict[str, Any]) -> str:
    """How the Inception backends were timed, in parentheses."""
    return (f"({b['extractor']}, {b['num_images']} images, batch {b['batch_size']}, {b['threads']} threads, median "
            f"of {b['rounds']} passes in turns)")


def backends_sentence(b: dict[str, Any]) -> str:
    """Images/s of each Inception backend, their ratio and their features' difference, in one sentence."""
    rates = ", ".join(f"{backend} {rate:.1f} img/s" for backend, rate in b["images_per_s"].items())
    return (f"{backends_setting(b)}: {rates}; ONNX Runtime {b['speedup']:.2f}x torch, features equal to "
            f"{b['max_relative_difference']:.1e} relative")


def markdown(result: dict[str, Any]) -> str:
    """The same tables as Markdown (for BENCHMARKS.md, issues and papers)."""
    m = result["machine"]
    lines = [f"Command: `{result['command']}` ({result['wall_time_s'] / 60:.1f} min)  ",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['torch_threads']} torch threads, GPU: {m['gpu'] or 'none'}; "
             f"Python {m['python']}, torch {m['torch']}, pytorch-lightning {m['pytorch-lightning']}, "
             f"torch-fidelity {m['torch-fidelity']}, hydra-core {m['hydra-core']}, "
             f"onnxruntime {m.get('onnxruntime') or 'none'}  ",
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
        lines += ["", f"FID ({fid['extractor']} on {fid['inception_backend']}, {fid['num_fake']} generated vs "
                      f"{fid['num_real']} reference images): Inception {fid['inception_images_per_s']:.1f} img/s; "
                      f"FID+KID {fid['cold_s']:.1f} s with a cold reals cache, {fid['warm_s']:.1f} s warm "
                      f"({fid['speedup']:.1f}×)"]
        if fid.get("inception_backends"):
            b = fid["inception_backends"]
            lines += ["", f"| Inception backend {backends_setting(b)} | images/s | vs torch |", "|---|--:|--:|"]
            lines += [f"| {backend} | {rate:.1f} | {rate / b['images_per_s']['torch']:.2f}× |"
                      for backend, rate in b["images_per_s"].items()]
            lines += ["", f"Features, ONNX Runtime vs torch: largest difference {b['max_relative_difference']:.1e} "
                          "of the largest feature"]
    lines += ["", "| goal | measured | target | met |", "|---|---|---|---|"]
    lines += [f"| {g['goal']} | {g['measured']} | {g['target']} | {'yes' if g['met'] else '**no**'} |"
              for g in result["goals"]]
    return "\n".join(lines) + "\n"
