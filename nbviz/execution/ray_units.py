"""Feature visualisation of many units on Ray: the units are split into contiguous shards, each task runs
the local :func:`~nbviz.featurevis.maximize.maximize` (passed in by the caller) on its shard, and the
driver joins images, activations and histories in unit order. Each unit's noise and transforms depend
only on the seed and the unit, so the shards give the images one batch would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from torch import nn

from .._progress import Progress
from . import ray_backend
from .shards import shard_bounds

__all__ = ["maximize_many"]


def maximize_shard(shared: dict[str, Any], bounds: tuple[int, int]) -> Any:
    """On a worker: the local feature visualisation of units ``start:stop``."""
    start, stop = bounds
    return shared["fn"](shared["model"], shared["layer"], shared["units"][start:stop], progress=False, executor="local",
                        **shared["kwargs"])


def maximize_many(
    fn: Callable[..., Any], model: nn.Module, layer: Any, units: list[Any], kwargs: dict[str, Any], progress: Progress | None
) -> Any:
    """``fn(model, layer, units, **kwargs)`` with the units spread over the cluster, joined in unit order."""
    from ..featurevis.results import FeatureVis

    bounds = shard_bounds(len(units), 1, ray_backend.worker_slots(), per_slot=1)
    parts: dict[int, Any] = {}
    ray_backend.run(maximize_shard, dict(fn=fn, model=model, layer=layer, units=units, kwargs=kwargs), bounds,
                    lambda i, value: parts.__setitem__(i, value), progress=progress, message="feature visualisation")
    ordered = [parts[i] for i in range(len(bounds))]
    return FeatureVis(
        layer=ordered[0].layer, units=[u for p in ordered for u in p.units],
        images=np.concatenate([p.images for p in ordered]), activations=np.concatenate([p.activations for p in ordered]),
        history=np.concatenate([p.history for p in ordered], axis=1),
    )
