"""A run directory belongs to one live process: ``claim_run_dir``.

Two commands started with the same ``hydra.run.dir`` would both train into it (every ``metrics.csv`` row twice,
``best-epoch000-v1.ckpt`` beside ``best-epoch000.ckpt``).  The first to start holds an exclusive lock on
``<run dir>/run.lock`` for as long as it runs (``fcntl.lockf``, a POSIX record lock: held by the process, not by
the DataLoader workers it forks, and the lock NFS itself implements), with its pid, host and start time written in
the file; a second one is refused in one line naming them (``RunDirBusy``) before it writes anything.  The kernel
releases the lock when its process ends, however it ends, so the claim of a process that is gone (killed,
crashed) is stale and the next start takes it over.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..run_dir import RUN_CLAIM


class RunDirBusy(ValueError):
    """Another live process holds the run directory."""


def _holder(text: str) -> str:
    try:
        claim = json.loads(text)
        return (f"process {claim['pid']} on {claim['host']} (started "
                f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(claim['started']))})")
    except (ValueError, KeyError, TypeError):
        return "another process"


@contextmanager
def claim_run_dir(run_dir: str | Path) -> Iterator[None]:
    """Hold ``run_dir`` for this process inside the block; ``RunDirBusy`` when a live process holds it."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(run_dir / RUN_CLAIM, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno not in (errno.EACCES, errno.EAGAIN):
                raise
            holder = _holder(os.pread(fd, 4096, 0).decode(errors="replace"))
            raise RunDirBusy(f"{run_dir} is in use by {holder}: one run directory, one process; wait for it to "
                             f"end or stop it, or run into another directory") from None
        claim = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, claim, 0)
        yield
    finally:
        os.close(fd)                                  # releases the lock
