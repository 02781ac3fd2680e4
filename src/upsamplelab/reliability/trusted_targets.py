"""The trust model of run directories: a config is code (Hydra's ``_target_`` names any callable), so a config read
from a run directory is only instantiated when every ``_target_`` in it is on an allow-list.

Your own configs (``configs/``, your command line, your ``--config-dir``) are trusted.  A run directory or
checkpoint you did not write is not: ``upsamplelab.eval`` reads the run's ``.hydra/config.yaml`` to rebuild its
model, and that file could name e.g. ``torch.load`` with ``weights_only: false`` on a crafted file.  Checkpoints
are loaded with ``weights_only=True`` (``checkpoint_io``); configs pass ``check_targets`` first.
"""
from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

TRUSTED_PREFIXES = ("upsamplelab.", "torch.optim.", "torch.nn.", "pytorch_lightning.callbacks.",
                    "pytorch_lightning.loggers.", "pytorch_lightning.plugins.")
TRUSTED_TARGETS = frozenset({"pytorch_lightning.Trainer"})


class UntrustedConfigError(ValueError):
    """A config from a run directory names a ``_target_`` outside the allow-list."""


def trusted(target: Any) -> bool:
    """``target`` is a literal dotted name on the allow-list (an interpolation cannot be checked: not trusted)."""
    return isinstance(target, str) and "${" not in target and (
        target in TRUSTED_TARGETS or target.startswith(TRUSTED_PREFIXES))


def check_targets(cfg: DictConfig | ListConfig, source: str, key: str = "") -> None:
    """Raise ``UntrustedConfigError`` naming the first key whose ``_target_`` is not trusted; ``source`` names the
    file in the message, ``key`` where ``cfg`` sits in it (e.g. "data")."""
    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if "_target_" in node and not trusted(node["_target_"]):
                key = f"{path}._target_" if path else "_target_"
                raise UntrustedConfigError(
                    f"{source}: {key}={node['_target_']!r} is not a target this package instantiates from a run "
                    f"directory (allowed: {', '.join(sorted(TRUSTED_TARGETS | set(TRUSTED_PREFIXES)))}*); refused "
                    f"without running it")
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    walk(OmegaConf.to_container(cfg, resolve=False), key)
