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
