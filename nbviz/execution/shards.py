"""Dataset shards for the Ray backend: index ranges a worker reads itself from the user's data.

A shard is a ``(start, stop)`` range of sample indices. Shard boundaries fall on whole batches, so every
batch a worker forms is a batch the local backend forms too (same values, not just close ones)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from .._data import Data

__all__ = ["data_slice", "shard_bounds", "shardable"]


def _loader_dataset(data: torch.utils.data.DataLoader) -> Any:
    sequential = isinstance(data.sampler, torch.utils.data.SequentialSampler)
    dataset = data.dataset
    if not (sequential and isinstance(dataset, torch.utils.data.Dataset) and hasattr(dataset, "__len__")):
        return None
    return dataset


def shardable(data: Data, batch_size: int) -> tuple[int, int]:
    """``(samples, batch size the shards align to)`` for data the workers can slice themselves, else a
    ``TypeError`` naming ``data``."""
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], (torch.Tensor, np.ndarray)):
        return int(data[0].shape[0]), batch_size
    if isinstance(data, (torch.Tensor, np.ndarray)):
        return int(data.shape[0]), batch_size
    if isinstance(data, torch.utils.data.DataLoader):
        dataset = _loader_dataset(data)
        if dataset is not None and data.batch_size:
            return len(dataset), int(data.batch_size)
    elif isinstance(data, torch.utils.data.Dataset) and hasattr(data, "__len__"):
        return len(data), batch_size
    raise TypeError(
        "data: executor='ray' needs a tensor, array, (inputs, targets) pair, map-style Dataset or a "
        f"non-shuffling DataLoader over one (workers read their own shards), got {type(data).__name__}"
    )


def shard_bounds(samples: int, batch_size: int, slots: int, per_slot: int = 4) -> list[tuple[int, int]]:
    """About ``per_slot`` shards per worker slot, each a whole number of batches, covering ``samples``."""
    batches = math.ceil(samples / batch_size)
    if batches == 0:
        return []
    per_shard = math.ceil(batches / max(1, min(batches, slots * per_slot)))
    step = per_shard * batch_size
    return [(start, min(samples, start + step)) for start in range(0, samples, step)]


def data_slice(data: Data, start: int, stop: int) -> Data:
    """Samples ``start:stop`` of ``data``, in the same kind of container (read lazily for Datasets)."""
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], (torch.Tensor, np.ndarray)):
        return data[0][start:stop], data[1][start:stop]
    if isinstance(data, (torch.Tensor, np.ndarray)):
        return data[start:stop]
    if isinstance(data, torch.utils.data.DataLoader):
        subset = torch.utils.data.Subset(_loader_dataset(data), range(start, stop))
        return torch.utils.data.DataLoader(subset, batch_size=data.batch_size, collate_fn=data.collate_fn)
    return torch.utils.data.Subset(data, range(start, stop))
