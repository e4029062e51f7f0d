"""Network features for embeddings: a layer's output for every input ("CNN codes"), and PCA."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from .._data import Data, count_items, iter_inputs
from .._guard import ModelGuard, model_device, model_guard
from .._inputs import check_model, model_input
from .._modules import resolve_layer
from .._progress import Progress, report, with_progress_bar
from ..execution import resolve_executor
from ..layers.channels import layouts
from ..layers.layout import Layout
from ..layers.tree import collect_tree
from ._validate import check_points

__all__ = ["extract_features", "pca"]

POOLS = ("flatten", "avg", "max")


class _LayerDone(Exception):
    """Raised by the capture hook to skip the rest of the forward pass."""


@with_progress_bar("features")
def extract_features(
    model: nn.Module,
    data: Data,
    layer: str | nn.Module,
    batch_size: int = 256,
    pool: str = "flatten",
    progress: Progress | Literal[False] | None = None,
    *,
    executor: str | None = None,
) -> np.ndarray:
    """The output of ``layer`` for every input in ``data``, as an (N, D) float32 array.

    Runs in eval mode under the model guard, without gradients; the forward pass stops as soon as the
    layer has produced its output (for a module called more than once per forward, the first call
    counts). Tuple outputs use their first tensor.

    Parameters
    ----------
    model : torch.nn.Module
        The model; never changed.
    data : torch.Tensor, numpy.ndarray, Dataset, DataLoader or (inputs, labels)
        The inputs (labels are ignored).
    layer : str or torch.nn.Module
        The layer whose output is the feature vector, as a module or its name.
    batch_size : int, default 256
        Inputs per forward pass.
    pool : {"flatten", "avg", "max"}, default "flatten"
        ``"flatten"`` keeps every value (D = C·H·W); ``"avg"`` / ``"max"`` pool over spatial positions (D = C).
    progress : callable, False or None, default None
        ``progress(fraction, message)`` after each step; return ``False`` to stop. ``None``: a progress bar
        once the call runs longer than a second; ``False``: none.
    executor : {"local", "ray"} or None, default None
        Where the forward passes run; ``None``: the kernel's choice (:func:`nbviz.use_ray`). On Ray each
        worker reads its shard of ``data`` itself and the driver writes the shard's rows as they arrive.

    Returns
    -------
    numpy.ndarray
        (N, D) float32, one row per input.
    """
    if progress is False:  # the progress-bar decorator already took False as "no bar"; narrowed here for the type checker
        progress = None
    check_model(model)
    if pool not in POOLS:
        raise ValueError(f"pool: expected one of {', '.join(repr(p) for p in POOLS)}, got {pool!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size: expected a positive integer, got {batch_size!r}")
    name, module = resolve_layer(model, layer)
    if resolve_executor(executor) == "ray":
        from ..execution.ray_layers import features

        return features(extract_features, model, data, layer, batch_size, pool, progress)
    total = count_items(data)
    chunks: list[np.ndarray] = []
    done = 0
    with model_guard(model) as guard, torch.no_grad():
        device = model_device(model)
        captured: list[torch.Tensor] = []

        def capture(_module: nn.Module, _inputs: Any, output: Any) -> None:
            captured.append(_first_tensor(output, name))
            raise _LayerDone

        report(progress, 0.0, f"features of {name!r}")
        layout: Layout | None = None
        for batch in iter_inputs(data, batch_size):
            x = model_input(batch, model, argument="data").to(device)
            if layout is None:  # once, before the capture hook cuts the forward short
                layout = _layer_layout(guard, x[:1], name) if pool != "flatten" else Layout("other", ())
                guard.forward_hook(module, capture)
            captured.clear()
            try:
                guard.model(x)
            except _LayerDone:
                pass
            if not captured:
                raise ValueError(f"layer: {name!r} did not run during the forward pass of {type(model).__name__}")
            chunks.append(_pool(captured[0], pool, layout).float().cpu().numpy())
            done += batch.shape[0]
            report(progress, done / total if total else 0.0, f"features of {name!r}: {done}" + (f"/{total}" if total else ""))
    if not chunks:
        raise ValueError("data: contains no inputs")
    return np.ascontiguousarray(np.concatenate(chunks), dtype=np.float32)


def _first_tensor(output: Any, name: str) -> torch.Tensor:
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)):
        for item in output:
            if isinstance(item, torch.Tensor):
                return item
    raise TypeError(f"layer: {name!r} returned {type(output).__name__}, not a tensor")


def _layer_layout(guard: ModelGuard, x1: torch.Tensor, name: str) -> Layout:
    """How ``name``'s output is laid out (one forward of one input through the layer tree)."""
    tree = collect_tree(guard, x1, argument="data")
    found = layouts(guard.model, tree).get(name)
    return found if found is not None else Layout("other", ())


def _pool(output: torch.Tensor, pool: str, layout: Layout) -> torch.Tensor:
    """N×D features: flattened, or averaged / maxed over the positions of the layer's layout (spatial
    positions, tokens or sequence steps; channels-last and token layers keep their channels)."""
    if pool == "flatten" or output.dim() <= 2:
        return output.reshape(output.shape[0], -1)
    if layout.kind in ("other", "vector") or layout.shape[1:] != tuple(output.shape[1:]):
        layout = Layout("image" if output.dim() == 4 else "sequence", tuple(output.shape))  # channels on axis 1
    return layout.pooled(output, "avg" if pool == "avg" else "max")


def pca(X: Any, k: int) -> np.ndarray:
    """The first ``k`` principal-component scores of ``X``.

    Signs are fixed so that each component's largest-magnitude loading is positive (scikit-learn's
    convention). Exact: eigen-decomposition of the D×D covariance (randomised SVD only when D > 4096).

    Parameters
    ----------
    X : array_like
        (N, D) data.
    k : int
        Number of components, 1 ≤ k ≤ min(N, D).

    Returns
    -------
    numpy.ndarray
        (N, k) float32 scores.
    """
    X = check_points(X, min_points=2)
    n, d = X.shape
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= min(n, d):
        raise ValueError(f"k: expected an integer between 1 and min(N, D) = {min(n, d)}, got {k!r}")
    centred = X - X.mean(axis=0)
    if d <= 4096:
        values, vectors = np.linalg.eigh(centred.T @ centred)
        components = vectors[:, ::-1][:, :k].T  # (k, D), largest variance first
    else:
        from sklearn.utils.extmath import randomized_svd

        _, _, components = randomized_svd(centred, k, random_state=0)
    biggest = np.argmax(np.abs(components), axis=1)
    components = components * np.sign(components[np.arange(k), biggest])[:, None]
    return (centred @ components.T).astype(np.float32)
