"""Points in a model's parameter space: named parameter dicts, loading states, ignore rules."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = [
    "Params",
    "buffer_names",
    "ignored_names",
    "load_state",
    "parameter_names",
    "parameters_of",
    "to_numpy",
]

Params = dict[str, torch.Tensor]

_NORM_LAYERS: tuple[type[nn.Module], ...] = (
    nn.modules.batchnorm._NormBase,  # BatchNorm*, InstanceNorm*, SyncBatchNorm
    nn.GroupNorm,
    nn.LayerNorm,
)


def parameter_names(model: nn.Module) -> list[str]:
    """Names of the model's distinct parameters, in registration order (shared weights once)."""
    return [name for name, _ in model.named_parameters(remove_duplicate=True)]


def buffer_names(model: nn.Module) -> list[str]:
    """Names of the model's buffers (BatchNorm running statistics and the like)."""
    return [name for name, _ in model.named_buffers(remove_duplicate=True)]


def parameters_of(model: nn.Module) -> Params:
    """Detached copies of the model's current parameters, keyed by name."""
    return {name: p.detach().clone() for name, p in model.named_parameters(remove_duplicate=True)}


def ignored_names(model: nn.Module, ignore: Sequence[str], *, argument: str = "ignore") -> set[str]:
    """Parameters matched by ``ignore``: ``"bias"`` → every ``*.bias``; ``"bn"`` → every parameter of a
    normalisation layer (BatchNorm*, InstanceNorm*, GroupNorm, LayerNorm); any other entry → that
    parameter name or every parameter under that module name."""
    if isinstance(ignore, str):
        raise TypeError(f"{argument}: expected a tuple of rules such as ('bias', 'bn'), got the string {ignore!r}")
    names = parameter_names(model)
    norm_params = {
        f"{mod_name}.{p_name}" if mod_name else p_name
        for mod_name, module in model.named_modules()
        if isinstance(module, _NORM_LAYERS)
        for p_name, _ in module.named_parameters(recurse=False)
    }
    matched: set[str] = set()
    for rule in ignore:
        if rule == "bias":
            matched |= {n for n in names if n.rsplit(".", 1)[-1] == "bias"}
        elif rule == "bn":
            matched |= norm_params & set(names)
        elif isinstance(rule, str):
            hits = {n for n in names if n == rule or n.startswith(rule + ".")}
            if not hits:
                close = difflib.get_close_matches(rule, names, n=3)
                hint = f"; closest parameter names: {close}" if close else ""
                raise ValueError(f"{argument}: {rule!r} is not 'bias', 'bn', a parameter or a module name{hint}")
            matched |= hits
        else:
            raise TypeError(f"{argument}: entries must be strings, got {type(rule).__name__}")
    return matched


def _as_tensor(value: Any, *, argument: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    raise TypeError(f"{argument}: expected tensors or numpy arrays as values, got {type(value).__name__}")


def load_state(
    model: nn.Module,
    state: Mapping[str, Any] | nn.Module,
    *,
    argument: str,
    buffers: bool = False,
    allow_extra: bool = True,
) -> Params:
    """Parameters (and with ``buffers=True`` also floating buffers) of ``state`` — a state dict or a model
    of the same architecture — as tensors on the model's device and dtype, keyed like ``model``.

    Every parameter must be present with the model's shape; buffers missing from ``state`` are taken
    from ``model``. Keys that are not in ``model.state_dict()`` are an error unless ``allow_extra``.
    """
    if isinstance(state, nn.Module):
        state = state.state_dict()
    if not isinstance(state, Mapping):
        raise TypeError(f"{argument}: expected a state dict or an nn.Module, got {type(state).__name__}")
    reference = model.state_dict(keep_vars=False)
    names = parameter_names(model)
    missing = [n for n in names if n not in state]
    if missing:
        raise ValueError(f"{argument}: missing parameters {missing[:5]}{' …' if len(missing) > 5 else ''}")
    if not allow_extra:
        extra = [k for k in state if k not in reference]
        if extra:
            raise ValueError(f"{argument}: keys not in the model: {extra[:5]}{' …' if len(extra) > 5 else ''}")
    wanted = list(names)
    if buffers:
        wanted += [n for n in buffer_names(model) if torch.is_floating_point(reference[n])]
    out: Params = {}
    for name in wanted:
        target = reference[name]
        value = state.get(name, target)
        tensor = _as_tensor(value, argument=f"{argument}[{name!r}]")
        if tuple(tensor.shape) != tuple(target.shape):
            raise ValueError(
                f"{argument}[{name!r}]: shape {tuple(tensor.shape)} does not match the model's {tuple(target.shape)}"
            )
        out[name] = tensor.to(device=target.device, dtype=target.dtype)
    return out


def to_numpy(params: Mapping[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """A copy of a parameter dict as CPU numpy arrays."""
    return {name: t.detach().cpu().numpy().copy() for name, t in params.items()}
