"""Checkpoint files that are written atomically and read without running code: ``AtomicCheckpointIO``.

The Trainer gets it through ``configs/trainer/default.yaml`` (``plugins``), so every checkpoint a run saves or loads
(``ModelCheckpoint``, ``ckpt_path=...`` in fit, validate and test) goes through it.

Saving (``atomic_save``): ``torch.save`` into a temporary file in the target's own directory, flushed to disk
(fsync), then ``os.replace`` onto the target name.  A reader, or a run killed while saving, sees the previous
complete file or the new complete file, never a truncated one; the temporary file is removed when saving fails.
(Lightning's ``TorchCheckpointIO`` stages the file in the system temp directory and moves it, which becomes a copy
onto the target, not a rename, when that directory is on another filesystem.)

Loading: first ``file_integrity.check_archive``: every part of the file is read back against the CRC-32 that
``torch.save`` stored with it, so a truncated checkpoint or one with corrupted tensor bytes (which ``torch.load``
would load, and which would compute NaN) is refused with ``CorruptFileError`` naming the file.  Then always
``torch.load(weights_only=True)``: tensors, containers and plain Python values.  A file whose pickle
names any other global (e.g. a ``__reduce__`` calling ``os.system``) is refused with ``UnsafeCheckpointError``
before any of it runs.  Checkpoints written by upsamplelab need no allow-list: the modules do not call
``save_hyperparameters`` (so no DictConfig or partials are pickled), optimiser, loop and callback states are plain,
and ``ResumeState`` stores RNG states as tensors and tuples.
"""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Callable, Optional

import torch
from pytorch_lightning.plugins.io import TorchCheckpointIO

from .atomic import atomic_save
from .file_integrity import check_archive


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds objects that ``torch.load(weights_only=True)`` does not allow."""


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning checkpoint I/O: ``atomic_save`` on save; on load, the checksums checked, then
    ``weights_only=True`` (local paths)."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: str | Path,
                        storage_options: Optional[Any] = None) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options, got {storage_options!r}")
        atomic_save(checkpoint, path)

    def load_checkpoint(self, path: str | Path, map_location: Optional[Callable] = lambda storage, loc: storage,
                        weights_only: Optional[bool] = None) -> dict[str, Any]:
        if weights_only is False:
            raise ValueError(f"{type(self).__name__} loads checkpoints with weights_only=True only (got "
                             f"weights_only=False for {path}): pass weights_only=True or leave it unset")
        check_archive(path, "checkpoint")
        try:
            return super().load_checkpoint(path, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as err:
            reason = next((line for line in str(err).splitlines() if "global" in line.lower()),
                          str(err).splitlines()[0] if str(err) else type(err).__name__)
            raise UnsafeCheckpointError(
                f"refused to load checkpoint {path}: torch.load(weights_only=True) rejects it ({reason.strip()}). "
                "Checkpoints written by upsamplelab hold only tensors and plain values; this file may run code "
                "when unpickled. Only if you trust its origin, allow the classes it names with "
                "torch.serialization.add_safe_globals([...]) before loading it.") from None
