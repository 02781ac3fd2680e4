"""The framework side: ``upsamplelab.train.train`` on a Hydra-composed config, exactly as the CLI runs it.

Default callbacks (checkpointing, resume state, divergence guard, learning-rate monitor, progress bar), the CSV
logger and the in-memory data module all stay on; the run is cut to one epoch of ``steps + 1`` training batches,
without validation or test, and each of its steps is timed in turns with a step of the raw loop (``Interleaved``).
"""
from __future__ import annotations

import contextlib
import io
import json
import tempfile
import warnings
from pathlib import Path
from typing import Sequence

from ..app.config import compose_config, instantiate_task
from ..train import train
from .device import Device
from .families import Family
from .interleaved import TIMINGS_FILE, Interleaved


def compose(family: Family, upsampler: str, output_dir: str | Path, extra: Sequence[str] = (),
            device: Device = Device()):
    """The family's config with ``upsampler`` and its batch size, on ``device`` in its precision (default: the CPU,
    float32), no summary, and the ``extra`` overrides."""
    return compose_config([*family.overrides, f"upsampler={upsampler}", f"data.batch_size={family.batch_size}",
                           *device.overrides(), "extras.print_summary=false", *extra], output_dir)


def build_task(family: Family, upsampler: str):
    """(data module set up for fitting, LightningModule) of the family's config, seeded as a run would be."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = compose(family, upsampler, tmp)
    datamodule, module = instantiate_task(cfg)
    datamodule.setup("fit")
    return datamodule, module


def interleaved_timings(family: Family, upsampler: str, *, steps: int, device: Device = Device()) -> dict:
    """``{"batch_size", "channels_last", "framework_s": [...], "raw_s": [...]}``: seconds of ``steps`` steady-state
    steps through ``upsamplelab.train.train``, each followed by one step of the raw loop (``Interleaved``)."""
    cut = ["test=false", "trainer.max_epochs=1", f"++trainer.limit_train_batches={steps + 1}",
           "++trainer.limit_val_batches=0", "++trainer.num_sanity_val_steps=0",
           f"+callbacks.bench_interleaved._target_={Interleaved.__module__}.Interleaved"]
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()), \
            warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*could not find the monitored key")   # no validation here
        train(compose(family, upsampler, tmp, cut, device))
        path = Path(tmp) / TIMINGS_FILE
        if not path.is_file():
            raise RuntimeError(f"the training run of {family.name}/{upsampler} left no {TIMINGS_FILE}")
        return json.loads(path.read_text())
