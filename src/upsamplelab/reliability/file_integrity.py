"""Is a ``torch.save`` file whole and unchanged?  ``check_archive`` reads it back against its stored checksums.

``torch.save`` writes a zip archive (PyTorch's format since 1.6) and stores in it, for every member (the pickle
and each tensor's bytes), the CRC-32 of that member's bytes, computed while saving.  ``torch.load`` checks neither
the checksums nor that the tensor bytes are all there: a checkpoint with corrupted tensor bytes loads, and a model
built from it computes NaN.  ``check_archive`` reads every member and compares its CRC-32 with the stored one
(Python's ``zipfile``), so a truncated file (no central directory, or a member cut short) and changed bytes are
both found, with the member they are in.  ``load_cache`` reads a cache file this way and says, in a warning, why
it cannot be used, so that its caller rebuilds it.

Members saved without a checksum (``torch.serialization.set_crc32_options(False)`` stores 0 for every member) cannot
be checked and are skipped; ``AtomicCheckpointIO`` and ``atomic_save`` always store them.  A CRC-32 finds accidental
damage (a disk, a copy, a transfer cut short), not deliberate edits: code in a crafted file is refused by
``torch.load(weights_only=True)`` instead.
"""
from __future__ import annotations

import pickle
import warnings
import zipfile
from pathlib import Path
from typing import Any, Callable, Optional

import torch

CHUNK = 1 << 22


class CorruptFileError(OSError):
    """A ``torch.save`` file that is truncated or whose bytes do not match the checksums stored with them."""


def check_archive(path: str | Path, what: str = "file") -> None:
    """Raise ``CorruptFileError`` (naming ``what`` and ``path``, one line) unless every member of the ``torch.save``
    archive at ``path`` is complete and matches its stored CRC-32."""
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                if member.CRC == 0 and member.file_size > 0:
                    continue                                  # saved without a checksum: nothing to compare
                with archive.open(member) as f:
                    while f.read(CHUNK):                      # zipfile raises at the end on a CRC mismatch
                        pass
    except (zipfile.BadZipFile, EOFError, ValueError, zipfile.LargeZipFile) as err:
        raise CorruptFileError(f"{what} {path} is corrupt ({describe(err)}): it is truncated or its bytes changed "
                               "after it was saved; delete it (or restore a good copy)") from None


def load_cache(path: Path, what: str, problem_of: Callable[[Any], Optional[str]], instead: str) -> Any:
    """The ``torch.save`` cache at ``path`` (``weights_only``); None when there is none, or when it is unusable:
    truncated or damaged (``check_archive``), unreadable, or what ``problem_of(loaded)`` names (None: nothing), with
    the warning "<what> <path> is unusable (<why>); <instead>" (what the caller does about it) for the caller's
    caller."""
    if not path.is_file():
        return None
    try:
        check_archive(path, what)
        loaded = torch.load(path, map_location="cpu", weights_only=True)
        problem = problem_of(loaded)
    except (CorruptFileError, RuntimeError, pickle.UnpicklingError, EOFError) as err:
        problem = " ".join(str(err).split()) or type(err).__name__
    if problem is None:
        return loaded
    warnings.warn(f"{what} {path} is unusable ({problem}); {instead}", stacklevel=3)
    return None


def describe(err: BaseException) -> str:
    """``zipfile``'s message, with its wording made plain."""
    message = str(err) or type(err).__name__
    if message == "File is not a zip file":
        return "not a complete torch.save archive"
    return message.replace("Bad CRC-32 for file", "checksum mismatch in member")
