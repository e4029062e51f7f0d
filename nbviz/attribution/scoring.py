"""Scores for attribution methods: the pointing game (Zhang et al. 2018) and the cascading
model-randomisation sanity check (Adebayo et al. 2018)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import torch
from torch import nn

from .._guard import model_guard
from .._modules import resolve_layers
from .._progress import Progress, report, with_progress_bar
from ._probe import probe_model
from ._similarity import spearman, ssim
from .result import Attribution
from .saliency import SALIENCY_METHODS, as_input_batch, saliency
from .targets import TargetSpec

__all__ = ["MapMethod", "RandomizationResult", "pointing_game", "randomization_check"]

# a saliency method name, or a callable (model, images, target) -> N×H×W maps or an Attribution
MapMethod = str | Callable[..., Any]


def _sub(progress: Progress | None, low: float, high: float) -> Progress | None:
    if progress is None:
        return None
    return lambda fraction, message: progress(low + (high - low) * fraction, message)


def _maps(
    method: MapMethod, model: nn.Module, images: torch.Tensor, target: Any, progress: Progress | None, options: dict,
    executor: str | None = None,
) -> np.ndarray:
    """N×H×W maps of ``method`` (a saliency method name, run on ``executor``, or a callable run here)."""
    if isinstance(method, str):
        return saliency(model, images, target, method, progress=progress, executor=executor, **options).maps
    if not callable(method):
        raise TypeError(f"method: expected one of {', '.join(SALIENCY_METHODS)} or a callable, got {type(method).__name__}")
    report(progress, 0.0, "maps")
    out = method(model, images, target, **options)
    out = out.maps if isinstance(out, Attribution) else out
    out = out.detach().cpu().numpy() if isinstance(out, torch.Tensor) else np.asarray(out)
    if out.shape != (images.shape[0], *images.shape[2:]):
        expected = (images.shape[0], *images.shape[2:])
        raise ValueError(f"method: the callable returned maps of shape {out.shape}, expected {expected}")
    return out


def _slice_target(target: Any, start: int, stop: int) -> Any:
    if isinstance(target, (list, tuple, np.ndarray, torch.Tensor)):
        return target[start:stop]
    return target


def _hits(maps: np.ndarray, masks: np.ndarray, tolerance: float) -> np.ndarray:
    hits = np.zeros(maps.shape[0], dtype=bool)
    for i, (m, mask) in enumerate(zip(maps, masks)):
        py, px = np.unravel_index(int(np.argmax(m)), m.shape)
        ys, xs = np.nonzero(mask)
        hits[i] = bool((((ys - py) ** 2 + (xs - px) ** 2) <= tolerance**2).any())
    return hits


@with_progress_bar("pointing game")
def pointing_game(
    method: MapMethod,
    model: nn.Module,
    images: torch.Tensor | np.ndarray,
    masks: torch.Tensor | np.ndarray,
    *,
    target: TargetSpec = None,
    tolerance: float = 0,
    chunk_size: int = 32,
    progress: Progress | None = None,
    executor: str | None = None,
    **options: Any,
) -> float:
    """Fraction of images whose map maximum (first one on ties) lies inside the object mask or
    within ``tolerance`` pixels of it (Zhang et al. use 15 px at 224²).

    Parameters
    ----------
    method : str or callable
        A :data:`SALIENCY_METHODS` name (``options`` go to :func:`saliency`) or a callable
        ``(model, images, target, **options)`` returning N×H×W maps (or an :class:`Attribution`).
    model : torch.nn.Module
        The classifier; it runs under the model guard and is left as it was.
    images : torch.Tensor or numpy.ndarray
        N×C×H×W images (C×H×W for one).
    masks : torch.Tensor or numpy.ndarray
        N×H×W (or N×1×H×W), non-zero inside the object; every mask must be non-empty.
    target : int, sequence of int, callable or None, default None
        ``None``: the predicted class; an int; one int per image; or a callable on the output
        returning one scalar per row (see :func:`saliency`).
    tolerance : float, default 0
        Pixels around the mask that still count as a hit (Zhang et al.: 15 at 224²).
    chunk_size : int, default 32
        Images whose maps are computed at a time.
    progress : Progress, False or None, default None
        Receives the fraction done; ``None`` shows a progress bar if the call takes a while,
        ``False`` shows none.
    executor : str or None, default None
        ``"local"``, ``"ray"`` or ``None`` (the kernel's choice, :func:`nbviz.use_ray`): where a named
        method's maps are computed (each chunk's images sharded over the Ray workers); a callable
        ``method`` always runs here.
    **options
        Options of the saliency method (e.g. ``n_steps`` for integrated gradients) or of the callable.

    Returns
    -------
    float
        The fraction of hits, in [0, 1].
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    x = as_input_batch(images, torch.device("cpu"), argument="images")
    m = masks.detach().cpu().numpy() if isinstance(masks, torch.Tensor) else np.asarray(masks)
    if m.ndim == 4 and m.shape[1] == 1:
        m = m[:, 0]
    if m.shape != (x.shape[0], *x.shape[2:]):
        raise ValueError(f"masks: expected shape {(x.shape[0], *x.shape[2:])} (N×H×W), got {m.shape}")
    m = m != 0
    empty = np.flatnonzero(~m.reshape(len(m), -1).any(axis=1))
    if empty.size:
        raise ValueError(f"masks: mask {int(empty[0])} is empty; the pointing game needs an object in every image")
    if not isinstance(tolerance, (int, float)) or tolerance < 0:
        raise ValueError(f"tolerance: expected a non-negative number of pixels, got {tolerance!r}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size: expected a positive int, got {chunk_size!r}")
    hits = []
    n = x.shape[0]
    with model_guard(model):
        for start in range(0, n, chunk_size):
            stop = min(n, start + chunk_size)
            sub = _sub(progress, start / n, stop / n)
            maps = _maps(method, model, x[start:stop], _slice_target(target, start, stop), sub, options, executor)
            hits.append(_hits(maps, m[start:stop], float(tolerance)))
    return float(np.concatenate(hits).mean())


@dataclass
class RandomizationResult:
    """Cascading randomisation: step k has the layers ``layers[:k+1]`` re-initialised.

    ``spearman`` and ``ssim`` are S×N (step × input) similarities of the step's maps to the
    original maps; ``maps`` is (S+1)×N×H×W with the original maps first."""

    method: str
    layers: list[str]
    spearman: np.ndarray
    ssim: np.ndarray
    maps: np.ndarray

    def plot(self, item: int = 0, *, max_maps: int = 8) -> Any:
        """A Figure: mean similarity per step (top) and input ``item``'s maps along the cascade."""
        from .._figures import figure

        fig = figure(figsize=(max(6, 1.4 * max_maps), 5.5))
        grid = fig.add_gridspec(2, max_maps, height_ratios=[2, 1])
        ax = fig.add_subplot(grid[0, :])
        steps = np.arange(len(self.layers))
        for values, label in ((self.spearman, "Spearman rank correlation"), (self.ssim, "SSIM")):
            ax.plot(steps, np.nanmean(values, axis=1), marker="o", label=label)
        ax.set_xticks(steps, self.layers, rotation=60, ha="right", fontsize=7)
        ax.set_ylabel("similarity to original")
        ax.set_title(f"{self.method}: cascading randomisation (top layer first)", fontsize=9)
        ax.legend(fontsize=8)
        shown = np.unique(np.linspace(0, len(self.layers), min(max_maps, len(self.layers) + 1)).round().astype(int))
        for col, step in enumerate(shown):
            sub = fig.add_subplot(grid[1, col])
            sub.imshow(self.maps[step, item], cmap="inferno")
            sub.set_title("original" if step == 0 else self.layers[step - 1], fontsize=6)
            sub.axis("off")
        fig.tight_layout()
        return fig


def _cascade(model: nn.Module, x1: torch.Tensor) -> list[str]:
    """Names of modules holding their own parameters, from the output down (reverse call order)."""
    with model_guard(model) as guard:
        probe, _ = probe_model(guard.model, x1, guard)
    seen: list[str] = []
    for call in reversed(probe.calls):
        if call.name not in seen and next(call.module.parameters(recurse=False), None) is not None:
            seen.append(call.name)
    return seen


def _reinitialise(module: nn.Module, seed: int) -> None:
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        if hasattr(module, "reset_parameters"):
            cast(Callable[[], None], module.reset_parameters)()  # nn.Module's __getattr__ is typed Tensor | Module
        else:
            for p in module.parameters(recurse=False):
                p.normal_(0.0, float(p.std()) if p.numel() > 1 else 1.0)


@with_progress_bar("randomisation check")
def randomization_check(
    model: nn.Module,
    x: torch.Tensor | np.ndarray,
    method: MapMethod = "gradient",
    layers: list[str | nn.Module] | None = None,
    *,
    target: TargetSpec = None,
    seed: int = 0,
    progress: Progress | None = None,
    executor: str | None = None,
    **options: Any,
) -> RandomizationResult:
    """Adebayo et al.'s cascading model-parameter randomisation: re-initialise layers of a deep
    copy of ``model`` one after another from the top (``layers``, default every module with its own
    parameters in reverse call order) and compare each step's maps with the original maps.

    The target classes are fixed to those of the original model. ``model`` itself is never modified.

    Parameters
    ----------
    model : torch.nn.Module
        The classifier; a deep copy of its eval-mode shadow is randomised.
    x : torch.Tensor or numpy.ndarray
        N×C×H×W inputs (C×H×W for one).
    method : str or callable, default "gradient"
        A :data:`SALIENCY_METHODS` name (``options`` go to :func:`saliency`) or a callable
        ``(model, images, target, **options)`` returning N×H×W maps (or an :class:`Attribution`).
    layers : list of str or torch.nn.Module, or None, default None
        The layers to re-initialise, top first; ``None``: every module with its own parameters,
        in reverse call order.
    target : int, sequence of int, callable or None, default None
        ``None``: the original model's predicted classes (then fixed for every step); an int; one
        int per input; or a callable on the output returning one scalar per row.
    seed : int, default 0
        Step k re-initialises its layer with the seed ``seed + k``.
    progress : Progress, False or None, default None
        Receives the fraction done; ``None`` shows a progress bar if the call takes a while,
        ``False`` shows none.
    executor : str or None, default None
        ``"local"``, ``"ray"`` or ``None`` (the kernel's choice, :func:`nbviz.use_ray`): where a named
        method's maps of every step are computed (the inputs sharded over the Ray workers); a
        callable ``method`` always runs here.
    **options
        Options of the saliency method or of the callable.

    Returns
    -------
    RandomizationResult
        S steps × N inputs of Spearman and SSIM similarities to the original maps, and the maps.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    inputs = as_input_batch(x, torch.device("cpu"))
    with model_guard(model) as guard:
        names = _cascade(model, inputs[:1]) if layers is None else [n for n, _ in resolve_layers(model, layers)]
        if not names:
            raise ValueError("layers: the model has no layers with parameters to randomise")
        first = _sub(progress, 0, 1 / (len(names) + 1))
        if isinstance(method, str):  # fix the classes to the original model's (predicted) ones
            original = saliency(model, inputs, target, method, progress=first, executor=executor, **options)
            base_maps, fixed = original.maps, (target if original.target is None else original.target)
        else:
            base_maps, fixed = _maps(method, model, inputs, target, first, options, executor), target
        randomised = copy.deepcopy(guard.model)  # nbviz's eval-mode shadow: no user hooks or flags to carry
    modules = dict(randomised.named_modules())
    maps = [base_maps]
    for k, name in enumerate(names, start=1):
        _reinitialise(modules[name], seed + k)
        sub = _sub(progress, k / (len(names) + 1), (k + 1) / (len(names) + 1))
        maps.append(_maps(method, randomised, inputs, fixed, sub, options, executor))
    stack = np.stack(maps)
    return RandomizationResult(
        method if isinstance(method, str) else getattr(method, "__name__", "custom"),
        names,
        np.stack([spearman(base_maps, m) for m in stack[1:]]),
        np.stack([ssim(base_maps, m) for m in stack[1:]]),
        stack,
    )
