"""A torch network run by ONNX Runtime on the CPU: exported once to ONNX, cached on disk, one session per process.

``cached_session`` exports ``build()`` with ``torch.onnx.export`` (the TorchScript-based exporter, ``dynamo=False``;
it needs the ``onnx`` package) at opset ``OPSET``, the batch dimension left free, and opens an ONNX Runtime
``InferenceSession`` on it with the CPU execution provider and ``torch.get_num_threads()`` intra-op threads, the
threads torch (and the Trainer) compute with.  The session is kept for the rest of the process, one per model file
and thread count, so a run's evaluations (and the runs of an in-process sweep) share it.

The exported model is kept in ``<directory>/<name>-weights-<sha>-opset<k>-onnxruntime-<v>-torch-<v>-<hash>.onnx.pt``,
keyed by the SHA-256 of the weights file, the opset, the ONNX Runtime version, the torch version (the exporter) and
the output names: a changed key never reuses a file.  The file is a ``torch.save`` archive ``{"key", "onnx": uint8
tensor of the ONNX bytes}`` written atomically, so that ``reliability.file_integrity.check_archive`` finds a
truncated or damaged one by its stored checksums; such a file, or one holding another key, is exported again,
with a warning, like the FID reference cache.  ``directory`` is the FID reference cache's (``metrics.cache_dir``);
the environment variable ``UPSAMPLELAB_ONNX_DIR``, when set, replaces it (one export shared by every cache folder:
the test suite sets it for its session).
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import io
import json
import logging
import os
import re
import warnings
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
from torch import Tensor, nn

from ..reliability.atomic import atomic_save
from ..reliability.file_integrity import load_cache

log = logging.getLogger(__name__)

OPSET = 17
INPUT = "image"
DIR_ENV = "UPSAMPLELAB_ONNX_DIR"
PACKAGES = ("onnxruntime", "onnx")

_SESSIONS: dict[tuple[str, int], Any] = {}


def missing_packages() -> list[str]:
    """Those of ``PACKAGES`` that are not installed (ONNX Runtime runs the model, ``onnx`` is the exporter's)."""
    return [name for name in PACKAGES if importlib.util.find_spec(name) is None]


def require(setting: str) -> None:
    """ValueError, one line naming ``setting`` and the install command, unless onnxruntime and onnx are installed."""
    missing = missing_packages()
    if missing:
        raise ValueError(f"{setting} needs {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
                         f"not installed: pip install {' '.join(missing)} (or set metrics.inception_backend=torch)")


@functools.lru_cache(maxsize=8)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of the file at ``path`` (hex), computed once per process for each size and modification time."""
    stat = Path(path).stat()
    return _sha256(str(path), stat.st_size, stat.st_mtime_ns)


def model_key(name: str, weights: str | Path, outputs: Sequence[str]) -> dict[str, str]:
    """What the exported model depends on: network name, weights' SHA-256, opset, ONNX Runtime and torch versions,
    output names."""
    return {"network": name, "weights_sha256": file_sha256(weights), "opset": str(OPSET),
            "onnxruntime": version("onnxruntime"), "torch": str(torch.__version__), "outputs": ",".join(outputs)}


def model_path(directory: str | Path, key: dict[str, str]) -> Path:
    """Where the model of ``key`` is cached in ``directory`` (``$UPSAMPLELAB_ONNX_DIR`` instead, when set)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{key['network']}-weights-{key['weights_sha256'][:12]}-opset"
                                             f"{key['opset']}-onnxruntime-{key['onnxruntime']}-torch-{key['torch']}")
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:10]
    return Path(os.environ.get(DIR_ENV) or directory) / f"{slug}-{digest}.onnx.pt"


def export(net: nn.Module, example: Tensor, outputs: Sequence[str]) -> bytes:
    """``net`` (eval mode) as an ONNX model: input ``INPUT`` shaped like ``example`` with a free batch dimension,
    outputs named ``outputs``."""
    with warnings.catch_warnings():          # the TorchScript-based exporter's notices (deprecation, input format)
        warnings.simplefilter("ignore")
        buffer = io.BytesIO()
        torch.onnx.export(net.eval(), (example,), buffer, opset_version=OPSET, dynamo=False, input_names=[INPUT],
                          output_names=list(outputs), dynamic_axes={n: {0: "batch"} for n in (INPUT, *outputs)})
    return buffer.getvalue()


def load_model(path: Path, key: dict[str, str]) -> bytes | None:
    """The ONNX bytes cached at ``path`` for ``key``; None when there is no file, or when it is unusable (warned):
    truncated or damaged, unreadable, or holding another key."""
    saved = load_cache(path, "ONNX model cache", lambda saved: model_problem(saved, key),
                       "exporting the network again and replacing it")
    return None if saved is None else saved["onnx"].numpy().tobytes()


def model_problem(saved: Any, key: dict[str, str]) -> str | None:
    """What is wrong with a loaded ONNX model cache for ``key`` (None: nothing)."""
    model = saved.get("onnx") if isinstance(saved, dict) else None
    if not isinstance(model, Tensor) or model.dtype != torch.uint8 or model.ndim != 1:
        return "not a dict with the key and the model's bytes"
    if saved.get("key") != key:
        held = saved["key"] if isinstance(saved.get("key"), dict) else {}
        return f"it was exported with another {', '.join(k for k in key if held.get(k) != key[k])}"
    return None


def new_session(model: bytes, threads: int) -> Any:
    """An ONNX Runtime session on the CPU running ``model`` with ``threads`` intra-op threads (inter-op: 1)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3                                 # errors only
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def cached_session(directory: str | Path, name: str, weights: str | Path, build: Callable[[], nn.Module],
                   example: Tensor, outputs: Sequence[str], setting: str = "metrics.inception_backend=onnxruntime"
                   ) -> Any:
    """The process's ONNX Runtime session for network ``name`` with the weights file ``weights``: ``build()``
    (the torch network, built only when no usable export is cached) exported once to ``model_path`` and reused.
    ``setting`` names what asked for ONNX Runtime in the error raised when it is not installed."""
    require(setting)
    key = model_key(name, weights, outputs)
    path = model_path(directory, key)
    threads = torch.get_num_threads()
    if (str(path), threads) not in _SESSIONS:
        model = load_model(path, key)
        if model is None:
            log.info("exporting %s to ONNX (opset %d), once: cached in %s", name, OPSET, path)
            model = export(build(), example, outputs)
            atomic_save({"key": key, "onnx": torch.frombuffer(bytearray(model), dtype=torch.uint8)}, path)
        _SESSIONS[(str(path), threads)] = new_session(model, threads)
    return _SESSIONS[(str(path), threads)]
