"""Uniform batch iteration over what users pass as data: tensors, arrays, Datasets, DataLoaders."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

__all__ = ["Data", "Examples", "as_tensor", "count_items", "examples", "indexable", "iter_inputs", "iter_pairs"]

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


def _label(item: Any) -> Any:
    """The label of one item or batch: the second entry of a tuple/list, a dict's label key, else None."""
    if isinstance(item, (tuple, list)):
        return item[1] if len(item) >= 2 else None
    if isinstance(item, dict):
        for key in ("label", "labels", "target", "targets", "y"):
            if key in item:
                return item[key]
    return None


def _is_image_dataset(data: Any) -> bool:
    """``data`` is an nbviz ImageDataset, whose tensors are read directly (any other Dataset goes
    through ``__getitem__``, which may transform what it stores)."""
    from .datasets import ImageDataset

    return isinstance(data, ImageDataset)


def _is_pair(data: Any) -> bool:
    """``data`` is an ``(inputs, labels)`` pair of arrays/tensors (not a Dataset item)."""
    return isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], (torch.Tensor, np.ndarray))


@dataclass
class Examples:
    """What a dataset holds, as tensors: ``inputs`` (N×…, float), ``labels`` (N int64, or ``None``
    when the container has none), ``class_names`` (from ``.class_names`` or torchvision's ``.classes``)
    and ``masks`` (an nbviz ImageDataset's object masks)."""

    inputs: torch.Tensor
    labels: torch.Tensor | None = None
    class_names: list[str] | None = None
    masks: Any = None

    def __len__(self) -> int:
        return int(self.inputs.shape[0])


def _labels_tensor(values: Sequence[Any]) -> torch.Tensor | None:
    """One int64 label per item, or ``None`` if any item has no integer label."""
    if not values or any(v is None for v in values):
        return None
    try:
        parts = [torch.as_tensor(np.asarray(v.cpu() if isinstance(v, torch.Tensor) else v)).reshape(-1) for v in values]
    except (TypeError, ValueError):
        return None
    labels = torch.cat(parts)
    if labels.dtype.is_floating_point or labels.dtype == torch.bool or labels.dtype.is_complex:
        return None  # not class labels (regression targets, masks …)
    return labels.long()


def _names(data: Any) -> list[str] | None:
    for holder in (data, getattr(data, "dataset", None)):  # a DataLoader or Subset keeps its dataset's names
        names = getattr(holder, "class_names", None) or getattr(holder, "classes", None)
        if names is not None and not isinstance(names, (str, bytes)):
            return [str(n) for n in names]
    return None


def examples(data: Data, *, limit: int | None = None, argument: str = "data") -> Examples:
    """Inputs, labels, class names and masks of ``data``, whatever container it comes in.

    ``data``: an nbviz ImageDataset (``.images``, ``.labels``, ``.class_names``, ``.masks``), a tensor or
    array, an ``(inputs, labels)`` pair, a map-style Dataset of inputs, ``(input, label)`` pairs or dicts
    (``"image"``/``"label"`` …), a DataLoader (iterated once, so a shuffling loader's inputs and labels
    stay aligned) or any iterable of such batches; ``limit``: keep at most this many items (read no more);
    ``argument``: the name errors use. Labels are kept when every item has an integer one."""
    names = _names(data)
    if _is_image_dataset(data):
        inputs, labels = data.images, data.labels
        masks = getattr(data, "masks", None)
    elif _is_pair(data):
        (inputs, labels), masks = data, None
    elif isinstance(data, (torch.Tensor, np.ndarray)):
        inputs, labels, masks = data, None, None
    else:
        inputs, labels = _collect(data, limit, argument)
        masks = None
    x = as_tensor(inputs, argument=argument)[:limit]
    y = None if labels is None else _labels_tensor([labels])
    if y is not None:
        y = y[:limit]
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"{argument}: {x.shape[0]} inputs but {y.shape[0]} labels")
    if masks is not None:
        masks = masks[:limit]
    return Examples(x, y, names, masks)


def indexable(data: Data, *, argument: str = "data") -> Any:
    """``data`` as something with ``len()`` and ``[i]``, staying lazy where it can: a tensor or array
    becomes a tensor, an nbviz ImageDataset its ``.images``, a DataLoader over a map-style Dataset that
    Dataset (its items are read one at a time), a map-style Dataset itself; any other iterable of
    batches is read once into a tensor (:func:`examples`). ``argument``: the name errors use."""
    if isinstance(data, (torch.Tensor, np.ndarray)):
        return as_tensor(data, argument=argument)
    if _is_image_dataset(data):
        return as_tensor(data.images, argument=argument)
    if isinstance(data, torch.utils.data.DataLoader):
        inner = data.dataset
        if isinstance(inner, torch.utils.data.Dataset) and hasattr(inner, "__len__") and hasattr(inner, "__getitem__"):
            return indexable(inner, argument=argument)
    elif isinstance(data, torch.utils.data.Dataset) and hasattr(data, "__len__"):
        return data
    return examples(data, argument=argument).inputs


def _collect(data: Data, limit: int | None, argument: str) -> tuple[torch.Tensor, Any]:
    """Stack the inputs (and labels) of a Dataset, DataLoader or iterable of batches, reading at most ``limit`` items."""
    if isinstance(data, (str, bytes, dict)):
        raise TypeError(f"{argument}: expected a tensor, array, Dataset or DataLoader, got {type(data).__name__}")
    batched = isinstance(data, torch.utils.data.DataLoader) or not (
        isinstance(data, torch.utils.data.Dataset) and hasattr(data, "__len__")
    )
    if batched and not isinstance(data, Iterable):
        raise TypeError(f"{argument}: expected a tensor, array, Dataset or DataLoader, got {type(data).__name__}")
    source = data if batched else (data[i] for i in range(len(data)))  # type: ignore[arg-type]
    inputs: list[torch.Tensor] = []
    labels: list[Any] = []
    count = 0
    for item in source:
        x = as_tensor(_first(item), argument=argument)
        inputs.append(x if batched else x.unsqueeze(0))
        labels.append(_label(item))
        count += int(inputs[-1].shape[0])
        if limit is not None and count >= limit:
            break
    if not inputs:
        raise ValueError(f"{argument}: holds no items")
    found = _labels_tensor(labels)
    return torch.cat(inputs), found


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
    """Yield ``(inputs, targets)`` batches from an ``(x, y)`` pair of tensors, a Dataset of ``(input, target)``
    items (batched ``batch_size`` at a time) or an iterable of ``(inputs, targets)`` batches (a DataLoader)."""
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], (torch.Tensor, np.ndarray)):
        x = as_tensor(data[0], argument=f"{argument}[0]")
        y = data[1] if isinstance(data[1], torch.Tensor) else torch.as_tensor(data[1])
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"{argument}: inputs have {x.shape[0]} samples but targets have {y.shape[0]}")
        for start in range(0, x.shape[0], batch_size):
            yield x[start : start + batch_size], y[start : start + batch_size]
        return
    if isinstance(data, torch.utils.data.Dataset) and hasattr(data, "__len__") and not isinstance(data, torch.utils.data.DataLoader):
        data = torch.utils.data.DataLoader(data, batch_size=batch_size)  # items of (input, label) → batches
    if isinstance(data, Iterable) and not isinstance(data, (torch.Tensor, np.ndarray)):
        for batch in data:
            if not (isinstance(batch, (tuple, list)) and len(batch) >= 2):
                raise TypeError(f"{argument}: expected batches of (inputs, targets), got {type(batch).__name__}")
            yield as_tensor(batch[0], argument=argument), torch.as_tensor(batch[1])
        return
    raise TypeError(f"{argument}: expected an (inputs, targets) pair of tensors or an iterable of such pairs")
