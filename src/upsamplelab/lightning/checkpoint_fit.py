"""A checkpoint loads only into the kind of model that wrote it.

Every checkpoint records the model that wrote it under ``WRITTEN_BY`` (``describe``: the LightningModule's class and
the registered names of its upsamplers).  Loading one whose weights do not fit this model (another upsampler,
another network size) is refused by ``check_fits`` in one line naming the checkpoint's model and this one and the
first parameter that differs, where Lightning's strict ``load_state_dict`` would raise a size-mismatch traceback.
"""
from __future__ import annotations

from typing import Any, Optional

from torch import nn

from ..nn.base import Upsampler

WRITTEN_BY = "upsamplelab_written_by"


class CheckpointMismatchError(ValueError):
    """A checkpoint written by another model than the one it is loaded into."""


def outermost_upsamplers(module: nn.Module) -> list[Upsampler]:
    """The upsamplers of ``module`` in registration order; an upsampler inside another is part of it."""
    found: dict[str, Upsampler] = {}
    for name, child in module.named_modules():
        if isinstance(child, Upsampler) and not any(name.startswith(f"{outer}.") for outer in found):
            found[name] = child
    return list(found.values())


def describe(module: nn.Module) -> str:
    """"GANModule with upsampler convT_k3": the class and the registry names (``build_upsampler``; the class name
    of an upsampler built otherwise) of the module's upsamplers."""
    names = dict.fromkeys(getattr(m, "registry_name", type(m).__name__) for m in outermost_upsamplers(module))
    return f"{type(module).__name__} with upsampler {', '.join(names) or 'none'}"


def _first_difference(mine: dict[str, Any], theirs: dict[str, Any]) -> Optional[str]:
    for key, value in mine.items():
        if key not in theirs:
            return f"{key} is not in the checkpoint"
        shape, saved = getattr(value, "shape", None), getattr(theirs[key], "shape", None)
        if shape is not None and saved is not None and tuple(shape) != tuple(saved):
            return f"{key} is {list(saved)} there, {list(shape)} here"
    extra = next((key for key in theirs if key not in mine), None)
    return None if extra is None else f"the checkpoint's {extra} is not in this model"


def check_fits(module: nn.Module, checkpoint: dict[str, Any], path: Any) -> None:
    """Raise ``CheckpointMismatchError`` unless ``checkpoint["state_dict"]`` has exactly ``module``'s parameters
    and buffers, in their shapes."""
    difference = _first_difference(module.state_dict(), checkpoint.get("state_dict") or {})
    if difference is None:
        return
    wrote = checkpoint.get(WRITTEN_BY) or "a model it does not name (written before checkpoints recorded it)"
    raise CheckpointMismatchError(f"ckpt_path={path} was written by {wrote}; this run is {describe(module)} "
                                  f"({difference}): give a checkpoint of this model and upsampler, or leave ckpt_path "
                                  f"out to start from scratch")
