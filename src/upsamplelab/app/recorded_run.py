"""A run directory is data, never code: the data, model, upsampler and seed of a finished run, rebuilt from the
package's own configs with the overrides the run recorded, never taken from the config it saved.

A Hydra config is code (``_target_`` names any callable, ``_args_`` its arguments, a resolver such as ``oc.create``
can make either), so a config read from a run directory someone else wrote, or edited, could run anything when
instantiated.  ``rebuild_run`` therefore composes ``train`` from the configs this process trusts (the package's,
and the ``--config-dir`` of the command being run) with the run's ``.hydra/overrides.yaml``, after checking every
override that decides data, model, upsampler or seed (``checked_overrides``):

- a config group override must name an existing group and one of its options (``model=dcgan``, ``experiment=...``;
  no ``hydra/`` groups, no ``@package``);
- a key override must lie under ``data``, ``model``, ``upsampler`` or ``seed``, with plain key names (no Hydra
  special key such as ``_target_``, ``_args_``, ``_partial_``) and a value that is a scalar or a list of them, with
  no interpolation or resolver (``${...}``); Hydra then refuses a key that does not exist (unless added with ``+``);
- sweeps and anything that does not parse are refused.

Other overrides (``trainer.*``, ``callbacks.*``, ``metrics.*``, …) are not read: they cannot change those four
keys.  The result is compared with the run's ``.hydra/config.yaml``, read as plain data, and any difference stops
it before anything is built, in one line (``RunDirError``, a ``ValueError``: exit status 2 at the entry points):

- ``RunDirRefused``: the files carry code the rebuild does not (an override refused above, or a recorded
  difference under a Hydra special key or holding a resolver call ``${name:...}``): an edited directory;
- ``RunDirNotRebuilt``: nothing to build from (a file missing or unreadable, a config group option this process
  does not have, e.g. an experiment of a ``--config-dir`` not given), or a difference in plain values: edited, or
  configs that changed since the run.  The report draws without such a job's data; it fails on a refusal.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import yaml
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from omegaconf import DictConfig, OmegaConf

from ..reliability.job_identity import changed_run_keys
from .config import CONFIG_DIR
from ..run_dir import HYDRA_DIR, OVERRIDES, RUN_KEYS, run_config, run_dir_of_checkpoint

HYDRA_SPECIAL = re.compile(r"_[A-Za-z]\w*_")           # _target_, _args_, _partial_, _recursive_, _convert_, ...
PLAIN_KEY = re.compile(r"[A-Za-z0-9][\w-]*")
RESOLVER_CALL = re.compile(r"\$\{\s*[\w.-]+\s*:")       # ${oc.create:...}, ${oc.decode:...}, ${anything:...}


class RunDirError(ValueError):
    """A run directory that cannot be used to rebuild its run."""


class RunDirRefused(RunDirError):
    """Its files carry code that the package's configs would not: refused without running it."""


class RunDirNotRebuilt(RunDirError):
    """Nothing to rebuild from, or a recorded config that differs in plain values from the rebuilt one."""


@contextmanager
def trusted_configs(config_dir: Optional[str] = None) -> Iterator[None]:
    """Inside: Hydra initialised with the configs this process trusts: those of the running Hydra application (the
    package's and its ``--config-dir``), else the package's and ``config_dir`` (a user's ``--config-dir``)."""
    if GlobalHydra.instance().is_initialized():
        yield
        return
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        if config_dir is not None:
            _add_config_dir(config_dir)
        yield


def _add_config_dir(config_dir: str) -> None:
    """Put ``config_dir`` before the package's configs in the search path, as ``hydra.main`` does with
    ``--config-dir`` (Hydra's own classes: the compose API takes one directory)."""
    from hydra._internal.hydra import Hydra
    from hydra.core.config_search_path import SearchPathQuery

    path = Path(config_dir).resolve()
    if not path.is_dir():
        raise ValueError(f"--config-dir {config_dir} is not a directory")
    search_path = GlobalHydra.instance().config_loader().get_search_path()
    search_path.prepend(provider="command-line", path=f"file://{path}", anchor=SearchPathQuery(provider="schema"))
    Hydra.create_main_hydra2(task_name="app", config_search_path=search_path)


def recorded_overrides(run_dir: Path) -> list[str]:
    """The run's ``.hydra/overrides.yaml``: a YAML list of strings (read as plain YAML, nothing resolved)."""
    path = Path(run_dir) / HYDRA_DIR / OVERRIDES
    if not path.is_file():
        raise RunDirNotRebuilt(f"{path} does not exist: the run's data and model cannot be rebuilt without it")
    try:
        items = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise RunDirNotRebuilt(f"{path} is not readable YAML ({type(err).__name__})") from None
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise RunDirNotRebuilt(f"{path} is not a list of override strings")
    return items


def _value_problem(value: Any) -> Optional[str]:
    """Why an override value is refused (None: a scalar or a list of them, free of interpolations)."""
    if value is None or isinstance(value, (bool, int, float)):
        return None
    if isinstance(value, str):
        return "an interpolation or resolver (${...})" if "${" in value else None
    if isinstance(value, list):
        return next((p for p in map(_value_problem, value) if p), None)
    return f"a {type(value).__name__} value (only scalars and lists of them)"


def _check_group(override: Override, options: list[str], source: str) -> None:
    values = override.value() if isinstance(override.value(), list) else [override.value()]
    unknown = [v for v in values if v is not None and v not in options]
    if unknown:
        raise RunDirNotRebuilt(f"{source}: {override.input_line!r}: the config group {override.key_or_group} has no "
                               f"option {unknown[0]!r} in the configs given (options: {', '.join(sorted(options))});"
                               f" a run of your own --config-dir needs the same --config-dir here")


def checked_overrides(overrides: list[str], source: str, keys: Optional[tuple[str, ...]] = RUN_KEYS) -> list[str]:
    """The overrides that decide ``keys`` (every key: None), each checked as the module docstring says; the others
    are left out.  ``RunDirRefused`` naming ``source`` and the override otherwise.  Needs ``trusted_configs()``."""
    loader = GlobalHydra.instance().config_loader()
    parser, kept = OverridesParser.create(), []
    for line in overrides:
        try:
            (override,) = parser.parse_overrides([line])
        except Exception as err:  # noqa: BLE001 - Hydra's grammar errors have several types
            raise RunDirRefused(f"{source}: {line!r} is not an override ({type(err).__name__}); refused") from None
        key = override.key_or_group

        def refuse(why: str) -> RunDirRefused:
            return RunDirRefused(f"{source}: {line!r} {why}; refused without using the run directory")

        if override.is_sweep_override():
            raise refuse("is a sweep, not one job's value")
        if override.package is not None:
            raise refuse("names a @package")
        if re.split(r"[./]", key)[0] == "hydra":
            raise refuse("names Hydra's own config (hydra/, hydra.)")
        options = loader.get_group_options(key) if "." not in key else []
        if options:
            if not override.is_delete():
                if problem := _value_problem(override.value()):
                    raise refuse(f"has {problem}")
                _check_group(override, options, source)
            kept.append(line)
            continue
        parts = key.split(".")
        if keys is not None and parts[0] not in keys:
            continue                                  # e.g. trainer.*, metrics.*: not what is rebuilt, never read
        if not all(PLAIN_KEY.fullmatch(p) for p in parts) or any(HYDRA_SPECIAL.fullmatch(p) for p in parts):
            raise refuse("names a Hydra special key or not a plain config key")
        if not override.is_delete() and (problem := _value_problem(override.value())):
            raise refuse(f"has {problem}")
        kept.append(line)
    return kept


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _carries_code(key: str, value: Any) -> bool:
    """A recorded leaf (not null) under a Hydra special key, or holding one or a resolver call anywhere inside."""
    if any(HYDRA_SPECIAL.fullmatch(part) for part in key.split(".")):
        return True
    if isinstance(value, dict):
        return any(_carries_code(str(k), v) for k, v in value.items())
    if isinstance(value, list):
        return any(_carries_code("", v) for v in value)
    return isinstance(value, str) and RESOLVER_CALL.search(value) is not None


def compare_with_recorded(rebuilt: DictConfig, run_dir: Path) -> None:
    """Raise naming the first key where the run's ``.hydra/config.yaml`` (read without resolving) differs from
    ``rebuilt`` in data, model, upsampler or seed: ``RunDirRefused`` when a difference carries code, else
    ``RunDirNotRebuilt``."""
    path = run_config(run_dir)
    try:
        recorded = OmegaConf.load(path)
    except Exception as err:  # noqa: BLE001 - any unreadable file
        raise RunDirNotRebuilt(f"{path} is not readable YAML ({type(err).__name__})") from None
    if not isinstance(recorded, DictConfig):
        raise RunDirNotRebuilt(f"{path} is not a mapping")
    changed = changed_run_keys(OmegaConf.to_container(recorded, resolve=False),
                               OmegaConf.to_container(rebuilt, resolve=False))
    if not changed:
        return
    code = [(key, was, now) for key, was, now in changed if was is not None and _carries_code(key, was)]
    key, was, now = (code or changed)[0]
    message = (f"{path}: {key} is {_shown(was)}, but the run's overrides give {_shown(now)} with the configs given "
               f"({len(changed)} key(s) differ): ")
    if code:
        raise RunDirRefused(message + "the directory was edited to run code; refused without using it")
    raise RunDirNotRebuilt(message + "the directory was edited, or the configs changed since the run")


def rebuild_run(run_dir: Path) -> DictConfig:
    """``{data, model, upsampler, seed}`` of the run in ``run_dir``, composed from the trusted configs with its
    checked overrides and equal to what it recorded (interpolations kept, as in a composed config), and the trusted
    ``paths`` they interpolate.  The data module is made read-only: ``data.download`` (where it has one) is false, so
    a path the run recorded is read from, never written to; a command line may set it again."""
    run_dir = Path(run_dir)
    source = str(run_dir / HYDRA_DIR / OVERRIDES)
    with trusted_configs():
        overrides = checked_overrides(recorded_overrides(run_dir), source)
        try:
            composed = compose(config_name="train", overrides=overrides)
        except Exception as err:  # noqa: BLE001 - Hydra's composition errors have several types
            message = " ".join(str(err).split())
            raise RunDirNotRebuilt(f"{source}: the run cannot be rebuilt from the configs given ({message[:300]})"
                                   f"; a run of your own --config-dir needs the same --config-dir here") from None
    rebuilt = OmegaConf.masked_copy(composed, [k for k in (*RUN_KEYS, "paths") if k in composed])
    compare_with_recorded(rebuilt, run_dir)
    if isinstance(rebuilt.get("data"), DictConfig) and "download" in rebuilt.data:
        rebuilt.data.download = False
    return rebuilt


def run_config_of(ckpt_path: Path) -> Optional[DictConfig]:
    """``rebuild_run`` of the run directory holding ``<run>/checkpoints/<file>.ckpt``; None when the checkpoint has
    no run directory beside it."""
    run_dir = run_dir_of_checkpoint(ckpt_path)
    return rebuild_run(run_dir) if run_config(run_dir).exists() else None
