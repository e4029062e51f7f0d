"""What a module returned: picking the tensor to show, detaching structures, spotting in-place edits.

Modules may return a tensor, a tuple/list, a dict or nested mixtures. nbviz shows the *first
tensor* in depth-first order (tuple/list elements in order, dict values in insertion order); e.g.
``nn.MultiheadAttention`` → the attention output, an LSTM → its output sequence.
"""

from __future__ import annotations

from typing import Any

import torch

from .forward import HookError

__all__ = ["output_tensor", "first_tensor", "tensors_in", "map_tensors", "versions", "changed"]


def tensors_in(value: Any) -> list[torch.Tensor]:
    """All tensors in a (nested) output, depth-first."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in tensors_in(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in tensors_in(item)]
    return []


def first_tensor(value: Any) -> torch.Tensor | None:
    """The first tensor of a (nested) output, or ``None`` when it holds none."""
    found = tensors_in(value)
    return found[0] if found else None


def output_tensor(value: Any, key: str) -> torch.Tensor:
    """The first tensor of the output of layer ``key``, detached; :class:`HookError` if it has none."""
    t = first_tensor(value)
    if t is None:
        raise HookError(f"layers: {key!r} returned {type(value).__name__}, which holds no tensor")
    return t.detach()


def map_tensors(value: Any, fn: Any) -> Any:
    """Apply ``fn`` to every tensor of a nested output, keeping its structure (namedtuples too)."""
    if isinstance(value, torch.Tensor):
        return fn(value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(map_tensors(v, fn) for v in value))
    if isinstance(value, (tuple, list)):
        return type(value)(map_tensors(v, fn) for v in value)
    if isinstance(value, dict):
        return type(value)((k, map_tensors(v, fn)) for k, v in value.items())
    return value


def versions(value: Any) -> list[int] | None:
    """In-place version counters of every tensor in ``value``; ``None`` if one cannot be read
    (inference-mode tensors have no counter)."""
    try:
        return [t._version for t in tensors_in(value)]
    except RuntimeError:
        return None


def changed(value: Any, saved: list[int]) -> bool:
    """Whether any tensor of ``value`` was modified in place since ``saved = versions(value)``."""
    return [t._version for t in tensors_in(value)] != saved
