"""Loss over a 2-D plane θ* + α·d1 + β·d2 through the trained weights, refined coarse to fine."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from .._guard import model_device, model_guard
from .._inputs import check_model
from .._progress import Progress, with_progress_bar
from ..execution import resolve_executor
from ..execution.grid import make_evaluator
from .directions import plane_directions
from .evaluate import DEFAULT_BATCH_SIZE, DEFAULT_MEMORY_BUDGET, DataSource, Evaluator, subset
from .params import to_numpy
from .points import PlanePoints
from .results import PlaneResult
from .reuse import PointCache

__all__ = ["grid_stages", "plane", "refinement_levels"]

OnPartial = Callable[[PlaneResult, float], Any]
FIRST_LEVEL = 9


def refinement_levels(resolution: int, first: int = FIRST_LEVEL) -> list[np.ndarray]:
    """Nested sets of axis indices, coarse to fine: ``min(first, R)`` evenly spread indices (exactly
    uniform when ``R − 1`` is a multiple of ``first − 1``, else rounded), then about twice as dense at
    each level, the last being every index. Both ends are always in the first level."""
    n = min(first, resolution)
    current = np.unique(np.round(np.linspace(0, resolution - 1, n)).astype(int))
    levels = [current]
    while current.size < resolution:
        n = 2 * n - 1
        nxt = np.union1d(current, np.round(np.linspace(0, resolution - 1, min(n, resolution))).astype(int))
        current = nxt if nxt.size > current.size else np.arange(resolution)
        levels.append(current)
    return levels


def grid_stages(resolution: int, first: int = FIRST_LEVEL) -> list[np.ndarray]:
    """Flat point indices (``row * R + col``) new at each refinement level; after stage k the computed
    points form the complete grid ``levels[k] × levels[k]``."""
    stages, done = [], np.zeros((resolution, resolution), dtype=bool)
    for level in refinement_levels(resolution, first):
        block = np.zeros_like(done)
        block[np.ix_(level, level)] = True
        new = block & ~done
        stages.append(np.flatnonzero(new))
        done |= block
    return stages


@with_progress_bar("loss plane")
def plane(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], Any],
    data: Any,
    directions: str | Sequence[dict] = "filter_normalized",
    span: float = 1.0,
    resolution: int = 21,
    seed: int = 0,
    ignore: Sequence[str] = ("bias", "bn"),
    checkpoints: Sequence[Any] | None = None,
    preview: int | None = None,
    progress: Progress | None = None,
    on_partial: OnPartial | None = None,
    recompute_bn: bool = False,
    *,
    preview_then_full: bool = True,
    batch_size: int | None = DEFAULT_BATCH_SIZE,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    reuse: PointCache | None = None,
    executor: str | None = None,
) -> PlaneResult:
    """Loss (and accuracy) of ``model`` at θ* + α·d1 + β·d2 for α, β on ``linspace(-span, span, resolution)``.

    ``data``: an ``(inputs, targets)`` pair or an iterable/DataLoader of pairs; ``loss_fn(outputs,
    targets)`` returns the batch mean (batches are weighted by their size).
    ``directions``: ``"filter_normalized"`` (Gaussian, rescaled filter by filter to θ*, Li et al. 2018),
    ``"random"`` (unnormalised Gaussian), ``"pca"`` (principal directions of ``checkpoints``, unit
    length; see :func:`trajectory`) or a pair of state-dict-shaped dicts used as given. ``ignore``
    zeroes matching parameters in generated directions (``"bias"``, ``"bn"``, or names).
    BatchNorm runs in eval mode with θ*'s running statistics, which are never perturbed;
    ``recompute_bn=True`` re-estimates them at every point on the data (≈2× the time, see
    :class:`~nbviz.landscape.evaluate.Evaluator`).

    Points are computed coarse to fine: first a complete 9×9 sub-grid (see :func:`grid_stages`), then
    denser levels; ``on_partial(result, fraction)`` receives a :class:`PlaneResult` (NaN where not yet
    computed; ``.coarse()`` is the complete sub-grid) after every level, the last one included.
    ``preview=n`` first computes the 9×9 level on a fixed random subset of ``n`` samples (seeded by
    ``seed``), hands it to ``on_partial`` with ``preview=True``, then replaces it by full-data values;
    with ``preview_then_full=False`` the whole grid is computed on the subset only and returned.

    ``reuse``: a :class:`~nbviz.landscape.reuse.PointCache` shared by calls on the same data and
    loss: full-data points it holds (same θ* and directions, matched by rounded (α, β)) are read
    instead of evaluated, and new full-data points are added; when the whole 9×9 level is known the
    preview is skipped.

    On Ray each level's points are spread over the cluster's workers (the model and data go to each worker
    once); values equal the local ones and ``on_partial`` still follows the levels. The model is never
    written to (``torch.func.functional_call``) and comes back exactly as it was.

    Parameters
    ----------
    model : torch.nn.Module
        The trained model, θ*; never changed.
    loss_fn : callable
        ``loss_fn(outputs, targets)``: the batch mean loss (batches are weighted by their size).
    data : (inputs, targets), iterable of (inputs, targets) or DataLoader
        The data the loss is computed on.
    directions : {"filter_normalized", "random", "pca"} or (dict, dict), default "filter_normalized"
        How d1, d2 are made, or a pair of state-dict-shaped dicts used as given.
    span : float, default 1.0
        α and β run from ``-span`` to ``span``.
    resolution : int, default 21
        Points per axis, R ≥ 2.
    seed : int, default 0
        Seed of random directions and of the preview subset.
    ignore : sequence of str, default ("bias", "bn")
        Parameters zeroed in generated directions: ``"bias"``, ``"bn"`` or parameter names.
    checkpoints : sequence of state dicts or models, or None, default None
        Saved while training; needed by ``directions="pca"``.
    preview : int or None, default None
        Compute the first 9×9 level on a fixed random subset of this many samples first; ``None``: no preview.
    progress : callable, False or None, default None
        ``progress(fraction, message)`` during the work; return ``False`` to stop. ``None``: a progress bar
        once the call runs longer than a second; ``False``: none.
    on_partial : callable or None, default None
        ``on_partial(result, fraction)`` with a :class:`PlaneResult` after every level.
    recompute_bn : bool, default False
        Re-estimate BatchNorm running statistics at every point on the data.
    preview_then_full : bool, default True
        With ``preview``: follow the preview by full-data values; ``False``: compute the whole grid on the
        subset only.
    batch_size : int or None, default None
        Samples per forward for in-memory data; ``None``: measured (:mod:`nbviz._batch_size`). A
        DataLoader keeps its own batches.
    memory_budget : int, default 268435456
        Bytes of parameter copies held at once when the data is streamed (256 MiB).
    reuse : PointCache or None, default None
        A cache of full-data points shared by calls on the same data and loss.
    executor : {"local", "ray"} or None, default None
        Where the points are evaluated; ``None``: the kernel's choice (:func:`nbviz.use_ray`,
        :func:`nbviz.use_local`).

    Returns
    -------
    PlaneResult
        ``alphas``, ``betas`` (R,), ``loss`` and ``accuracy`` (R, R) with rows following β, and the two
        directions used (numpy dicts keyed like ``model.named_parameters()``).
    """
    check_model(model)
    resolution = _check_resolution(resolution)
    span = _check_span(span)
    if preview is not None and (isinstance(preview, bool) or not isinstance(preview, int) or preview < 1):
        raise ValueError(f"preview: expected a positive number of samples or None, got {preview!r}")
    if reuse is not None and not isinstance(reuse, PointCache):
        raise TypeError(f"reuse: expected a nbviz.landscape.reuse.PointCache or None, got {type(reuse).__name__}")
    if on_partial is not None and not callable(on_partial):
        raise TypeError(f"on_partial: expected a callable (result, fraction) or None, got {type(on_partial).__name__}")
    backend = resolve_executor(executor)
    with model_guard(model) as guard:

        def evaluator(source: DataSource) -> Evaluator:
            return make_evaluator(backend, guard, loss_fn, source, memory_budget=memory_budget, recompute_bn=recompute_bn)

        (d1, d2), kind = plane_directions(model, directions, seed=seed, ignore=ignore, checkpoints=checkpoints)
        theta = {n: p.detach() for n, p in model.named_parameters(remove_duplicate=True)}
        axis = np.linspace(-span, span, resolution)

        state_at = PlanePoints(theta, d1, d2, axis)

        full = DataSource(data, batch_size, model_device(model))
        stages = grid_stages(resolution)
        known = np.zeros((resolution, resolution), dtype=bool)
        if reuse is not None:
            reuse.bind(theta, d1, d2, extra=(bool(recompute_bn),))
            known = reuse.known(axis, axis)
        phases: list[tuple[Evaluator, list[np.ndarray], bool, float]] = []
        n_full = full.count() if preview is not None else 0
        if preview is not None and preview < n_full and not known.flat[stages[0]].all():
            small = DataSource(subset(full, preview, seed), batch_size, full.device)
            weight = preview / n_full
            preview_stages = stages[:1] if preview_then_full else stages
            phases.append((evaluator(small),
                           preview_stages, True, weight))
            if preview_then_full:
                phases.append((evaluator(full),
                               stages, False, 1.0))
        else:
            phases.append((evaluator(full),
                           stages, False, 1.0))

        def todo(stage: np.ndarray, is_preview: bool) -> np.ndarray:
            return stage if is_preview else stage[~known.flat[stage]]

        total = max(sum(w * len(todo(s, pv)) for _, st, pv, w in phases for s in st), 1e-12)
        done = 0.0
        directions_np = (to_numpy(d1), to_numpy(d2))
        result: PlaneResult | None = None
        for p, (phase_evaluator, phase_stages, is_preview, weight) in enumerate(phases):
            loss = np.full((resolution, resolution), np.nan)
            acc = np.full((resolution, resolution), np.nan)
            for s, stage in enumerate(phase_stages):
                new = todo(stage, is_preview)
                if reuse is not None and not is_preview:
                    for k in np.setdiff1d(stage, new):
                        i, j = divmod(int(k), resolution)
                        cached = reuse.get(axis[j], axis[i])
                        assert cached is not None  # a known point is one the cache holds
                        loss.flat[k], acc.flat[k] = cached
                step = weight * len(new)
                values = phase_evaluator.evaluate(
                    state_at, new, progress=progress, fraction=(done / total, (done + step) / total),
                    message="loss plane" + (" preview" if is_preview else ""),
                )
                done += step
                loss.flat[new] = values.loss
                if values.accuracy is not None:
                    acc.flat[new] = values.accuracy
                classification, samples = phase_evaluator.classification, phase_evaluator.samples
                if reuse is not None and not is_preview:
                    if classification is None:  # nothing evaluated: the cache knows
                        classification, samples = reuse.classification, reuse.samples
                    elif len(new):
                        reuse.classification, reuse.samples = classification, samples
                        for k, value, a in zip(new, values.loss, acc.flat[new]):
                            i, j = divmod(int(k), resolution)
                            reuse.put(axis[j], axis[i], value, a)
                result = PlaneResult(
                    alphas=axis.copy(), betas=axis.copy(), loss=loss.copy(),
                    accuracy=acc.copy() if classification else None,
                    directions=directions_np, kind=kind, samples=samples, preview=is_preview,
                    complete=p == len(phases) - 1 and s == len(phase_stages) - 1,
                )
                if on_partial is not None:
                    on_partial(result, done / total)
        assert result is not None
        return result


def _check_resolution(resolution: Any) -> int:
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)):
        raise TypeError(f"resolution: expected an integer ≥ 2, got {type(resolution).__name__}")
    if resolution < 2:
        raise ValueError(f"resolution: expected an integer ≥ 2 (points per axis), got {resolution}")
    return int(resolution)


def _check_span(span: Any) -> float:
    if isinstance(span, bool) or not isinstance(span, (int, float, np.floating, np.integer)):
        raise TypeError(f"span: expected a positive number, got {type(span).__name__}")
    if not math.isfinite(float(span)) or span <= 0:
        raise ValueError(f"span: expected a positive finite number, got {span}")
    return float(span)
