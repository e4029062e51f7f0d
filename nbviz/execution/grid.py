"""The grid evaluator for a backend: the landscape's :class:`~nbviz.landscape.evaluate.Evaluator` here,
or its Ray counterpart (same ``evaluate`` interface) that spreads a stage's points over the cluster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._guard import ModelGuard
from ..landscape.evaluate import DEFAULT_MEMORY_BUDGET, DataSource, Evaluator

__all__ = ["make_evaluator"]


def make_evaluator(
    executor: str,
    guard: ModelGuard,
    loss_fn: Callable[[Any, Any], Any],
    source: DataSource,
    *,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    recompute_bn: bool = False,
) -> Any:
    """An evaluator of ``loss_fn`` over ``source`` at parameter points of ``guard``'s model.

    Parameters
    ----------
    executor : str
        ``"local"`` (this process, on ``guard.model``) or ``"ray"`` (see :mod:`nbviz.execution.ray_grid`).
    guard : ModelGuard
        The open guard on the user's model.
    loss_fn : callable
        ``loss_fn(outputs, targets)`` returning the batch mean.
    source : DataSource
        The data every point is evaluated on.
    memory_budget : int, default 256 MiB
        Bytes of parameter copies held at once per process.
    recompute_bn : bool, default False
        Re-estimate BatchNorm statistics at every point.
    """
    if executor == "ray":
        from .ray_grid import RayEvaluator

        return RayEvaluator(guard.user_model, loss_fn, source, memory_budget=memory_budget, recompute_bn=recompute_bn)
    return Evaluator(guard.model, loss_fn, source, memory_budget=memory_budget, recompute_bn=recompute_bn)
