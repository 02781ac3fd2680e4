"""Data parallelism (DDP, ``trainer=ddp``) for what Lightning's DDP wrapper does not cover: a module that optimises
several networks by hand (the GAN), per-sample random draws, and set-level metrics.

With W processes, each of them trains on its own b samples of every global batch of W b (``data.InMemoryBatches``
gives process r the samples r, r + W, r + 2W, ... of the batch a single process would take), and the step applies
the gradient of the global batch's mean loss, (1/W) sum_r g_r, on every process, so their weights stay identical.

- **Gradients, per network** (``average_gradients``): DDP's reducer all-reduces the gradients of *every*
  parameter of the module it wraps in each backward pass and waits for all of them, so a backward pass that leaves
  a network without gradients (the GAN's discriminator step never reaches G) never completes its reduction
  ("parameters that were not used in producing the loss").  A manually optimised module instead turns the reducer
  off for its backward passes (``ddp_sync_blocked``, Lightning's ``block_backward_sync``) and averages the
  gradients of the network about to step, in one all-reduce: each network's step reduces its own gradients only.
- **BatchNorm running statistics** (``average_batchnorm_statistics``): each process updates them from its own b
  samples, and DDP's broadcast of rank 0's buffers before each forward pass stays off after the first step of a
  manually optimised module (Lightning redirects its forward); averaged after each step they stay identical on
  every process, the running mean that of the global batch (as SyncBatchNorm's would be), the running variance the
  mean of the processes' variances.  (Normalisation
  in training still uses each process's own batch unless SyncBatchNorm is on: ``trainer.sync_batchnorm``, GPUs.)
- **Per-sample random values** (``process_share``): Lightning seeds every process alike, so each draws the values
  of the whole global batch and keeps its own share (r, r + W, ...): the processes' samples get independent values
  (not W copies of the same noise), exactly those a single process would draw for the global batch from the same
  generator state, and the generators stay equal on every process (a checkpoint holds rank 0's, which every rank
  restores).
- **Set-level metrics** (``gathered``): a metric of a set of images (the artifact metrics) is computed on the
  batch gathered from every process, in the single process's order, not averaged over the processes' parts.
- **Shares that hold a batch** (``check_data_parallel``): a run whose processes would get no full training batch
  is refused before training, naming the keys.

Outside a multi-process run none of this changes anything.
"""
from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext
from typing import Callable, ContextManager

import torch
import torch.distributed as dist
from torch import Tensor, nn


def check_data_parallel(world_size: int, batch_size: int, train_samples: int) -> None:
    """Each of the ``world_size`` processes of a data-parallel run (trainer.devices x trainer.num_nodes) trains on
    its 1/W share of the training samples (``data.InMemoryBatches``; Lightning's DistributedSampler for streamed
    data) in full batches of data.batch_size: a share smaller than a batch gives no training step at all, and
    Lightning would end the run "completed" without one.  Refused naming the keys."""
    share = train_samples // world_size
    if world_size > 1 and share < batch_size:
        raise ValueError(f"data.batch_size={batch_size} is larger than each process's share of the {train_samples} "
                         f"training samples ({share} for each of {world_size} processes, trainer.devices x "
                         f"trainer.num_nodes): lower data.batch_size or trainer.devices")


def world() -> tuple[int, int]:
    """(this process's rank, the number of processes); (0, 1) without an initialised process group."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def process_share(draw: Callable[[int], Tensor], n: int) -> Tensor:
    """This process's ``n`` of the ``n * W`` values ``draw(n * W)`` gives (first dimension): rows r, r + W, ..."""
    rank, size = world()
    return draw(n) if size == 1 else draw(n * size)[rank::size]


def ddp_sync_blocked(strategy) -> ContextManager:
    """A context in which backward passes leave DDP's reducer out (the strategy's ``block_backward_sync``)."""
    block = getattr(strategy, "block_backward_sync", None)
    return block() if block is not None else nullcontext()


def _all_reduce_mean(tensors: list[Tensor]) -> None:
    """Replace each of ``tensors`` by its mean over the processes, in place, with one all-reduce."""
    flat = torch.cat([t.reshape(-1) for t in tensors])
    dist.all_reduce(flat)
    flat /= world()[1]
    for t, part in zip(tensors, flat.split([t.numel() for t in tensors])):
        t.copy_(part.view_as(t))


def average_gradients(parameters: Iterable[nn.Parameter]) -> None:
    """The gradients of ``parameters`` (those that have one), averaged over the processes."""
    grads = [p.grad for p in parameters if p.grad is not None]
    if world()[1] > 1 and grads:
        _all_reduce_mean(grads)


@torch.no_grad()
def average_batchnorm_statistics(module: nn.Module) -> None:
    """The running mean and variance of every BatchNorm in ``module``, averaged over the processes."""
    stats = [s for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats
             for s in (m.running_mean, m.running_var) if s is not None]
    if world()[1] > 1 and stats:
        _all_reduce_mean(stats)


def gathered(tensor: Tensor) -> Tensor:
    """``tensor`` (N, ...) of every process, concatenated in a single process's order: row j of process r becomes
    row j W + r (the inverse of the data's split); ``tensor`` itself in one process."""
    size = world()[1]
    if size == 1:
        return tensor
    tensor = tensor.contiguous()
    parts = [torch.empty_like(tensor) for _ in range(size)]
    dist.all_gather(parts, tensor)
    return torch.stack(parts, dim=1).flatten(0, 1)
