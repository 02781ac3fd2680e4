"""Writing files so that a reader (or a crash) never sees half of one: temporary file, fsync, ``os.replace``.

A write that fails leaves the previous file as it was and removes the temporary one; one that fails because the
device is full (``ENOSPC``, or a quota: ``EDQUOT``; ``torch.save`` reports it after its own "unexpected pos" error)
raises ``NoSpaceLeftError``, "no space left on device writing <file>", in one line.
"""
from __future__ import annotations

import errno
import os
import uuid
from pathlib import Path
from typing import IO, Any, Callable

import torch


FULL = (errno.ENOSPC, errno.EDQUOT)


class NoSpaceLeftError(OSError):
    """The device filled up while a file was written atomically (the previous file is left as it was)."""


def _device_full(err: BaseException) -> bool:
    """``err``, or an error it was raised from or while handling, is an ``OSError`` saying the device is full."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, OSError) and err.errno in FULL:
            return True
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return False


def atomic_write(path: str | Path, write: Callable[[IO], None], binary: bool = False) -> None:
    """Call ``write(file)`` on a temporary file next to ``path``, flush it to disk, then ``os.replace`` it onto
    ``path``; the temporary file is removed when anything fails (``NoSpaceLeftError`` when the device is full)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        with (open(tmp, "xb") if binary else open(tmp, "x", newline="")) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        tmp.unlink(missing_ok=True)
        if _device_full(err):
            raise NoSpaceLeftError(f"no space left on device writing {path}") from err
        raise


def atomic_save(obj: Any, path: str | Path) -> None:
    """``torch.save(obj)`` to ``path`` atomically."""
    atomic_write(path, lambda f: torch.save(obj, f), binary=True)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (newlines as given)."""
    atomic_write(path, lambda f: f.write(text))
