"""Batches of tensors held in memory, without a DataLoader: the fastest path for datasets that fit in RAM.

A DataLoader over a TensorDataset collates every batch sample by sample; here a batch is one ``index_select`` (a
slice when not shuffling), which is what a hand-written loop does.  Lightning accepts any iterable with a length.
"""
from __future__ import annotations

from typing import Iterator

import torch
from torch import Tensor


class InMemoryBatches:
    """Iterate aligned tensors (same first dimension) in batches.

    ``shuffle``: a new permutation every epoch from ``seed + epoch``, so the sequence of epochs is reproducible.
    The epoch advances after each full pass; Lightning also calls ``sampler.set_epoch(epoch)`` before every
    epoch (this object is its own ``sampler``), which keeps a resumed run on the same sequence.
    ``num_replicas``/``rank``: each process of a data-parallel run takes every ``num_replicas``-th sample of the
    permutation, the shards cut to equal length, so shards are disjoint and every rank runs the same step count.
    ``state_dict``/``load_state_dict`` (Lightning's resumable-loader protocol, saved in every checkpoint): a run
    resumed from a checkpoint saved mid-epoch continues that epoch at the batch after the last one served.
    """

    def __init__(self, *tensors: Tensor, batch_size: int, shuffle: bool, drop_last: bool, seed: int = 0,
                 num_replicas: int = 1, rank: int = 0) -> None:
        if not tensors:
            raise ValueError("InMemoryBatches needs at least one tensor")
        if any(len(t) != len(tensors[0]) for t in tensors):
            raise ValueError(f"tensors differ in their first dimension: {[len(t) for t in tensors]}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if num_replicas < 1 or not 0 <= rank < num_replicas:
            raise ValueError(f"need num_replicas >= 1 and 0 <= rank < num_replicas, got rank={rank}, "
                             f"num_replicas={num_replicas}")
        self.tensors, self.batch_size, self.shuffle, self.drop_last = tensors, batch_size, shuffle, drop_last
        self.seed, self.num_replicas, self.rank, self.epoch = seed, num_replicas, rank, 0
        self.shard_size = len(tensors[0]) // num_replicas if num_replicas > 1 else len(tensors[0])
        self._served, self._resume_at = 0, (-1, 0)     # batches of this epoch served; (epoch, batch) to resume at

    batch_sampler = None        # Lightning inspects ``sampler``/``batch_sampler`` as it would a DataLoader's

    @property
    def sampler(self) -> "InMemoryBatches":
        """Lightning calls ``loader.sampler.set_epoch(epoch)``: this object plays both parts."""
        return self

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        full, rest = divmod(self.shard_size, self.batch_size)
        return full if self.drop_last or not rest else full + 1

    def _indices(self) -> Tensor | None:
        """This rank's sample order for the current epoch; None means 0..n-1 (batches are then slices)."""
        if not self.shuffle and self.num_replicas == 1:
            return None
        n = len(self.tensors[0])
        order = (torch.randperm(n, generator=torch.Generator().manual_seed(self.seed + self.epoch))
                 if self.shuffle else torch.arange(n))
        return order[self.rank::self.num_replicas][:self.shard_size]

    def state_dict(self) -> dict[str, int]:
        """The epoch and how many of its batches were served."""
        return {"epoch": self.epoch, "batches": self._served}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """The next pass over ``state``'s epoch skips the batches it had served."""
        self._resume_at = (int(state["epoch"]), int(state["batches"]))

    def __iter__(self) -> Iterator[list[Tensor]]:
        indices, b = self._indices(), self.batch_size
        epoch, skip = self._resume_at
        self._served, self._resume_at = (skip if epoch == self.epoch else 0), (-1, 0)
        for start in range(self._served * b, len(self) * b, b):
            self._served += 1
            if indices is None:
                yield [t[start:start + b] for t in self.tensors]
            else:
                idx = indices[start:start + b]
                yield [t.index_select(0, idx) for t in self.tensors]
        self.epoch, self._served = self.epoch + 1, 0
