"""The one-screen summary printed when a run starts: what is trained, with what, where the outputs go."""
from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
from omegaconf import DictConfig
from rich.console import Console
from rich.table import Table

from .nn import upsampler_info


def network_parameter_counts(model: pl.LightningModule) -> dict[str, tuple[str, int]]:
    """(class name, parameter count) of each top-level network of a LightningModule."""
    counts = {name: (type(child).__name__, sum(p.numel() for p in child.parameters()))
              for name, child in model.named_children()}
    return {name: c for name, c in counts.items() if c[1]}


def run_summary(cfg: DictConfig, model: pl.LightningModule, datamodule, trainer: pl.Trainer) -> Table:
    """A two-column table: task, networks and parameters, upsampler (+ checkerboard note), data, device, run dir."""
    table = Table(title="upsamplelab run", show_header=False, title_justify="left")
    table.add_column(style="bold cyan")
    table.add_column()
    table.add_row("task", type(model).__name__)
    for name, (cls, n) in network_parameter_counts(model).items():
        table.add_row(name, f"{cls}, {n:,} parameters")
    info = upsampler_info(cfg.upsampler.name)
    note = "" if info.checkerboard_free_at_init else "  [yellow](not checkerboard-free at init)[/yellow]"
    table.add_row("upsampler", f"{info.name}: {info.operation}{note}")
    table.add_row("data", f"{type(datamodule).__name__}: {datamodule.image_size} px, {datamodule.channels} "
                          f"channel(s), batch {cfg.data.batch_size}")
    table.add_row("device", f"{type(trainer.accelerator).__name__.replace('Accelerator', '')} x {trainer.num_devices}, "
                            f"precision {trainer.precision}")
    table.add_row("seed", str(cfg.seed))
    table.add_row("run dir", str(trainer.default_root_dir))
    return table


def print_summary(cfg: DictConfig, model: pl.LightningModule, datamodule, trainer: pl.Trainer) -> None:
    Console().print(run_summary(cfg, model, datamodule, trainer))


def run_outputs(run_dir: Path) -> list[tuple[str, Path]]:
    """What a finished run left behind: checkpoints, the metrics table, the newest image grid of each kind."""
    outputs = [("checkpoint", p) for p in sorted((run_dir / "checkpoints").glob("*.ckpt"))]
    outputs += [("metrics", p) for p in (run_dir / "metrics.csv", run_dir / "fidelity.jsonl") if p.exists()]
    for folder in sorted(p for p in run_dir.iterdir() if p.is_dir()):
        grids = sorted(folder.glob("epoch_*.png"))
        if grids:
            outputs.append((f"{folder.name} ({len(grids)} grids)", grids[-1]))
    return outputs


def print_outputs(run_dir: Path) -> None:
    console = Console()
    console.print(f"[bold]run directory:[/bold] {run_dir}")
    for kind, path in run_outputs(run_dir):
        console.print(f"  {kind:<24s} {path.relative_to(run_dir)}")
