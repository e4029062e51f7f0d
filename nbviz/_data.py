"""Uniform batch iteration over what users pass as data: tensors, arrays, Datasets, DataLoaders."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import torch

__all__ = ["Data", "as_tensor", "count_items", "iter_inputs", "iter_pairs"]

Data = Any  # torch.Tensor | np.ndarray | Dataset | DataLoader | iterable of batches


def as_tensor(x: Any, *, argument: str = "x") -> torch.Tensor:
    """A float tensor from a tensor or numpy array; a clear error for anything else."""
    if isinstance(x, torch.Tensor):
        t = x
    elif isinstance(x, np.ndarray):
        t = torch.from_numpy(np.ascontiguousarray(x))
    else:
        raise TypeError(f"{argument}: expected a torch.Tensor or numpy array, got {type(x).__name__}")
    if not torch.is_floating_point(t):
        t = t.float()
    return t


def _first(item: Any) -> Any:
    if isinstance(item, (tuple, list)):
        return item[0]
    if isinstance(item, dict):
        for key in ("image", "images", "input", "inputs", "x"):
            if key in item:
                return item[key]
        return next(iter(item.values()))
    return item


def count_items(data: Data) -> int | None:
    """Number of samples in ``data`` when it can be known without iterating."""
    if isinstance(data, (torch.Tensor, np.ndarray)):
        return int(data.shape[0])
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], (torch.Tensor, np.ndarray)):
        return int(data[0].shape[0])
    loader = data if isinstance(data, torch.utils.data.DataLoader) else None
    if loader is not None:
        try:
            return len(loader.dataset)  # type: ignore[arg-type]
        except TypeError:
            return None
    try:
        return len(data)
    except TypeError:
        return None


def iter_inputs(data: Data, batch_size: int = 64, *, argument: str = "data") -> Iterator[torch.Tensor]:
    """Yield input batches (labels dropped) from a tensor, array, (x, y) pair, Dataset or DataLoader."""
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], (torch.Tensor, np.ndarray)):
        data = data[0]
    if isinstance(data, (torch.Tensor, np.ndarray)):
        x = as_tensor(data, argument=argument)
        for start in range(0, x.shape[0], batch_size):
            yield x[start : start + batch_size]
        return
    if isinstance(data, torch.utils.data.DataLoader):
        for batch in data:
            yield as_tensor(_first(batch), argument=argument)
        return
    if isinstance(data, torch.utils.data.Dataset) and hasattr(data, "__len__"):
        n = len(data)  # type: ignore[arg-type]
        for start in range(0, n, batch_size):
            items = [_first(data[i]) for i in range(start, min(n, start + batch_size))]
            yield torch.stack([as_tensor(i, argument=argument) for i in items])
        return
    if isinstance(data, Iterable):
        for batch in data:
            yield as_tensor(_first(batch), argument=argument)
        return
    raise TypeError(f"{argument}: expected a tensor, array, Dataset or DataLoader, got {type(data).__name__}")


def iter_pairs(data: Data, batch_size: int = 256, *, argument: str = "data") -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield ``(inputs, targets)`` batches from an ``(x, y)`` pair of tensors or an iterable of pairs."""
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], (torch.Tensor, np.ndarray)):
        x = as_tensor(data[0], argument=f"{argument}[0]")
        y = data[1] if isinstance(data[1], torch.Tensor) else torch.as_tensor(data[1])
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"{argument}: inputs have {x.shape[0]} samples but targets have {y.shape[0]}")
        for start in range(0, x.shape[0], batch_size):
            yield x[start : start + batch_size], y[start : start + batch_size]
        return
    if isinstance(data, Iterable) and not isinstance(data, (torch.Tensor, np.ndarray)):
        for batch in data:
            if not (isinstance(batch, (tuple, list)) and len(batch) >= 2):
                raise TypeError(f"{argument}: expected batches of (inputs, targets), got {type(batch).__name__}")
            yield as_tensor(batch[0], argument=argument), torch.as_tensor(batch[1])
        return
    raise TypeError(f"{argument}: expected an (inputs, targets) pair of tensors or an iterable of such pairs")
