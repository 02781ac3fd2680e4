"""Writing files so that a reader (or a crash) never sees half of one: temporary file, fsync, ``os.replace``."""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import IO, Any, Callable

import torch


def atomic_write(path: str | Path, write: Callable[[IO], None], binary: bool = False) -> None:
    """Call ``write(file)`` on a temporary file next to ``path``, flush it to disk, then ``os.replace`` it onto
    ``path``; the temporary file is removed when anything fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        with (open(tmp, "xb") if binary else open(tmp, "x", newline="")) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_save(obj: Any, path: str | Path) -> None:
    """``torch.save(obj)`` to ``path`` atomically."""
    atomic_write(path, lambda f: torch.save(obj, f), binary=True)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (newlines as given)."""
    atomic_write(path, lambda f: f.write(text))
