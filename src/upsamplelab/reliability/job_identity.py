"""A run's identity: the command-line overrides that decide what it trains, recorded in ``run.json`` at its first
start, so results stay attached to the job that produced them.

Hydra numbers the jobs of a multirun by their position in the sweep and rewrites every job's ``.hydra/`` files
before the job starts.  A relaunch that lists the same values in another order would therefore find another job's
results under the same number.  Here:

- a sweep job's directory is named after the values of the keys the sweep varies (``seed=0,upsampler=convT_k3``;
  ``hydra.sweep.subdir`` in ``configs/hydra/default.yaml``), so the same job lands in the same directory whatever
  the order of the values;
- the identity is the sorted override list minus the keys that say how far or from where to train rather than
  what (``hydra.job.config.override_dirname.exclude_keys``: ``ckpt_path``, ``trainer.max_epochs``, …), so a relaunch
  with more epochs continues the same jobs;
- the Hydra files of the job's first start are kept in ``.hydra/recorded/`` and put back whenever a relaunch skips
  or refuses the job, so its recorded config is never rewritten by a later command line;
- a directory whose recorded identity differs from the job about to run in it (e.g. relaunched with another fixed
  override, or numbered directories) is refused (``JobIdentityError``) before anything is written.
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any, Iterable, Optional

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from ..run_dir import CONFIG, HYDRA_DIR, HYDRA_RUNTIME, OVERRIDES, RUN_KEYS

HYDRA_FILES = (CONFIG, HYDRA_RUNTIME, OVERRIDES)
RECORDED = "recorded"
MAX_DIR_NAME = 120


class JobIdentityError(ValueError):
    """A run directory holds another job than the one asked for."""


def override_key(override: str) -> str:
    """``"+trainer.x=1"`` -> ``"trainer.x"`` (the key as Hydra's ``exclude_keys`` names it)."""
    return override.split("=", 1)[0].lstrip("+~")


def identity_of(overrides: Iterable[str], excluded: Iterable[str] = ()) -> list[str]:
    """The sorted overrides whose keys are not in ``excluded``."""
    skip = set(excluded)
    return sorted(o for o in overrides if override_key(o) not in skip)


def current_identity() -> Optional[list[str]]:
    """This Hydra job's identity (None outside a Hydra run, e.g. a composed config without its overrides)."""
    if not HydraConfig.initialized():
        return None
    hydra = HydraConfig.get()
    return identity_of(hydra.overrides.task, hydra.job.config.override_dirname.exclude_keys)


def swept_keys(sweep_dir: str | Path, sweeper_params: Any) -> Optional[set[str]]:
    """The keys a multirun varies: those of ``hydra.sweeper.params`` (experiment files, Optuna search spaces) and
    the command line's sweep overrides (``a=1,2``, ``range(3)``…) as the basic sweeper saved them in
    ``<sweep dir>/multirun.yaml``; None when neither is known."""
    keys = set(sweeper_params or {})
    saved = Path(sweep_dir) / "multirun.yaml"
    if saved.is_file():
        from hydra.core.override_parser.overrides_parser import OverridesParser

        saved_cfg = OmegaConf.to_container(OmegaConf.load(saved), resolve=False)
        task = ((saved_cfg.get("hydra") or {}).get("overrides") or {}).get("task") or []
        parsed = OverridesParser.create().parse_overrides(list(task))
        keys |= {o.key_or_group for o in parsed if o.is_sweep_override()}
    return keys or None


def job_dir_name(sweep_dir: str, task_overrides: Any, excluded: Any = (), sweeper_params: Any = None) -> str:
    """A sweep job's directory name: its values of the swept keys, sorted (``seed=0,upsampler=convT_k3``), its
    whole identity when nothing is known to be swept; '/' replaced, names over 120 characters shortened with a hash
    of the identity, ``no_overrides`` for none.  ``hydra.sweep.subdir`` calls it with the sweep directory, the job's
    overrides, the keys left out of identities and ``hydra.sweeper.params``."""
    identity = identity_of((str(o) for o in task_overrides or []), excluded or ())
    keys = swept_keys(sweep_dir, sweeper_params)
    chosen = [o for o in identity if keys is None or override_key(o) in keys] or identity
    name = ",".join(chosen).replace("/", "_") or "no_overrides"
    if len(name) <= MAX_DIR_NAME:
        return name
    digest = hashlib.sha1(",".join(identity).encode()).hexdigest()[:12]
    return f"{name[:MAX_DIR_NAME - 13]}-{digest}"


def check_identity(run_dir: Path, recorded: Optional[list[str]], identity: Optional[list[str]]) -> None:
    """Refuse (``JobIdentityError``, one line) when ``run_dir`` recorded another identity than ``identity``; a
    directory without a recorded identity (new, or written before identities existed) is accepted."""
    if recorded is None or identity is None or list(recorded) == list(identity):
        return
    had, wants = sorted(set(recorded) - set(identity)), sorted(set(identity) - set(recorded))
    raise JobIdentityError(f"{run_dir} holds another job ({', '.join(had) or 'fewer overrides'}), not this one "
                           f"({', '.join(wants) or 'fewer overrides'}); its results are kept as they are: run into "
                           f"another directory, or move this one aside")


def keep_hydra_files(run_dir: Path) -> None:
    """Copy the job's ``.hydra/*.yaml`` (as Hydra wrote them for this start) to ``.hydra/recorded/``."""
    source = Path(run_dir) / HYDRA_DIR
    target = source / RECORDED
    target.mkdir(parents=True, exist_ok=True)
    for name in HYDRA_FILES:
        if (source / name).is_file():
            shutil.copy2(source / name, target / name)


def restore_hydra_files(run_dir: Path) -> None:
    """Put the recorded ``.hydra/*.yaml`` back over the ones Hydra just rewrote (nothing when none is recorded)."""
    source = Path(run_dir) / HYDRA_DIR / RECORDED
    for name in HYDRA_FILES:
        if (source / name).is_file():
            shutil.copy2(source / name, source.parent / name)


def _leaves(node: Any, prefix: str) -> dict[str, Any]:
    if isinstance(node, dict) and node:
        return {k: v for key, value in node.items() for k, v in _leaves(value, f"{prefix}.{key}").items()}
    return {prefix: node}


def changed_run_keys(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(key, old value, new value) of every leaf of data, model, upsampler and seed (``RUN_KEYS``) that differs
    between two configs given as containers (interpolations as written), sorted by key; None for an absent one."""
    was = {k: v for key in RUN_KEYS for k, v in _leaves(old.get(key), key).items()}
    now = {k: v for key in RUN_KEYS for k, v in _leaves(new.get(key), key).items()}
    return [(k, was.get(k), now.get(k)) for k in sorted(was.keys() | now.keys())
            if (k in was, was.get(k)) != (k in now, now.get(k))]


def check_resume_config(run_dir: Path, cfg: DictConfig) -> None:
    """Refuse (``JobIdentityError`` naming the keys) to resume ``run_dir`` with another seed, data, model or
    upsampler than the run recorded at its first start; nothing to compare when it recorded none."""
    path = Path(run_dir) / HYDRA_DIR / RECORDED / CONFIG
    if not path.is_file():
        return
    changed = changed_run_keys(OmegaConf.to_container(OmegaConf.load(path)), OmegaConf.to_container(cfg))
    if changed:
        shown = ", ".join(f"{k} ({was!r} -> {now!r})" for k, was, now in changed[:6])
        raise JobIdentityError(f"cannot resume {run_dir} with a changed {shown}{' …' if len(changed) > 6 else ''}: "
                               f"a run keeps its seed, data, model and upsampler (start a new run instead)")
