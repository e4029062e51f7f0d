"""What to maximise: units of a layer's output, one per image of the batch.

A unit is a channel ``c`` (an int: the mean of channel ``c``'s map for conv outputs, the value
itself for vector outputs such as logits) or a single neuron ``(c, *position)`` (e.g. ``(c, y, x)``).
``units`` is one unit or a list of them; a single neuron must be wrapped in a list: ``[(c, y, x)]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

__all__ = ["Unit", "parse_units", "check_units", "unit_values"]


@dataclass(frozen=True)
class Unit:
    """One unit of a layer: a channel, or one neuron of it.

    Parameters
    ----------
    channel : int
        The channel of the layer's output.
    position : tuple of int or None, default None
        The neuron's index in the remaining axes (e.g. ``(row, col)``); ``None``: the mean over them.
    """

    channel: int
    position: tuple[int, ...] | None = None

    def __str__(self) -> str:
        return str(self.channel) if self.position is None else str((self.channel, *self.position))


def _int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _unit(value: Any) -> Unit:
    if isinstance(value, Unit):
        return value
    if _int(value):
        return Unit(int(value))
    if isinstance(value, (tuple, list)) and value and all(_int(v) for v in value):
        return Unit(int(value[0]), tuple(int(v) for v in value[1:]) or None)
    raise TypeError(f"units: expected a channel (int) or a neuron (tuple of ints), got {value!r}")


def parse_units(units: Any) -> list[Unit]:
    """A list of :class:`Unit` from an int, a Unit, or a sequence of ints / neuron tuples."""
    if _int(units) or isinstance(units, Unit):
        return [_unit(units)]
    if isinstance(units, np.ndarray):
        units = units.tolist()
    if isinstance(units, Sequence) and not isinstance(units, str) and len(units) > 0:
        return [_unit(u) for u in units]
    raise TypeError(f"units: expected an int, a neuron tuple in a list, or a non-empty list of them, got {units!r}")


def check_units(units: Sequence[Unit], shape: Sequence[int], layer: str) -> None:
    """Raise ``ValueError`` unless every unit fits a layer output of ``shape`` (N, C, ...)."""
    if len(shape) < 2:
        raise ValueError(f"layer: {layer!r} has output shape {tuple(shape)}, which has no channel axis")
    channels, rest = shape[1], tuple(shape[2:])
    for unit in units:
        if not 0 <= unit.channel < channels:
            raise ValueError(f"units: {layer!r} has {channels} channels, got channel {unit.channel}")
        if unit.position is not None:
            if len(unit.position) != len(rest) or not all(0 <= p < n for p, n in zip(unit.position, rest)):
                raise ValueError(f"units: neuron {unit} does not fit {layer!r}, whose maps are {rest}")


def unit_values(act: torch.Tensor, units: Sequence[Unit]) -> torch.Tensor:
    """The value of ``units[i]`` on image ``i`` of ``act`` (N, C, ...): (N,), differentiable."""
    rows = torch.arange(len(units), device=act.device)
    maps = act[rows, torch.tensor([u.channel for u in units], device=act.device)]  # (N, ...)
    if maps.ndim == 1:
        return maps
    flat = maps.flatten(1)
    means = flat.mean(1)
    if all(u.position is None for u in units):
        return means
    rest = maps.shape[1:]
    index = [int(np.ravel_multi_index(u.position, rest)) if u.position is not None else 0 for u in units]
    neurons = flat[rows, torch.tensor(index, device=act.device)]
    is_neuron = torch.tensor([u.position is not None for u in units], device=act.device)
    return torch.where(is_neuron, neurons, means)
