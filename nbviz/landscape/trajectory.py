"""A training trajectory projected onto its two principal directions (for overlay on a plane)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from .._guard import model_guard
from .directions import pca_directions
from .params import to_numpy
from .results import TrajectoryResult

__all__ = ["trajectory"]


def trajectory(model: nn.Module, checkpoints: Sequence[Any], ignore: Sequence[str] = ("bias", "bn")) -> TrajectoryResult:
    """PCA (2 components) of the flattened ``checkpoint − θ*`` vectors, θ* being ``model``'s weights.

    ``checkpoints``: a list (≥ 3) of state dicts or models saved while training. Returns the two unit
    directions (numpy dicts shaped like the parameters; ``ignore`` entries zero, as in :func:`plane`),
    their explained variance ratios (2,), and ``coords`` (T, 2), the path projected onto them — the same
    units as :func:`plane`'s alphas/betas with ``directions="pca"`` and the same ``ignore``, so it
    overlays directly (θ* at the origin).

    Parameters
    ----------
    model : torch.nn.Module
        The trained model, θ* (the origin); never changed.
    checkpoints : sequence of state dicts or models
        At least 3, saved while training.
    ignore : sequence of str, default ("bias", "bn")
        Parameters zeroed in the directions: ``"bias"``, ``"bn"`` or parameter names, as in :func:`plane`.

    Returns
    -------
    TrajectoryResult
        ``directions`` (two numpy dicts), ``explained_variance_ratio`` (2,) and ``coords`` (T, 2).
    """
    with model_guard(model):
        pca = pca_directions(model, checkpoints, ignore)
    d1, d2 = pca.directions
    return TrajectoryResult(
        coords=pca.coords, explained_variance_ratio=pca.explained_variance_ratio, directions=(to_numpy(d1), to_numpy(d2))
    )
