"""The one-screen summary printed when a run starts: what is trained, with what, where the outputs go."""
from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
from omegaconf import DictConfig
from rich.console import Console
from rich.table import Table
from torch import nn

from ..nn import Upsampler, list_upsamplers, upsampler_info
from ..run_dir import CHECKPOINT_DIR, FIDELITY_LOG, METRICS_CSV


def network_parameter_counts(model: pl.LightningModule) -> dict[str, tuple[str, int]]:
    """(class name, parameter count) of each top-level network of a LightningModule."""
    counts = {name: (type(child).__name__, sum(p.numel() for p in child.parameters()))
              for name, child in model.named_children()}
    return {name: c for name, c in counts.items() if c[1]}


def upsampler_row(cfg: DictConfig, model: nn.Module) -> str:
    """The registry entry of the configured upsampler (by ``upsampler.name``, or by the factory a user's config
    names as ``_target_``): name, operation, checkerboard note and module class; the class alone when the entry
    is not registered."""
    node = cfg.get("upsampler") or {}
    classes = ", ".join(sorted({type(m).__name__ for m in model.modules() if isinstance(m, Upsampler)})) or "none"
    entries = [upsampler_info(name) for name in list_upsamplers()]
    found = [i for i in entries if i.name == node.get("name")] or [
        i for i in entries if f"{i.factory.__module__}.{i.factory.__qualname__}" == node.get("_target_")]
    if not found:
        return f"{classes} (not registered)"
    note = "" if found[0].checkerboard_free_at_init else "  [yellow](not checkerboard-free at init)[/yellow]"
    return f"{found[0].name}: {found[0].operation} ({classes}){note}"


def run_summary(cfg: DictConfig, model: pl.LightningModule, datamodule, trainer: pl.Trainer) -> Table:
    """A two-column table: task, networks and parameters, upsampler (+ checkerboard note), data, device, run dir."""
    table = Table(title="upsamplelab run", show_header=False, title_justify="left")
    table.add_column(style="bold cyan")
    table.add_column()
    table.add_row("task", type(model).__name__)
    for name, (cls, n) in network_parameter_counts(model).items():
        table.add_row(name, f"{cls}, {n:,} parameters")
    table.add_row("upsampler", upsampler_row(cfg, model))
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
    outputs = [("checkpoint", p) for p in sorted((run_dir / CHECKPOINT_DIR).glob("*.ckpt"))]
    outputs += [("metrics", p) for p in (run_dir / METRICS_CSV, run_dir / FIDELITY_LOG) if p.exists()]
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
