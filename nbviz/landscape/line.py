"""Loss along the straight line from a start point (by default a fresh random initialisation) to θ*."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from .._guard import model_device, model_guard
from .._inputs import check_model
from .._progress import Progress, with_progress_bar
from ..execution import resolve_executor
from ..execution.grid import make_evaluator
from .evaluate import DEFAULT_BATCH_SIZE, DEFAULT_MEMORY_BUDGET, DataSource
from .params import Params, load_state
from .results import LineResult

__all__ = ["line", "random_init"]

#: the default α values of :func:`line`: 41 steps from −0.5 to 1.5 (read-only: a default shared by every call)
DEFAULT_ALPHAS = np.linspace(-0.5, 1.5, 41)
DEFAULT_ALPHAS.flags.writeable = False


def random_init(model: nn.Module, seed: int = 0) -> nn.Module:
    """A fresh initialisation of ``model``'s architecture: a deep copy on which every module's
    ``reset_parameters()`` runs under ``seed`` (the global RNG state is left as it was)."""
    fresh = copy.deepcopy(model)
    device = model_device(model)
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices), torch.no_grad():
        torch.manual_seed(int(seed))
        for module in fresh.modules():
            reset = getattr(module, "reset_parameters", None)
            if callable(reset):
                reset()
    return fresh


@with_progress_bar("loss line")
def line(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], Any],
    data: Any,
    start: dict | nn.Module | None = None,
    alphas: Any = DEFAULT_ALPHAS,
    seed: int = 0,
    progress: Progress | None = None,
    *,
    batch_size: int | None = DEFAULT_BATCH_SIZE,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    executor: str | None = None,
) -> LineResult:
    """Loss (and accuracy) at θ(α) = (1 − α)·θ_start + α·θ* for each α in ``alphas`` (shape (K,)).

    ``start``: ``None`` → a fresh random initialisation of the same architecture (seeded by ``seed``,
    see :func:`random_init`); or a state dict; or another model of the same architecture. Parameters
    and floating-point buffers (BatchNorm running statistics) are interpolated together, so α = 0
    reproduces the start model's loss and α = 1 the trained model's; BatchNorm runs in eval mode.
    ``data`` and ``loss_fn`` as in :func:`plane`. The model is never written to.

    Parameters
    ----------
    model : torch.nn.Module
        The trained model, θ* (α = 1); never changed.
    loss_fn : callable
        ``loss_fn(outputs, targets)``: the batch mean loss (batches are weighted by their size).
    data : (inputs, targets), iterable of (inputs, targets) or DataLoader
        The data the loss is computed on.
    start : dict, torch.nn.Module or None, default None
        The start point (α = 0): a state dict or a model of the same architecture; ``None``: a fresh
        random initialisation (:func:`random_init`).
    alphas : array-like, default ``numpy.linspace(-0.5, 1.5, 41)``
        The α values, 1-D, finite.
    seed : int, default 0
        Seed of the random initialisation when ``start`` is ``None``.
    progress : callable, False or None, default None
        ``progress(fraction, message)`` during the work; return ``False`` to stop. ``None``: a progress bar
        once the call runs longer than a second; ``False``: none.
    batch_size : int or None, default None
        Samples per forward for in-memory data; ``None``: measured (:mod:`nbviz._batch_size`). A
        DataLoader keeps its own batches.
    memory_budget : int, default 268435456
        Bytes of parameter copies held at once when the data is streamed (256 MiB).
    executor : {"local", "ray"} or None, default None
        Where the points are evaluated; ``None``: the kernel's choice (:func:`nbviz.use_ray`,
        :func:`nbviz.use_local`).

    Returns
    -------
    LineResult
        ``alphas`` (K,), ``loss`` (K,) and ``accuracy`` (K,) or ``None`` (outputs not class logits).
    """
    check_model(model)
    alphas = np.array(alphas, dtype=np.float64)  # a copy: the result owns its alphas
    if alphas.ndim != 1 or alphas.size == 0 or not np.isfinite(alphas).all():
        raise ValueError(f"alphas: expected a non-empty 1-D array of finite numbers, got shape {alphas.shape}")
    backend = resolve_executor(executor)
    with model_guard(model) as guard:
        if start is None:
            start = random_init(guard.model, seed)
        theta0 = load_state(model, start, argument="start", buffers=True)
        current = model.state_dict()
        theta1 = {n: current[n].detach() for n in theta0}

        def state_at(k: int) -> Params:
            a = float(alphas[k])
            state = {n: torch.lerp(theta0[n], theta1[n], a) for n in theta0}
            for n in state:  # beyond the ends (α < 0 or > 1) a variance can extrapolate below zero
                if n.endswith("running_var"):
                    state[n].clamp_(min=0.0)
            return state

        source = DataSource(data, batch_size, model_device(model))
        evaluator = make_evaluator(backend, guard, loss_fn, source, memory_budget=memory_budget)
        values = evaluator.evaluate(state_at, range(alphas.size), progress=progress, message="loss line")
    return LineResult(alphas=alphas.copy(), loss=values.loss, accuracy=values.accuracy)
