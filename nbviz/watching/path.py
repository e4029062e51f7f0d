"""The weights' path during training, projected on its two principal directions, and a coarse loss
surface over that plane.

Both run on a *private copy* of the model (its own modules and weights, loaded with snapshot weights),
so background work never holds the user's model: training goes on undisturbed while a surface is
computed. The PCA is :func:`nbviz.landscape.directions.pca_directions` and the surface
:func:`nbviz.landscape.plane` with those directions, so the path and surface are in the units of the
loss-landscape explorer (the last snapshot at the origin).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .._guard import model_guard
from .._progress import Progress
from ..landscape import plane
from ..landscape.directions import pca_directions
from ..landscape.params import Params
from ..landscape.results import PlaneResult

__all__ = ["WeightPath", "coarse_surface", "load_weights", "private_copy", "project", "weight_path"]


@dataclass
class WeightPath:
    """``coords`` (T, 2): each snapshot's weights minus ``origin``'s, on the two unit ``directions``
    (zero on biases and normalisation parameters, as in the loss-landscape plane);
    ``explained_variance_ratio`` (2,); ``origin``: the weights at the plane's centre (the newest
    snapshot when the directions were found)."""

    coords: np.ndarray
    explained_variance_ratio: np.ndarray
    directions: tuple[Params, Params]
    origin: dict[str, torch.Tensor]


def private_copy(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with its own modules and weights, in eval mode, for background work.

    Copied from the model's shadow (so none of the user's hooks come along), under the model guard."""
    with model_guard(model) as guard:
        copied = copy.deepcopy(guard.model)
    return copied.eval().requires_grad_(False)


def load_weights(model: nn.Module, state: dict[str, torch.Tensor]) -> nn.Module:
    """Write ``state`` (a snapshot's weights and buffers) into ``model`` (a private copy) in place."""
    with torch.no_grad():
        for name, tensor in model.state_dict(keep_vars=True).items():
            tensor.copy_(state[name])
    return model


def weight_path(model: nn.Module, states: Sequence[dict[str, torch.Tensor]]) -> WeightPath:
    """PCA of the snapshots' weights (at least 3) around the newest one, on ``model``, a private copy
    (:func:`private_copy`), which is left holding the newest weights."""
    if len(states) < 3:
        raise ValueError(f"states: need at least 3 snapshots for two principal directions, got {len(states)}")
    load_weights(model, states[-1])
    pca = pca_directions(model, list(states))
    return WeightPath(
        coords=pca.coords, explained_variance_ratio=pca.explained_variance_ratio, directions=pca.directions, origin=states[-1]
    )


def project(path: WeightPath, state: dict[str, torch.Tensor]) -> np.ndarray:
    """Where ``state`` lies on the plane of ``path``: ((state − origin) · d1, (state − origin) · d2)."""
    out = np.zeros(2)
    for k, direction in enumerate(path.directions):
        out[k] = sum(
            float(torch.dot((state[name].double() - path.origin[name].double()).reshape(-1), d.double().reshape(-1)))
            for name, d in direction.items()
        )
    return out


def coarse_surface(
    model: nn.Module,
    path: WeightPath,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], Any],
    data: tuple[torch.Tensor, torch.Tensor],
    resolution: int = 9,
    progress: Progress | None = None,
) -> PlaneResult:
    """The loss of ``model`` (a private copy, loaded with ``path.origin``) on ``data`` over the plane of
    ``path``, on a ``resolution``² grid whose span holds the whole path with a margin."""
    load_weights(model, path.origin)
    reach = float(np.abs(path.coords).max()) * 1.2 if path.coords.size else 1.0
    span = max(reach, 1e-3)
    return plane(model, loss_fn, data, directions=path.directions, span=span, resolution=resolution, progress=progress)
