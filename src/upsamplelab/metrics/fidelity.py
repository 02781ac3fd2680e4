"""FID, KID and IS of generated images, computed with torch-fidelity's metric code on features extracted here.

- FID, Frechet Inception Distance (Heusel, Ramsauer, Unterthiner, Nessler & Hochreiter 2017, "GANs Trained by a
  Two Time-Scale Update Rule Converge to a Local Nash Equilibrium"): the Frechet distance between Gaussians fitted
  to the Inception pool features of the two sets.  Biased upwards at small sample counts: compare FIDs only at
  equal counts, and use >= 2048 samples (the feature dimension) at the very least.
- KID, Kernel Inception Distance (Bińkowski, Sutherland, Arbel & Gretton 2018, "Demystifying MMD GANs"): unbiased
  squared MMD with a cubic polynomial kernel on the same features, mean and std over random subsets (``kid_subset``:
  smaller than either set, so that the subsets differ and the std measures something).
- IS, Inception Score (Salimans, Goodfellow, Zaremba, Cheung, Radford & Chen 2016, "Improved Techniques for
  Training GANs"): exp E[KL(p(y|x) || p(y))] of the generated images only; needs the Inception logits, which only
  torch-fidelity's extractor has (see ``inception``).

The features of the reference (real) set, with their FID mean and covariance, are cached on disk under a key the
caller builds (dataset, split, resolution, sample count) plus the extractor name and, unless it is torch, the backend
that ran it (``features_name``: every FID is computed from one backend's features); later evaluations only run the
extractor on the generated images.  A cache file that is truncated, damaged (``reliability.file_integrity``) or does
not hold what its name says is rebuilt, with a warning (``load_reference``); it is written atomically, so runs
sharing it see the old file or the new one.
"""
from __future__ import annotations

import hashlib
import logging
import re
import warnings
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
from torch import Tensor, nn
from torch_fidelity import (KEY_METRIC_FID, KEY_METRIC_ISC_MEAN, KEY_METRIC_ISC_STD, KEY_METRIC_KID_MEAN,
                            KEY_METRIC_KID_STD, FeatureExtractorBase)
from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric
from torch_fidelity.metric_isc import isc_features_to_metric
from torch_fidelity.metric_kid import kid_features_to_metric

from ..reliability.atomic import atomic_save
from ..reliability.file_integrity import load_cache
from .fid_infinity import fid_infinity
from .inception import fid_device, load_extractor, resolve_backend

log = logging.getLogger(__name__)

FID_MIN_SAMPLES = 2048
KID_SUBSETS = 100                                   # torch-fidelity's default
RANGE_TOLERANCE = 1e-3


def fidelity_metrics(fake: Tensor, real: Tensor | Callable[[], Tensor], *, real_key: str, cache_dir: str | Path,
                     extractor: str | nn.Module = "auto", kid_subset_size: int = 1000, isc: bool = False,
                     batch_size: int = 64, device: str | torch.device | None = None,
                     fid_at: Sequence[int] = (), inception_backend: str = "auto") -> dict[str, Any]:
    """FID and KID of ``fake`` against ``real`` (and IS of ``fake`` if ``isc``), with cached reference features.

    ``fake`` and ``real`` are float (N, C, H, W) images in [-1, 1] with C in {1, 3}; they are quantised to uint8
    (round((x + 1) * 127.5)) and grey is repeated to RGB, as torch-fidelity expects.  ``real`` may be a callable
    returning them: it is only called when ``reference_cache_path(cache_dir, real_key, <extractor name>)`` does not
    exist yet or is unusable (``load_reference``).  ``real_key`` must identify the reference set (dataset id,
    split, resolution, sample count).

    ``extractor``: "auto", "torch-fidelity" or "bundled" (see ``inception.resolve_extractor``), or an ``nn.Module``
    mapping uint8 (N, 3, H, W) to (N, F) features, or to a tuple (features, logits) to allow ``isc``; it is named
    by its class name (in the result and in the cache key, so give different modules different names).  The module
    is moved to ``device``, channels_last, eval mode.  ``inception_backend`` ("auto", "torch", "onnxruntime") runs
    a named extractor (``inception.resolve_backend``; its ONNX export is kept in ``cache_dir`` too); a module says
    its own by an ``inception_backend`` attribute (default "torch").  KID uses subsets of ``kid_subset(
    kid_subset_size, ...)`` images.

    ``fid_at``: also the FID of random subsets of ``fake`` of these sizes (fixed seed, the reference unchanged) and
    their extrapolation to infinitely many images (``fid_infinity``, Chong & Forsyth 2020).

    Returns {"fid", "kid_mean", "kid_std", ["isc_mean", "isc_std"], ["fid_inf", "fid_at": {count: fid}],
    "extractor", "inception_backend", "num_fake", "num_real", "kid_subset_size"}.
    Warns when either set has fewer than 2048 images (FID is biased there).
    """
    check_images("fake", fake)
    if isinstance(real, Tensor):
        check_images("real", real)
    if batch_size < 1 or kid_subset_size < 2:
        raise ValueError(f"need batch_size >= 1 and kid_subset_size >= 2, got {batch_size} and {kid_subset_size}")
    device = torch.device(device if device is not None else fid_device())
    if isinstance(extractor, nn.Module):
        model = extractor
    else:
        model = load_extractor(extractor, logits=isc, backend=resolve_backend(inception_backend, device),
                               cache_dir=cache_dir)
    name = model.get_name() if isinstance(model, FeatureExtractorBase) else type(model).__name__
    backend = getattr(model, "inception_backend", "torch")
    features_by = features_name(name, backend)

    cache_path = reference_cache_path(cache_dir, real_key, features_by)
    ref = load_reference(cache_path, real_key, features_by)
    if ref is None:
        if not isinstance(real, Tensor):
            real = real()
            check_images("real", real)
        log.info("FID reference: extracting %s features of %d real images (cached in %s)", features_by, len(real),
                 cache_path)
        features = extract_features(real, model, batch_size=batch_size, device=device)[0]
        ref = {"key": real_key, "extractor": features_by, "features": features,
               **{k: torch.from_numpy(v) for k, v in fid_features_to_statistics(features).items()}}
        atomic_save(ref, cache_path)

    fake_out = extract_features(fake, model, batch_size=batch_size, device=device)
    if isc and len(fake_out) < 2:
        raise ValueError(f"isc=True needs logits, but extractor {name} returns only features")
    real_features, fake_features = ref["features"], fake_out[0]
    num_fake, num_real = len(fake_features), len(real_features)
    if min(num_fake, num_real) < FID_MIN_SAMPLES:
        warnings.warn(f"FID from {num_fake} fake and {num_real} real images is biased (upwards, the more the fewer "
                      f"images); use >= {FID_MIN_SAMPLES} each, compare FIDs only at equal counts, and report KID "
                      "(unbiased) too", stacklevel=2)

    real_stats = {"mu": ref["mu"].numpy(), "sigma": ref["sigma"].numpy()}
    fid = fid_statistics_to_metric(fid_features_to_statistics(fake_features), real_stats, verbose=False)
    subset = kid_subset(kid_subset_size, num_fake, num_real)
    log.info("KID: %d random subsets of %d of the %d generated and %d real images", KID_SUBSETS, subset, num_fake,
             num_real)
    kid = kid_features_to_metric(fake_features, real_features, verbose=False, kid_subsets=KID_SUBSETS,
                                 kid_subset_size=subset)
    out: dict[str, float | str] = {"fid": fid[KEY_METRIC_FID], "kid_mean": kid[KEY_METRIC_KID_MEAN],
                                   "kid_std": kid[KEY_METRIC_KID_STD]}
    if fid_at:
        out |= fid_at_counts(fake_features, real_stats, fid_at)
    if isc:
        score = isc_features_to_metric(fake_out[1], splits=min(10, num_fake))
        out |= {"isc_mean": score[KEY_METRIC_ISC_MEAN], "isc_std": score[KEY_METRIC_ISC_STD]}
    return out | {"extractor": name, "inception_backend": backend, "num_fake": num_fake, "num_real": num_real,
                  "kid_subset_size": subset}


def kid_subset(requested: int, num_fake: int, num_real: int) -> int:
    """The KID subset size for sets of ``num_fake`` and ``num_real`` images: ``requested`` (torch-fidelity's 1000)
    when the smaller set has at least twice as many, else half the smaller set (at least 2).  Subsets as large as a
    set would all be that set, and their KID std ~0 (float noise) would say nothing about KID's spread."""
    return max(2, min(requested, min(num_fake, num_real) // 2))


def fid_at_counts(fake_features: Tensor, real_stats: dict, counts: Sequence[int], seed: int = 0) -> dict[str, Any]:
    """{"fid_at": {count: FID of a random ``count``-subset of ``fake_features``}, "fid_inf": the extrapolation}."""
    if max(counts) > len(fake_features):
        raise ValueError(f"fid_at counts {list(counts)} exceed the {len(fake_features)} generated images")
    order = torch.randperm(len(fake_features), generator=torch.Generator().manual_seed(seed))
    fids = {int(n): fid_statistics_to_metric(fid_features_to_statistics(fake_features[order[:n]]), real_stats,
                                             verbose=False)[KEY_METRIC_FID] for n in counts}
    return {"fid_inf": fid_infinity(list(fids), list(fids.values()))[0], "fid_at": fids}


def check_images(name: str, images: Tensor) -> None:
    """ValueError naming ``name`` unless ``images`` is a float (N >= 2, C in {1, 3}, H, W) tensor in [-1, 1]."""
    if not isinstance(images, Tensor) or not images.is_floating_point():
        what = images.dtype if isinstance(images, Tensor) else type(images).__name__
        raise ValueError(f"{name} must be a floating-point tensor with values in [-1, 1], got {what}")
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"{name} must have shape (N, C, H, W) with C in {{1, 3}}, got {tuple(images.shape)}")
    if len(images) < 2:
        raise ValueError(f"{name} needs at least 2 images for FID/KID, got {len(images)}")
    lo, hi = (float(v) for v in images.aminmax())
    if not (lo >= -1 - RANGE_TOLERANCE and hi <= 1 + RANGE_TOLERANCE):      # also rejects NaN
        raise ValueError(f"{name} must have values in [-1, 1] (tolerance {RANGE_TOLERANCE:g}), "
                         f"got [{lo:.4g}, {hi:.4g}]")


def to_uint8(images: Tensor) -> Tensor:
    """[-1, 1] float (N, C, H, W) -> uint8 (N, 3, H, W): round((x + 1) * 127.5), grey repeated to RGB."""
    x = ((images + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


CPU_UNIT = 8            # images per extractor call on the CPU (BENCHMARKS.md: what smaller units cost)


@torch.inference_mode()
def extract_features(images: Tensor, model: nn.Module, *, batch_size: int = 64,
                     device: str | torch.device = "cpu") -> tuple[Tensor, ...]:
    """``model``'s outputs for [-1, 1] ``images`` (see ``to_uint8``), batched, channels_last: float32 CPU tensors.

    A model returning one tensor gives a 1-tuple; the first output must be (N, F) features.  On the CPU the images
    go through the model ``CPU_UNIT`` at a time at most, whatever ``batch_size``: a signal is handled only between
    two calls (``reliability.interrupt``; one call of the network cannot be interrupted), and a scheduler sends
    SIGKILL 30 s after SIGTERM, however loaded the machine.
    """
    model = model.eval().to(device=device, memory_format=torch.channels_last)
    unit = min(batch_size, CPU_UNIT) if torch.device(device).type == "cpu" else batch_size
    batches = []
    for batch in images.split(unit):
        out = model(to_uint8(batch.to(device)).contiguous(memory_format=torch.channels_last))
        batches.append([o.float().cpu() for o in (out if isinstance(out, tuple) else (out,))])
    outputs = tuple(torch.cat(o) for o in zip(*batches))
    if outputs[0].shape[0] != len(images) or outputs[0].ndim != 2:
        raise ValueError(f"the extractor must return (N, F) features, got {tuple(outputs[0].shape)} "
                         f"for N={len(images)}")
    return outputs


def load_reference(path: Path, real_key: str, extractor_name: str) -> dict[str, Any] | None:
    """The cached reference at ``path`` (see ``reference_cache_path``); None when there is none, or when it is not
    usable (warned): truncated or damaged, unreadable, or not the features and FID statistics of ``real_key`` by
    ``extractor_name`` (finite, with matching shapes)."""
    return load_cache(path, "FID reference cache", lambda ref: reference_problem(ref, real_key, extractor_name),
                      "extracting the reference features again and replacing it")


def reference_problem(ref: Any, real_key: str, extractor_name: str) -> str | None:
    """What is wrong with a loaded reference cache (None: nothing)."""
    fields = ("key", "extractor", "features", "mu", "sigma")
    if not isinstance(ref, dict) or any(k not in ref for k in fields):
        return f"not a dict with {', '.join(fields)}"
    if (ref["key"], ref["extractor"]) != (real_key, extractor_name):
        return f"it holds {ref['key']!r} by {ref['extractor']!r}"
    features, mu, sigma = ref["features"], ref["mu"], ref["sigma"]
    if not all(isinstance(t, Tensor) for t in (features, mu, sigma)) or features.ndim != 2:
        return "features, mu and sigma must be tensors, features (N, F)"
    dim = features.shape[1]
    if len(features) < 2 or mu.shape != (dim,) or sigma.shape != (dim, dim):
        return f"shapes features {tuple(features.shape)}, mu {tuple(mu.shape)}, sigma {tuple(sigma.shape)}"
    if not all(bool(torch.isfinite(t).all()) for t in (features, mu, sigma)):
        return "non-finite values"
    return None


def features_name(extractor_name: str, backend: str) -> str:
    """Whose features a reference cache holds: the extractor's name, with ``+<backend>`` unless it ran in torch
    (the caches written before there were backends keep their names)."""
    return extractor_name if backend == "torch" else f"{extractor_name}+{backend}"


def reference_cache_path(cache_dir: str | Path, real_key: str, extractor_name: str) -> Path:
    """``<cache_dir>/<key>--<extractor>-<hash>.pt`` (unsafe characters -> "_", hash of the exact key and name).

    The file holds ``{"key", "extractor", "features": (N, F) float32, "mu": (F,), "sigma": (F, F)}``.
    """
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{real_key}--{extractor_name}")[:160]
    digest = hashlib.sha1(f"{real_key}\0{extractor_name}".encode()).hexdigest()[:10]
    return Path(cache_dir) / f"{slug}-{digest}.pt"
