"""FID / KID (and IS) of a generator's samples during validation, against real training images.

Configured by the ``metrics`` config group (``configs/metrics/default.yaml``) and handed to ``GANModule`` as
``sample_quality``.  ``fid_samples`` generated images are compared with a reference set of the first
``real_samples`` images of the data module's ``real_split`` (StudioGAN's protocol compares with the training set;
fewer when the split is smaller).  A reference larger than the generated set costs nothing after the first time:
its Inception statistics are cached in ``cache_dir`` under ``<dataset_id>/<split>/n=<count>`` and the extractor's
name, so only the first evaluation of a dataset pays for them (timings in BENCHMARKS.md), and every later one
extracts the generated images only.
The Inception network runs on ``inception_backend`` (``metrics.inception.resolve_backend``: "auto" is ONNX Runtime
on the CPU, torch on a GPU), loaded once per run; every result is appended, with the extractor and the backend that
produced it, to ``<run dir>/fidelity.jsonl``.

The final evaluation (``final_samples``, the test stage of ``upsamplelab.train``) repeats this at a larger count on
one checkpoint, adds FID at subsets of the generated set and its extrapolation FID∞ (``metrics.fid_infinity``), and
writes its result to ``<run dir>/final.json``.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import torch
from torch import Tensor, nn

from ..checks import check_int
from ..metrics import fidelity
from ..metrics.fid_infinity import fid_counts
from ..metrics.inception import EXTRACTORS, check_backend, resolve_backend
from ..reliability.atomic import atomic_write_text

SMOKE_SAMPLES = 16


@dataclass
class SampleQuality:
    """``fid_samples`` generated vs ``real_samples`` real images (None: as many as generated); ``extractor``:
    "auto", "torch-fidelity" or "bundled" (``metrics.inception``), run by ``inception_backend`` ("auto", "torch" or
    "onnxruntime"); ``isc``: also the Inception Score (needs the torch-fidelity extractor)."""

    fid_samples: int = 500
    real_samples: int | None = None
    extractor: str = "auto"
    inception_backend: str = "auto"
    cache_dir: str = "outputs/fidelity_cache"
    batch_size: int = 32
    kid_subset_size: int = 1000
    isc: bool = False
    real_split: str = "train"
    final_samples: int | None = None
    _model: nn.Module | None = field(default=None, init=False, repr=False)
    _evaluations: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        check_int("metrics.fid_samples", self.fid_samples, 2, why="FID needs a covariance")
        check_int("metrics.real_samples", self.real_samples, 2, optional=True, why="FID needs a covariance")
        check_int("metrics.final_samples", self.final_samples, 8, optional=True, why="FID∞ fits FIDs of subsets")
        if self.extractor not in EXTRACTORS:
            raise ValueError(f"metrics.extractor must be one of {list(EXTRACTORS)}, got {self.extractor!r}")
        check_backend(self.inception_backend)

    def compute(self, sample: Callable[[int], Tensor], datamodule, device: torch.device,
                final: bool = False) -> dict[str, Any]:
        """Metrics of ``sample(n)`` (images in [-1, 1]) against the data module's real images; n = ``fid_samples``,
        or ``final_samples`` with FID at subsets and FID∞ when ``final``."""
        n = self.final_samples if final else self.fid_samples
        if n is None:
            raise ValueError("the final evaluation needs metrics.final_samples (an image count)")
        wanted, available = self.real_samples or n, datamodule.split_size(self.real_split)
        n_real = min(wanted, available)
        if wanted > available and self._evaluations == 0:
            asked = (f"metrics.real_samples={wanted} is" if self.real_samples else
                     f"metrics.real_samples=null asks for as many real images as generated, {wanted},")
            warnings.warn(f"{asked} more than the {available} images of the {self.real_split} split of data "
                          f"({datamodule.dataset_id}): the FID reference uses all {available} of them")
        if self._model is None:                       # loaded once per run, not at every validation
            self._model = fidelity.load_extractor(self.extractor, logits=self.isc, cache_dir=self.cache_dir,
                                                  backend=resolve_backend(self.inception_backend, device))
        self._evaluations += 1
        with warnings.catch_warnings():
            if self._evaluations > 1:                 # the small-sample warning, once per run
                warnings.filterwarnings("ignore", message="FID from .* is biased")
            return fidelity.fidelity_metrics(
                sample(n), lambda: datamodule.real_images(self.real_split, n_real),
                real_key=f"{datamodule.dataset_id}/{self.real_split}/n={n_real}", cache_dir=self.cache_dir,
                extractor=self._model, kid_subset_size=self.kid_subset_size, isc=self.isc,
                batch_size=self.batch_size, device=device, fid_at=fid_counts(n) if final else ())

    def for_smoke_run(self) -> "SampleQuality":
        """This configuration cut to ``SMOKE_SAMPLES`` generated and real images (``trainer.fast_dev_run``: the loop
        is checked, not the numbers, and a cold reference cache costs seconds instead of minutes)."""
        small = min(SMOKE_SAMPLES, self.fid_samples)
        return replace(self, fid_samples=small, real_samples=small,
                       final_samples=small if self.final_samples is not None else None)

    @staticmethod
    def record(result: dict[str, float | str], path: Path, epoch: int, step: int) -> None:
        """Add ``{"epoch", "step", **result}`` as a JSON line to ``path``, replacing the lines of this and later
        epochs (a resumed run validates again the epochs its killed predecessor had recorded)."""
        lines = path.read_text().splitlines() if path.exists() else []
        kept = [line for line in lines if json.loads(line)["epoch"] < epoch]
        new = json.dumps({"epoch": epoch, "step": step} | result)
        atomic_write_text(path, "".join(f"{line}\n" for line in [*kept, new]))
