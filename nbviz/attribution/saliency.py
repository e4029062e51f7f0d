"""``saliency``: one entry point for every gradient and CAM attribution method."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .._guard import model_device, model_guard
from .._inputs import check_model, input_rank, model_input
from .._progress import Progress, report, with_progress_bar
from ..execution import resolve_executor
from ._context import Context
from ._probe import cached_probe
from .attention import rollout_attribution
from .cam import gradcam, gradcam_plus_plus, guided_gradcam
from .gradients import gradient, gradient_x_input, guided_backprop, integrated_gradients, smoothgrad
from .meaning import noise_note, noise_rows
from .result import Attribution
from .targets import TargetSpec, resolve_target

__all__ = ["ATTENTION_METHODS", "SALIENCY_METHODS", "saliency"]



@dataclass(frozen=True)
class _Method:
    run: Callable[..., Attribution]  # run(ctx, **options), or run(ctx, layer, **options) for CAMs
    cam: bool = False
    clean: bool = True  # its first pass feeds the clean inputs: the predicted class comes from it


_METHODS: dict[str, _Method] = {
    "gradient": _Method(gradient),
    "gradient_x_input": _Method(gradient_x_input),
    "smoothgrad": _Method(smoothgrad, clean=False),
    "integrated_gradients": _Method(integrated_gradients, clean=False),
    "guided_backprop": _Method(guided_backprop),
    "gradcam": _Method(gradcam, cam=True),
    "gradcam++": _Method(gradcam_plus_plus, cam=True),
    "guided_gradcam": _Method(guided_gradcam, cam=True),
    "attention_rollout": _Method(rollout_attribution, clean=False),  # transformers with nn.MultiheadAttention
}

#: methods that need an nn.MultiheadAttention model; SALIENCY_METHODS work on any differentiable model
ATTENTION_METHODS: tuple[str, ...] = ("attention_rollout",)
SALIENCY_METHODS: tuple[str, ...] = tuple(m for m in _METHODS if m not in ATTENTION_METHODS)
_CAM_NAMES = tuple(name for name, m in _METHODS.items() if m.cam)


def _check_options(method: str, options: dict[str, Any]) -> None:
    allowed = [p.name for p in inspect.signature(_METHODS[method].run).parameters.values() if p.kind is p.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        public = [name for name in allowed if not name.startswith("_")]  # _offset: set by the Ray backend
        listed = ", ".join(public) if public else "none"
        raise TypeError(f"{method}: unknown option(s) {', '.join(unknown)}; this method accepts: {listed}")


_SHAPES = {4: ("N×C×H×W", "C×H×W"), 3: ("N×C×L", "C×L"), 2: ("N×D", "D")}


def as_input_batch(x: Any, device: torch.device, *, argument: str = "x", rank: int | None = 4) -> torch.Tensor:
    """``x`` as a float batch on ``device``: N×C×H×W images (a C×H×W input gets a batch axis),
    N×C×L sequences (``rank=3``) or N×D table rows (``rank=2``); ``rank=None`` (a model whose stem
    does not tell) takes table rows as given (1- or 2-D) and anything else as images."""
    if rank is None:
        ndim = np.ndim(x) if isinstance(x, np.ndarray) else getattr(x, "ndim", 4)
        rank = 2 if ndim in (1, 2) else 4
    batch, single = _SHAPES[rank]
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(np.ascontiguousarray(x))
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{argument}: expected a tensor or numpy array of shape {batch}, got {type(x).__name__}")
    if x.ndim == rank - 1:
        x = x.unsqueeze(0)
    if x.ndim != rank:
        raise ValueError(f"{argument}: expected shape {batch} or {single}, got {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError(f"{argument}: got an empty batch")
    if not torch.is_floating_point(x):
        x = x.float()
    return x.detach().to(device)


def _batch_size(batch_size: int | str) -> int | None:
    if batch_size == "auto":
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size: expected 'auto' or a positive int, got {batch_size!r}")
    return batch_size


@with_progress_bar("saliency")
def saliency(
    model: nn.Module,
    x: torch.Tensor | np.ndarray,
    target: TargetSpec = None,
    method: str = "gradient",
    layer: str | nn.Module | None = None,
    batch_size: int | str = "auto",
    *,
    memory_budget_mb: float = 512,
    progress: Progress | None = None,
    executor: str | None = None,
    **options: Any,
) -> Attribution:
    """Attribution maps of ``model``'s ``target`` score for the inputs ``x``.

    The model runs in eval mode under the model guard and is left exactly as it was.

    Parameters
    ----------
    model : torch.nn.Module
        A differentiable model returning one row of scores per input (a transformer built on
        ``nn.MultiheadAttention`` for ``"attention_rollout"``).
    x : torch.Tensor or numpy.ndarray
        N×C×H×W images or C×H×W (also N×C×L sequences or N×D rows, by the model's stem); checked and
        converted by :func:`nbviz._inputs.model_input` (dtype of the model's parameters; errors for
        NaN/inf or the wrong channel count).
    target : int, sequence of int, callable or None, default None
        ``None``: the predicted class; an int; one int per input; or a callable on the output
        returning one scalar per row.
    method : str, default "gradient"
        One of :data:`SALIENCY_METHODS`, or ``"attention_rollout"`` (:data:`ATTENTION_METHODS`).
    layer : str, torch.nn.Module or None, default None
        The CAM methods' layer; ``None``: the last module with a spatial output. Other methods
        take none.
    batch_size : int or "auto", default "auto"
        Rows per model pass (noise samples, IG steps, inputs); ``"auto"``: what fits
        ``memory_budget_mb`` judging by one probe forward's activation sizes.
    memory_budget_mb : float, default 512
        The activation memory ``batch_size="auto"`` aims for.
    progress : Progress, False or None, default None
        Receives the fraction done; ``None`` shows a progress bar if the call takes a while,
        ``False`` shows none.
    executor : str or None, default None
        ``"local"``, ``"ray"`` or ``None`` (the kernel's choice, :func:`nbviz.use_ray`). On Ray the
        inputs are split into shards computed by the cluster's workers and joined in input order,
        giving the local maps within float rounding (``smoothgrad``'s shards draw the local noise
        stream's draws for their inputs).
    **options
        The method's options: ``smoothgrad(n_samples=25, noise_level=0.15, seed=0)``,
        ``integrated_gradients(n_steps=50, baseline=None, rule="gausslegendre")``, CAM methods
        ``(interpolation="bilinear")``.

    Returns
    -------
    Attribution
        N×H×W ``maps`` (and the raw attributions, targets, notes and per-input all-zero flags).
    """
    if not isinstance(method, str) or method not in _METHODS:
        raise ValueError(f"method: expected one of {', '.join(_METHODS)}, got {method!r}")
    chosen = _METHODS[method]
    if layer is not None and not chosen.cam:
        raise ValueError(f"layer: only the CAM methods ({', '.join(_CAM_NAMES)}) use a layer; {method!r} does not")
    _check_options(method, options)
    rows = _batch_size(batch_size)
    if not isinstance(memory_budget_mb, (int, float)) or memory_budget_mb <= 0:
        raise ValueError(f"memory_budget_mb: expected a positive number, got {memory_budget_mb!r}")
    check_model(model)
    if resolve_executor(executor) == "ray":
        from ..execution.ray_images import saliency_many

        batch = as_input_batch(x, torch.device("cpu"), rank=input_rank(model))
        if batch.shape[0] > 1:
            kwargs = dict(method=method, layer=layer, batch_size=batch_size, memory_budget_mb=memory_budget_mb, **options)
            return saliency_many(saliency, model, batch, target, kwargs, progress)
    inputs = model_input(as_input_batch(x, model_device(model), rank=input_rank(model)), model)
    budget = int(memory_budget_mb * 2**20)
    with model_guard(model) as guard:
        probe, probe_output = cached_probe(inputs[:1], guard)
        if not isinstance(probe_output, torch.Tensor):
            raise TypeError(f"model: saliency needs a model that returns a tensor, got {type(probe_output).__name__}")
        report(progress, 0.0, method)
        resolved = resolve_target(target, probe_output, n_inputs=inputs.shape[0])
        ctx = Context(guard.model, inputs, resolved, guard, probe, rows, budget, progress, method=method)
        if ctx.target.pending and not chosen.clean:
            outputs = ctx.forward_outputs(inputs)
            ctx.note_reference(outputs, 0, ctx.n)
            ctx.target.predict(outputs, 0, ctx.n)
        result = chosen.run(ctx, layer, **options) if chosen.cam else chosen.run(ctx, **options)
        return _judge(result, ctx)


def _judge(result: Attribution, ctx: Context) -> Attribution:
    """Attach what the map cannot mean (:mod:`.meaning`): the notes gathered while computing and, per
    input, whether the map is numerical noise (one no-grad forward if no clean pass saw the outputs)."""
    if ctx.reference is None or bool(torch.isnan(ctx.reference).any()):
        ctx.note_reference(ctx.forward_outputs(ctx.x), 0, ctx.n)
    result.all_zero = noise_rows(result.method, result.raw, ctx.x, ctx.reference)
    noise = noise_note(result.method, result.all_zero, ctx.reference)
    result.notes = list(dict.fromkeys([*result.notes, *ctx.notes, *([noise] if noise else [])]))
    return result
