"""Real training images for a sweep: the data module of a job, rebuilt and instantiated again.

A job directory is data, never code: its data config is rebuilt from the package's configs with the job's recorded
overrides and must equal its ``.hydra/config.yaml`` (``app.recorded_run``); nothing of that file is instantiated,
and the data module never downloads.  ``paths`` are the package's; when ``PROJECT_ROOT`` is not set,
``paths.root_dir`` becomes the directory the job ran from (``hydra.runtime.cwd`` of ``.hydra/hydra.yaml``), as
``${oc.env:PROJECT_ROOT,.}`` did then, to read the data it read.  A failure (a dataset that is not there, a job
that cannot be rebuilt) is returned as a reason; a job whose files were refused is also marked ``refused``.
"""
from __future__ import annotations

import os
from typing import Optional

from omegaconf import OmegaConf, open_dict
from torch import Tensor

from ..run_dir import HYDRA_DIR, HYDRA_RUNTIME
from .job import Job


def _job_cwd(job: Job) -> Optional[str]:
    """``hydra.runtime.cwd`` of the job's ``.hydra/hydra.yaml``, read as data (None when absent, unreadable or not a
    plain path: an interpolation there would be resolved in the rebuilt config)."""
    try:
        cwd = OmegaConf.to_container(OmegaConf.load(job.path / HYDRA_DIR / HYDRA_RUNTIME), resolve=False)
        cwd = cwd["hydra"]["runtime"]["cwd"]
    except Exception:  # noqa: BLE001 - no hydra.yaml: keep the package's root
        return None
    return cwd if isinstance(cwd, str) and "${" not in cwd else None


def real_images(job: Job, split: str = "train", n: int = 64) -> tuple[Optional[Tensor], str]:
    """(the first ``n`` images of ``split`` as (N, C, H, W) in [-1, 1], "") or (None, why not)."""
    if job.config is None or "data" not in job.config:
        return None, f"job {job.name} has no data config"
    from ..app.recorded_run import RunDirRefused, rebuild_run
    try:
        from hydra.utils import instantiate

        cfg = rebuild_run(job.path)
        if "PROJECT_ROOT" not in os.environ and (cwd := _job_cwd(job)):
            with open_dict(cfg):
                cfg.paths.root_dir = cwd
        datamodule = instantiate(cfg.data)
        return datamodule.real_images(split, n).float().cpu(), ""
    except Exception as err:  # noqa: BLE001 - every reason is reported in the figure's note
        message = " ".join(str(err).split()).replace(f"{job.path}/", f"{job.name}/")   # no absolute path in notes
        if isinstance(err, RunDirRefused):
            job.refused = message
        return None, f"{type(err).__name__}: {message[:300]}"
