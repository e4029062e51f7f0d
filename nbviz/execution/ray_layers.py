"""Dataset scans on Ray (top-activating inputs, activation statistics, features): each task runs the
local function (passed in by the caller, so this module imports none of them) on its shard of the user's
Dataset; the driver merges shard results as they arrive.

Driver memory is bounded by the result, not the data: top-k keeps ``k`` candidates (merged with each
shard's own top ``k``), statistics keep one accumulator per layer, features write each shard's rows into
the (N, D) output."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from .._data import Data
from .._guard import model_guard
from .._progress import Progress
from . import ray_backend
from .shards import data_slice, shard_bounds, shardable

__all__ = ["activation_sums", "features", "top_k"]


def _run_shards(
    task: Callable[[Any, Any], Any],
    shared: dict[str, Any],
    data: Data,
    batch_size: int,
    merge: Callable[[tuple[int, int], Any], None],
    progress: Progress | None,
    span: tuple[float, float],
    message: str,
) -> int:
    samples, align = shardable(data, batch_size)
    if samples == 0:
        raise ValueError("data: holds no samples")
    bounds = shard_bounds(samples, align, ray_backend.worker_slots())
    ray_backend.run(
        task, {**shared, "data": data, "batch_size": batch_size}, bounds,
        lambda i, value: merge(bounds[i], value), progress=progress, span=span, message=message,
    )
    return samples


# -- top-activating inputs ------------------------------------------------------------------------
def top_shard(shared: dict[str, Any], bounds: tuple[int, int]) -> dict[str, np.ndarray]:
    """On a worker: the shard's own top ``k`` (local :func:`~nbviz.layers.top.top_activating`, no crops)."""
    start, stop = bounds
    found = shared["fn"](
        shared["model"], data_slice(shared["data"], start, stop), shared["layer"], shared["channel"], k=shared["k"],
        batch_size=shared["batch_size"], progress=False, crops=False, executor="local",
    )
    positions = found.positions if found.positions is not None else np.zeros((len(found.indices), 0), dtype=np.int64)
    return dict(values=found.values, indices=found.indices + start, positions=positions, images=found.images)


class TopK:
    """The best ``k`` candidates seen so far, best first (ties: lower dataset index first, as locally)."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.best: dict[str, np.ndarray] | None = None
        self.peak = 0  # most candidates held at once (tests check it stays at 2k)

    def add(self, found: dict[str, np.ndarray]) -> None:
        both = found if self.best is None else {key: np.concatenate([self.best[key], found[key]]) for key in found}
        self.peak = max(self.peak, len(both["values"]))
        order = np.lexsort((both["indices"], -both["values"]))[: self.k]
        self.best = {key: value[order] for key, value in both.items()}


def top_k(
    fn: Callable[..., Any],
    model: nn.Module, data: Data, layer: Any, channel: int, k: int, batch_size: int, progress: Progress | None,
    span: tuple[float, float],
) -> dict[str, torch.Tensor]:
    """The top ``k`` over ``data`` as :func:`~nbviz.layers.top.top_activating`'s local loop leaves them."""
    merged = TopK(k)
    shared = dict(fn=fn, model=model, layer=layer, channel=channel, k=k)
    _run_shards(top_shard, shared, data, batch_size, lambda _, found: merged.add(found), progress, span, "top-activating inputs")
    assert merged.best is not None
    return {key: torch.from_numpy(np.ascontiguousarray(value)) for key, value in merged.best.items()}


# -- activation statistics ------------------------------------------------------------------------
def stats_shard(shared: dict[str, Any], bounds: tuple[int, int]) -> tuple[list[tuple[str, int, Any, Any, Any, int]], int]:
    """On a worker: the raw per-channel sums, maxima, non-zero counts and counts of the shard."""
    start, stop = bounds
    with model_guard(shared["model"]) as guard:
        accumulators, samples = shared["fn"](guard, data_slice(shared["data"], start, stop), shared["layers"], shared["batch_size"])
    return [(ref.key, a.axis, a.sum, a.max, a.nonzero, a.count) for ref, a in accumulators.items()], samples


def activation_sums(
    fn: Callable[..., Any], model: nn.Module, data: Data, layers: Any, batch_size: int, progress: Progress | None
) -> tuple[list[tuple[str, int, Any, Any, Any, int]], int]:
    """Per layer ``(key, axis, sum, max, nonzero, count)`` over all of ``data`` (merged shard by shard),
    and the number of samples."""
    merged: dict[str, list[Any]] = {}

    def merge(_: tuple[int, int], value: tuple[list[Any], int]) -> None:
        for key, axis, total, high, nonzero, count in value[0]:
            if key not in merged:
                merged[key] = [key, axis, total, high, nonzero, count]
            else:
                row = merged[key]
                row[2], row[3], row[4], row[5] = row[2] + total, torch.maximum(row[3], high), row[4] + nonzero, row[5] + count

    samples = _run_shards(stats_shard, dict(fn=fn, model=model, layers=layers), data, batch_size, merge, progress, (0.0, 1.0),
                          "activation statistics")
    return [tuple(row) for row in merged.values()], samples


# -- features --------------------------------------------------------------------------------------
def features_shard(shared: dict[str, Any], bounds: tuple[int, int]) -> np.ndarray:
    """On a worker: the shard's (n, D) features (local :func:`~nbviz.embedding.features.extract_features`)."""
    start, stop = bounds
    return shared["fn"](
        shared["model"], data_slice(shared["data"], start, stop), shared["layer"], batch_size=shared["batch_size"],
        pool=shared["pool"], progress=False, executor="local",
    )


def features(fn: Callable[..., Any], model: nn.Module, data: Data, layer: Any, batch_size: int, pool: str, progress: Progress | None) -> np.ndarray:
    """(N, D) float32 features of every input, each shard's rows written as it arrives."""
    out: list[np.ndarray | None] = [None]
    samples, _ = shardable(data, batch_size)

    def merge(bounds: tuple[int, int], rows: np.ndarray) -> None:
        buffer = out[0]
        if buffer is None:
            buffer = out[0] = np.empty((samples, *rows.shape[1:]), dtype=np.float32)
        buffer[bounds[0] : bounds[1]] = rows

    _run_shards(features_shard, dict(fn=fn, model=model, layer=layer, pool=pool), data, batch_size, merge, progress, (0.0, 1.0),
                f"features of {layer!r}" if isinstance(layer, str) else "features")
    assert out[0] is not None
    return out[0]
