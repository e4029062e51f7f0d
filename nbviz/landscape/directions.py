"""Directions in parameter space for loss-landscape plots.

- ``random_direction``: a Gaussian direction (unnormalised), ignored parameters set to zero;
- ``filter_normalize``: Li et al. (2018) filter-wise normalisation against the trained weights;
- ``custom_directions``: validate user-given state-dict-shaped directions;
- ``pca_directions``: the two principal directions of a training trajectory (checkpoints − final).

Every direction is a dict ``{parameter name: tensor}`` shaped like the model's parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .params import Params, buffer_names, ignored_names, load_state, parameter_names

__all__ = [
    "DIRECTION_KINDS",
    "PCADirections",
    "custom_directions",
    "filter_normalize",
    "pca_directions",
    "plane_directions",
    "random_direction",
]

DIRECTION_KINDS = ("filter_normalized", "random", "pca")


def random_direction(reference: Params, generator: torch.Generator, ignored: AbstractSet[str] = frozenset()) -> Params:
    """Standard-normal entries shaped like ``reference`` (drawn on the CPU from ``generator`` in key
    order, so the result does not depend on the device); ignored parameters are zero."""
    out: Params = {}
    for name, w in reference.items():
        d = torch.randn(w.shape, generator=generator, dtype=torch.float32).to(device=w.device, dtype=w.dtype)
        out[name] = torch.zeros_like(w) if name in ignored else d
    return out


def filter_normalize(direction: Params, reference: Params, ignored: AbstractSet[str] = frozenset()) -> Params:
    """Li et al. (2018) filter normalisation: in every parameter with ≥ 2 dimensions, each filter
    (slice along dim 0) of the direction is rescaled to the norm of the same filter of ``reference``.
    Ignored parameters become zero; other 1-D parameters take the reference values themselves (as in
    the authors' code, ``d ← w``)."""
    out: Params = {}
    for name, d in direction.items():
        w = reference[name]
        if name in ignored:
            out[name] = torch.zeros_like(w)
        elif w.dim() <= 1:
            out[name] = w.clone()
        else:
            dims = tuple(range(1, w.dim()))
            w_norm = torch.linalg.vector_norm(w, dim=dims, keepdim=True)
            d_norm = torch.linalg.vector_norm(d, dim=dims, keepdim=True)
            out[name] = d * (w_norm / (d_norm + 1e-10))
    return out


def custom_directions(model: nn.Module, directions: Any) -> tuple[Params, Params]:
    """Validate a pair of state-dict-shaped directions: every parameter present with its shape, no keys
    the model does not have, buffer entries (if any) all zero since buffers are never perturbed."""
    if not (isinstance(directions, (tuple, list)) and len(directions) == 2):
        raise TypeError(
            "directions: expected 'filter_normalized', 'random', 'pca' or a pair of state-dict-shaped dicts"
        )
    buffers = set(buffer_names(model))
    pair = []
    for i, d in enumerate(directions):
        argument = f"directions[{i}]"
        if not isinstance(d, Mapping):
            raise TypeError(f"{argument}: expected a dict of parameter name → tensor, got {type(d).__name__}")
        for key in buffers & set(d):
            value = d[key]
            if bool(torch.as_tensor(value).any()):
                raise ValueError(f"{argument}[{key!r}]: buffers are not perturbed; pass zeros or leave the key out")
        params = load_state(model, d, argument=argument, allow_extra=False)
        pair.append({name: params[name] for name in parameter_names(model)})
    return pair[0], pair[1]


@dataclass
class PCADirections:
    """The two principal directions of a trajectory and the path projected onto them."""

    directions: tuple[Params, Params]
    explained_variance_ratio: np.ndarray  # (2,)
    coords: np.ndarray  # (T, 2): (checkpoint − final) · direction, one row per checkpoint


def pca_directions(model: nn.Module, checkpoints: Sequence[Any], ignore: Sequence[str] = ("bias", "bn")) -> PCADirections:
    """PCA (2 components, data centred as in Li et al.'s use of scikit-learn) of the flattened vectors
    ``checkpoint − final`` over the model's parameters, ``final`` being the model's current weights.

    Ignored parameters are zero in the directions. Directions are unit vectors, so the projected path
    ``(checkpoint − final) · d`` is in the same units as ``plane``'s alphas/betas with ``directions="pca"``.
    Works parameter by parameter through the T×T Gram matrix, so memory stays at one parameter tensor
    per checkpoint. Sign convention: each direction's largest-magnitude entry is positive.
    """
    if isinstance(checkpoints, (Mapping, nn.Module)) or not isinstance(checkpoints, Sequence):
        raise TypeError("checkpoints: expected a list of state dicts or models")
    if len(checkpoints) < 3:
        raise ValueError(f"checkpoints: need at least 3 to find two PCA directions, got {len(checkpoints)}")
    ignored = ignored_names(model, ignore)
    names = [n for n in parameter_names(model) if n not in ignored]
    if not names:
        raise ValueError("ignore: every parameter is ignored, nothing left to find directions in")
    final = dict(model.named_parameters(remove_duplicate=True))
    states = [load_state(model, c, argument=f"checkpoints[{i}]") for i, c in enumerate(checkpoints)]
    t = len(states)

    def diffs(name: str) -> torch.Tensor:  # (T, numel) float64
        w = final[name].detach().double().reshape(1, -1)
        return torch.stack([s[name].double().reshape(-1) for s in states]) - w

    gram = torch.zeros(t, t, dtype=torch.float64, device=final[names[0]].device)
    for name in names:
        d = diffs(name)
        gram += d @ d.T
    centre = torch.eye(t, dtype=torch.float64, device=gram.device) - 1.0 / t
    gram_c = centre @ gram @ centre
    eigvals, eigvecs = torch.linalg.eigh(gram_c)
    eigvals, eigvecs = eigvals.flip(0).clamp_min(0), eigvecs.flip(1)
    total = float(eigvals.sum())
    if total <= 0:
        raise ValueError("checkpoints: all checkpoints are identical, the trajectory has no direction")
    s = eigvals[:2].sqrt()
    u = eigvecs[:, :2]
    # components v_k = (centred diffs)ᵀ u_k / s_k, assembled per parameter
    comps: list[dict[str, torch.Tensor]] = [{}, {}]
    for name in names:
        d = diffs(name)
        dc = d - d.mean(0, keepdim=True)
        v = (u.T @ dc) / torch.where(s > 0, s, torch.ones_like(s))[:, None]
        for k in range(2):
            comps[k][name] = v[k]
    coords = np.zeros((t, 2))
    for k in range(2):
        flat = torch.cat([comps[k][n] for n in names])
        if float(flat[flat.abs().argmax()]) < 0:
            comps[k] = {n: -v for n, v in comps[k].items()}
    for name in names:
        d = diffs(name)
        for k in range(2):
            coords[:, k] += (d @ comps[k][name]).cpu().numpy()
    out: list[Params] = []
    for k in range(2):
        direction: Params = {}
        for name, w in final.items():
            direction[name] = (
                torch.zeros_like(w.detach()) if name in ignored else comps[k][name].reshape(w.shape).to(w.dtype)
            )
        out.append(direction)
    ratio = (eigvals[:2] / total).cpu().numpy()
    return PCADirections(directions=(out[0], out[1]), explained_variance_ratio=ratio, coords=coords)


def plane_directions(
    model: nn.Module,
    directions: Any,
    *,
    seed: int,
    ignore: Sequence[str],
    checkpoints: Sequence[Any] | None,
) -> tuple[tuple[Params, Params], str]:
    """Resolve ``plane``'s ``directions`` argument to two direction dicts and a kind label."""
    theta = {n: p.detach() for n, p in model.named_parameters(remove_duplicate=True)}
    if isinstance(directions, str):
        if directions not in DIRECTION_KINDS:
            raise ValueError(f"directions: expected one of {DIRECTION_KINDS} or a pair of dicts, got {directions!r}")
        if directions == "pca":
            if checkpoints is None:
                raise ValueError("directions='pca' needs checkpoints=[state dicts or models saved while training]")
            return pca_directions(model, checkpoints, ignore).directions, "pca"
        if checkpoints is not None:
            raise ValueError("checkpoints: only used with directions='pca'")
        ignored = ignored_names(model, ignore)
        generator = torch.Generator().manual_seed(int(seed))
        d1 = random_direction(theta, generator, ignored)
        d2 = random_direction(theta, generator, ignored)
        if directions == "filter_normalized":
            d1, d2 = filter_normalize(d1, theta, ignored), filter_normalize(d2, theta, ignored)
        return (d1, d2), directions
    if checkpoints is not None:
        raise ValueError("checkpoints: only used with directions='pca'")
    return custom_directions(model, directions), "custom"
