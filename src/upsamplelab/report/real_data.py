"""Real training images for a sweep: the data module of a job's ``.hydra/config.yaml``, instantiated again.

The saved config keeps its interpolations.  ``paths.output_dir`` (``${hydra:runtime.output_dir}``, which needs a
running Hydra) is set to the job directory; when ``PROJECT_ROOT`` is not set, ``paths.root_dir`` becomes the
directory the job ran from (``hydra.runtime.cwd`` of ``.hydra/hydra.yaml``), as ``${oc.env:PROJECT_ROOT,.}`` did
then.  Any failure (an interpolation that does not resolve, a dataset that is not there) is returned as a reason.
"""
from __future__ import annotations

import os
from typing import Optional

from omegaconf import OmegaConf, open_dict
from torch import Tensor

from ..app.run_dir import HYDRA_DIR, HYDRA_RUNTIME
from .job import Job


def _job_cwd(job: Job) -> Optional[str]:
    try:
        hydra_cfg = OmegaConf.load(job.path / HYDRA_DIR / HYDRA_RUNTIME)
        cwd = OmegaConf.select(hydra_cfg, "hydra.runtime.cwd", throw_on_resolution_failure=False)
    except Exception:  # noqa: BLE001 - no hydra.yaml: keep the config's own root
        return None
    return cwd if isinstance(cwd, str) else None


def real_images(job: Job, split: str = "train", n: int = 64) -> tuple[Optional[Tensor], str]:
    """(the first ``n`` images of ``split`` as (N, C, H, W) in [-1, 1], "") or (None, why not)."""
    if job.config is None or "data" not in job.config:
        return None, f"job {job.name} has no data config"
    try:
        from hydra.utils import instantiate

        from ..reliability.trusted_targets import check_targets

        cfg = job.config.copy()
        with open_dict(cfg):
            if "paths" in cfg:
                cfg.paths.output_dir = str(job.path)
                if "PROJECT_ROOT" not in os.environ and (cwd := _job_cwd(job)):
                    cfg.paths.root_dir = cwd
        check_targets(cfg.data, f"{job.name}/.hydra/config.yaml", "data")
        datamodule = instantiate(cfg.data)
        return datamodule.real_images(split, n).float().cpu(), ""
    except Exception as err:  # noqa: BLE001 - every reason is reported in the figure's note
        message = " ".join(str(err).split())
        return None, f"{type(err).__name__}: {message[:300]}"
