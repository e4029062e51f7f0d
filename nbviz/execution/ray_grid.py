"""Grid points (loss landscapes) on Ray: the model, loss, data and point function go to the object
store once per job; each task evaluates a contiguous chunk of points with the local
:class:`~nbviz.landscape.evaluate.Evaluator` on the worker, under the model guard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from torch import nn

from .._guard import model_device, model_guard
from .._progress import Progress
from ..landscape.evaluate import DEFAULT_MEMORY_BUDGET, DataSource, Evaluator, Points, StateAt, Values
from . import ray_backend

__all__ = ["RayEvaluator"]


def evaluate_chunk(shared: dict[str, Any], points: list[int]) -> tuple[np.ndarray, np.ndarray | None, bool | None, int | None]:
    """On a worker: loss and accuracy at ``points`` (what :meth:`Evaluator.evaluate` returns locally)."""
    model = shared["model"]
    device = model_device(model)
    state_at = shared["state_at"]
    with model_guard(model) as guard:
        source = DataSource(shared["data"], shared["batch_size"], device)
        evaluator = Evaluator(
            guard.model, shared["loss_fn"], source, memory_budget=shared["memory_budget"], recompute_bn=shared["recompute_bn"]
        )
        values = evaluator.evaluate(lambda k: {n: t.to(device) for n, t in state_at(k).items()}, points)
    return values.loss, values.accuracy, evaluator.classification, evaluator.samples


class RayEvaluator:
    """:class:`~nbviz.landscape.evaluate.Evaluator`'s interface, the points spread over Ray tasks."""

    def __init__(
        self,
        model: nn.Module,
        loss_fn: Callable[[Any, Any], Any],
        source: DataSource,
        *,
        memory_budget: int = DEFAULT_MEMORY_BUDGET,
        recompute_bn: bool = False,
    ) -> None:
        Evaluator(model, loss_fn, source, memory_budget=memory_budget)  # the same argument checks as locally
        self.model, self.loss_fn, self.source = model, loss_fn, source
        self.memory_budget, self.recompute_bn = int(memory_budget), bool(recompute_bn)
        self.classification: bool | None = None
        self._samples: int | None = None
        self._shared: tuple[StateAt, ray_backend.Shared] | None = None

    @property
    def samples(self) -> int | None:
        """Samples in one pass over the data (known after the first chunk, or up front)."""
        return self._samples if self._samples is not None else self.source.known_count()

    def _job(self, state_at: StateAt) -> ray_backend.Shared:
        """The job's shared objects in the object store, put once per point function."""
        if self._shared is None or self._shared[0] is not state_at:
            value = dict(
                model=self.model, loss_fn=self.loss_fn, data=self.source.data, batch_size=self.source.batch_size,
                memory_budget=self.memory_budget, recompute_bn=self.recompute_bn, state_at=state_at,
            )
            self._shared = (state_at, ray_backend.share(value))
        return self._shared[1]

    def evaluate(
        self,
        state_at: StateAt,
        points: Points,
        *,
        progress: Progress | None = None,
        fraction: tuple[float, float] = (0.0, 1.0),
        message: str = "loss landscape",
    ) -> Values:
        """Loss (and accuracy) at ``state_at(k)`` for each ``k`` in ``points``, computed on the cluster."""
        points = [int(k) for k in points]
        loss = np.full(len(points), np.nan)
        acc = np.full(len(points), np.nan)
        if not points:
            return Values(loss, None if self.classification is False else acc)
        parts = ray_backend.chunks(points, ray_backend.worker_slots())
        starts = np.cumsum([0] + [len(p) for p in parts])

        def merge(i: int, value: tuple[np.ndarray, np.ndarray | None, bool | None, int | None]) -> None:
            part_loss, part_acc, classification, samples = value
            loss[starts[i] : starts[i + 1]] = part_loss
            if part_acc is not None:
                acc[starts[i] : starts[i + 1]] = part_acc
            self.classification, self._samples = classification, samples

        ray_backend.run(evaluate_chunk, self._job(state_at), parts, merge, progress=progress, span=fraction, message=message)
        return Values(loss, acc if self.classification else None)
