"""The process's random number generators as a checkpoint-safe value, and back.

``pl.seed_everything`` seeds Python's ``random``, NumPy's global generator and torch (CPU and every CUDA device);
``rng_state()`` captures all four, with NumPy's key array as a tensor, so the state pickles to tensors, tuples and
ints only and loads under ``torch.load(weights_only=True)``.
"""
from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def rng_state() -> dict[str, Any]:
    """The current state of Python's, NumPy's and torch's (CPU, CUDA) global generators."""
    name, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    return {"python": random.getstate(),
            "numpy": (name, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached_gaussian),
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what ``rng_state`` captured; CUDA states only when this process sees as many devices."""
    random.setstate(state["python"])
    name, keys, pos, has_gauss, cached_gaussian = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, cached_gaussian))
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available() and torch.cuda.device_count() == len(state["cuda"]):
        torch.cuda.set_rng_state_all(state["cuda"])
