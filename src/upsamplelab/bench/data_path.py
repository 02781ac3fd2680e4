"""The in-memory data path against the loop one writes by hand: does serving batches cost anything?

One pass over a training split through the data module's own loader (``InMemoryBatches``: one ``index_select`` per
batch, a seeded permutation per epoch) against ``x[perm[i:i + b]], y[perm[i:i + b]]`` on the same tensors.  The two
passes alternate ``repeats`` times and each keeps its fastest, so a slow moment of the machine hits neither.
"""
from __future__ import annotations

import time
from typing import Callable

import torch
from torch import Tensor

from ..data.batches import InMemoryBatches


def fastest_s(passes: dict[str, Callable[[], None]], repeats: int) -> dict[str, float]:
    """The fastest of ``repeats`` timings of each pass, the passes run in turns."""
    best = dict.fromkeys(passes, float("inf"))
    for _ in range(repeats):
        for name, run in passes.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def compare_with_indexing(images: Tensor, targets: Tensor, batch_size: int, repeats: int = 10) -> dict[str, float]:
    """``{"in_memory_images_per_s", "indexing_images_per_s", "ratio"}`` for full passes over the tensors; ratio =
    in-memory throughput / hand-written indexing throughput (1.0: no cost)."""
    batches = InMemoryBatches(images, targets, batch_size=batch_size, shuffle=True, drop_last=True, seed=0)
    n = len(batches) * batch_size

    def indexing() -> None:
        perm = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
        for i in range(0, n, batch_size):
            images[perm[i:i + batch_size]], targets[perm[i:i + batch_size]]

    def in_memory() -> None:
        for _ in batches:
            pass

    best = fastest_s({"indexing": indexing, "in_memory": in_memory}, repeats)
    return {"in_memory_images_per_s": n / best["in_memory"], "indexing_images_per_s": n / best["indexing"],
            "ratio": best["indexing"] / best["in_memory"]}
