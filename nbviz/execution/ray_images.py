"""Attribution over many images on Ray: the images are split into contiguous shards, each task runs the
local :func:`~nbviz.attribution.saliency.saliency` or :func:`~nbviz.attribution.occlusion.occlusion` (passed
in by the caller) on its shard under the model guard, and the driver joins the shards' results in input
order as they arrive."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from .._progress import Progress
from . import ray_backend
from .shards import shard_bounds

__all__ = ["occlusion_many", "saliency_many"]


def _rows(value: Any, start: int, stop: int, n: int) -> Any:
    """``value[start:stop]`` when it has one entry per input, else ``value`` (None, an int, a callable)."""
    if isinstance(value, (torch.Tensor, np.ndarray, list, tuple)) and len(value) == n:
        return value[start:stop]
    return value


def saliency_shard(shared: dict[str, Any], bounds: tuple[int, int]) -> Any:
    """On a worker: the local saliency of inputs ``start:stop``."""
    start, stop = bounds
    n = len(shared["x"])
    kwargs = dict(shared["kwargs"])
    if kwargs.get("method") == "smoothgrad":  # the local noise stream's draws for inputs start:stop
        kwargs["_offset"] = start
    return shared["fn"](
        shared["model"], shared["x"][start:stop], _rows(shared["target"], start, stop, n), executor="local",
        progress=False, **kwargs,
    )


def saliency_many(
    fn: Callable[..., Any], model: nn.Module, x: Any, target: Any, kwargs: dict[str, Any], progress: Progress | None
) -> Any:
    """:func:`~nbviz.attribution.saliency.saliency` of every input of ``x`` (N×…), shards on the cluster."""
    from ..attribution.result import Attribution

    n = len(x)
    bounds = shard_bounds(n, 1, ray_backend.worker_slots())
    parts: dict[int, Any] = {}
    ray_backend.run(saliency_shard, dict(fn=fn, model=model, x=x, target=target, kwargs=kwargs), bounds,
                    lambda i, value: parts.__setitem__(i, value), progress=progress, message="saliency")
    ordered = [parts[i] for i in range(len(bounds))]

    def joined(name: str) -> np.ndarray | None:
        values = [getattr(p, name) for p in ordered]
        return None if any(v is None for v in values) else np.concatenate(values)

    first = ordered[0]
    maps, raw = joined("maps"), joined("raw")
    assert maps is not None and raw is not None  # every shard's Attribution has maps and raw
    return Attribution(
        maps=maps, raw=raw, method=first.method, target=joined("target"), delta=joined("delta"),
        layer=first.layer, notes=list(dict.fromkeys(note for p in ordered for note in p.notes)), all_zero=joined("all_zero"),
    )


def occlusion_shard(shared: dict[str, Any], bounds: tuple[int, int]) -> list[Any]:
    """On a worker: the local occlusion of each image ``start:stop`` (``target``: one per image)."""
    x, targets = shared["x"], shared["target"]
    return [
        shared["fn"](shared["model"], x[i], targets[i], executor="local", progress=False, **shared["kwargs"])
        for i in range(*bounds)
    ]


def occlusion_many(
    fn: Callable[..., Any], model: nn.Module, x: torch.Tensor, target: Any, kwargs: dict[str, Any],
    progress: Progress | None,
) -> list[Any]:
    """:func:`~nbviz.attribution.occlusion.occlusion` of every image of ``x`` (N×C×H×W; ``target`` a list,
    one per image), shards on the cluster; one result per image, in input order."""
    bounds = shard_bounds(len(x), 1, ray_backend.worker_slots())
    parts: dict[int, list[Any]] = {}
    ray_backend.run(occlusion_shard, dict(fn=fn, model=model, x=x, target=target, kwargs=kwargs), bounds,
                    lambda i, value: parts.__setitem__(i, value), progress=progress, message="occlusion")
    return [result for i in range(len(bounds)) for result in parts[i]]
