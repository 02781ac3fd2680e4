"""The error raised when a dataset is absent and cannot be downloaded, and the helpers that raise it."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Callable, TypeVar
from urllib.error import URLError

T = TypeVar("T")


class DatasetUnavailableError(RuntimeError):
    """A dataset is not on disk and was not (or could not be) downloaded; the message says how to get it."""


def package_data_dir(package: str, *parts: str) -> Path:
    """A data folder inside an installed package, found without importing it (a missing package gives a path
    that does not exist, so the caller's "how to get it" message applies)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return Path(f"<package {package} is not installed>")
    return Path(spec.submodule_search_locations[0], *parts)


def torchvision_or_raise(make: Callable[[], T], what: str, place: str, download: bool) -> T:
    """``make()`` (a torchvision dataset constructor); its "not found" or download failure becomes a
    DatasetUnavailableError saying what to do: set ``data.download=true`` (when it was not), or, when the download
    itself failed, ``place`` the files (e.g. "place the python version in data/cifar-10-batches-py")."""
    try:
        return make()
    except (RuntimeError, OSError, URLError) as err:
        if download:
            raise DatasetUnavailableError(f"{what} could not be downloaded ({err}); without a network, {place}, "
                                          f"then run again") from err
        raise DatasetUnavailableError(f"{what} is not available ({err}). Set data.download=true to download it, "
                                      f"or {place}") from err
