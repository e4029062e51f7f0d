"""What a node's value is during a patched pass of the incremental engine, per batch of patches:
the cached value (:class:`Same`), the cached value except inside one box per patch
(:class:`Boxed`), or a whole batched tensor (:class:`Full`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

__all__ = ["SAME", "Boxed", "Full", "Same", "pixel_rows", "slice_state", "state_bytes"]


@dataclass
class Same:
    """A node whose output equals the cached one for every patch of the batch."""


@dataclass
class Boxed:
    """Per patch, the output equals the cache except inside a box: ``values`` is B×C×h×w, ``starts``
    the B×2 (row, column) box corners."""

    values: torch.Tensor
    starts: torch.Tensor


@dataclass
class Full:
    """The whole batched output (B×…), computed on full tensors."""

    value: Any


SAME = Same()


def pixel_rows(values: torch.Tensor) -> torch.Tensor:
    """A B×C×h×w tensor as a (B·h·w)×C matrix of pixels (no copy when it is channels-last)."""
    return values.permute(0, 2, 3, 1).reshape(-1, values.shape[1])


def state_bytes(state: Any) -> int:
    """Bytes a state holds for the whole batch (0 for :class:`Same`)."""
    if isinstance(state, Boxed):
        return state.values.numel() * state.values.element_size()
    if isinstance(state, Full) and isinstance(state.value, torch.Tensor):
        return state.value.numel() * state.value.element_size()
    return 0


def slice_state(state: Any, piece: slice, batch: int) -> Any:
    """The patches ``piece`` of a state of ``batch`` patches (views, no copies)."""
    if isinstance(state, Boxed):
        return Boxed(state.values[piece], state.starts[piece])
    if isinstance(state, Full):
        return Full(_slice_value(state.value, piece, batch))
    return state


def _slice_value(value: Any, piece: slice, batch: int) -> Any:
    if isinstance(value, torch.Tensor) and value.dim() > 0 and value.shape[0] == batch:
        return value[piece]
    if isinstance(value, (tuple, list)):
        return type(value)(_slice_value(v, piece, batch) for v in value)
    return value
