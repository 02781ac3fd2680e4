"""Bad input fails fast and says so in one line: what is wrong, which key, what is allowed.

The entry points check what they can before any data is loaded or trained on (``check_ckpt_path`` and
``check_baseline`` here; the networks and data modules check their own arguments when built, the LightningModules
check that model and data fit; the data is then loaded before training, so an absent dataset stops the run
there).  ``explain`` turns such an error into that line: Hydra's ``InstantiationException`` is unwrapped to the
error the constructor raised, and an error a ``ddp_spawn`` process or a DataLoader worker raised is read from the
traceback it sent.  Set ``HYDRA_FULL_ERROR=1`` to get the traceback instead.
"""
from __future__ import annotations

import os
import re
import sys
import zipfile
from pathlib import Path
from typing import Optional

from hydra.errors import InstantiationException
from lightning_fabric.utilities.exceptions import MisconfigurationException
from omegaconf import DictConfig, OmegaConf
from torch.multiprocessing import ProcessRaisedException

from ..data import DatasetUnavailableError
from ..reliability import CorruptFileError, UnsafeCheckpointError
from ..reliability.atomic import NoSpaceLeftError

# errors the user can act on, shown in one line: MisconfigurationException is Lightning's refusal of a Trainer
# argument (trainer.max_epochs=-5); NoSpaceLeftError is a full disk
BAD_INPUT = (ValueError, FileNotFoundError, DatasetUnavailableError, UnsafeCheckpointError, CorruptFileError,
             MisconfigurationException, NoSpaceLeftError)


def check_ckpt_path(ckpt_path: Optional[str]) -> None:
    """``ckpt_path`` must be null, "last", or an existing checkpoint file (torch.save's zip format)."""
    if ckpt_path in (None, "last"):
        return
    path = Path(ckpt_path)
    if path.is_dir():
        raise ValueError(f"ckpt_path={ckpt_path} is a directory; give a .ckpt file in it (a run's are in "
                         f"<run dir>/checkpoints/), 'last' (this run directory's checkpoints/last.ckpt) or null")
    if not path.is_file():
        raise FileNotFoundError(f"ckpt_path={ckpt_path} does not exist; give an existing .ckpt file, 'last' (this "
                                f"run directory's checkpoints/last.ckpt) or null")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"ckpt_path={ckpt_path} is not a checkpoint (not a torch.save archive)")


def check_baseline(baseline: Optional[str]) -> None:
    """``baseline`` (what a study's report compares against) must name a registered upsampler, so that a typo
    fails before the study rather than after it."""
    from ..nn.registry import list_upsamplers
    if baseline is not None and baseline not in list_upsamplers():
        raise ValueError(f"baseline={baseline} is not a registered upsampler; allowed: {', '.join(list_upsamplers())}")


CPU_PRECISIONS = ("32", "32-true", "bf16", "bf16-mixed", "bf16-true", "64", "64-true")


def check_precision(precision: str, device_type: str) -> None:
    """float16 autocast is for GPUs: on the CPU Lightning quietly trains in bf16-mixed instead, so a config asking
    for float16 there is refused, naming the allowed values (``precision`` as configured, not as Lightning
    resolved it)."""
    if device_type == "cpu" and str(precision) not in CPU_PRECISIONS:
        raise ValueError(f"trainer.precision={precision} is for GPUs; on the CPU use one of "
                         f"[32, bf16-mixed] (bf16 is its alias; or trainer=gpu on a machine with a GPU)")


def root_cause(err: BaseException) -> BaseException:
    """The error a Hydra-instantiated constructor raised, or a bad-input error a process started by ``ddp_spawn``
    raised (``spawned_cause``), else ``err``."""
    while isinstance(err, InstantiationException) and err.__cause__ is not None:
        err = err.__cause__
    return spawned_cause(err) or err


def spawned_cause(err: BaseException) -> Optional[BaseException]:
    """The bad-input error (one of ``BAD_INPUT``) a ``ddp_spawn`` process raised, rebuilt from the traceback text
    that ``torch.multiprocessing`` hands to the parent (``ProcessRaisedException``: its last line, "ValueError: ...");
    None for any other error."""
    if not isinstance(err, ProcessRaisedException):
        return None
    last = ([m for m in re.finditer(r"^(?:[\w.]+\.)?(\w+): ", str(err), re.M)] or [None])[-1]
    kind = next((k for k in BAD_INPUT if last is not None and k.__name__ == last.group(1)), None)
    return kind(str(err)[last.end():].strip()) if kind is not None else None


def worker_message(err: BaseException) -> str:
    """The message of ``err``; for an error a DataLoader worker raised, re-raised by torch with the worker's
    traceback in its message ("Caught X in DataLoader worker process 0. Original Traceback ... X: message"), the
    message of that last line."""
    text = str(err)
    if "\nOriginal Traceback" not in text:
        return text
    name = re.escape(type(err).__name__)
    found = re.findall(rf"^(?:[\w.]+\.)?{name}: (.*)$", text, re.M)
    return found[-1] if found else text


def config_node(err: BaseException) -> Optional[str]:
    """The config key of the innermost object Hydra was instantiating (``full_key: model.generator``), if any."""
    node = None
    while isinstance(err, InstantiationException):
        node = (re.findall(r"full_key: (\S+)", str(err)) or [node])[-1]
        err = err.__cause__
    return node


def explain(err: BaseException, cfg: Optional[DictConfig] = None) -> Optional[str]:
    """The one-line message for a bad-input error, None for anything else (a bug: keep its traceback).

    A constructor names its own argument (``ngf must be >= 1``); raised while Hydra instantiated a config node, the
    argument is given its full key (``model.generator.ngf``), and when ``cfg`` shows that key is an interpolation
    (``${data.image_size}``), the key to change is named too."""
    cause = root_cause(err)
    if not isinstance(cause, BAD_INPUT):
        return None
    message = " ".join(worker_message(cause).split())
    node, first = config_node(err), re.match(r"`?([A-Za-z_]\w*)`?(?![.\w])", message)   # a bare argument name
    if node and first and not message.startswith(f"{node}."):
        key = f"{node}.{first.group(1)}"
        raw = OmegaConf.select(cfg, key, default=None, throw_on_resolution_failure=False) if cfg is not None else None
        if cfg is not None and raw is not None:
            value = OmegaConf.to_container(OmegaConf.select(cfg, node), resolve=False).get(first.group(1))
            message = f"{key}{message[first.end():]}"
            if isinstance(value, str) and value.startswith("${"):
                message += f" ({key} is {value}: set {value[2:-1]})"
    return f"{type(cause).__name__}: {message}"


def exit_on_bad_input(err: BaseException, cfg: Optional[DictConfig] = None) -> None:
    """Print ``explain(err, cfg)`` to stderr and exit with status 2; return (to re-raise) for other errors or when
    ``HYDRA_FULL_ERROR=1``."""
    message = explain(err, cfg)
    if message is None or os.environ.get("HYDRA_FULL_ERROR") == "1":
        return
    print(f"error: {message}\n(set HYDRA_FULL_ERROR=1 for the traceback)", file=sys.stderr)
    sys.exit(2)
