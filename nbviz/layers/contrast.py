"""Which channels respond to a chosen group of inputs more than to the rest of the dataset.

:func:`channel_means` runs the dataset once and keeps, per input and channel, the channel's mean
activation (the expensive part); :func:`channel_contrast` then ranks channels for any selection of
inputs with nothing but two means and a division (the cheap part, redone on every new selection).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .._data import Data
from .._guard import model_guard
from .._progress import Progress
from .outputs import output_tensor
from .recorder import Recorder
from .scan import scan
from .stats import _plan

__all__ = ["ChannelContrast", "channel_contrast", "channel_means"]


def channel_means(
    model: nn.Module,
    data: Data,
    layers: str | nn.Module | Sequence[str | nn.Module] | None = None,
    batch_size: int = 64,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """Per input and channel, the mean activation of each of ``layers`` over its spatial/token
    positions: ``{layer: (N, C) float32}`` in dataset order, from one pass over ``data`` (tensor,
    array, (x, y) pair, Dataset or DataLoader). ``layers=None`` takes every leaf layer with channels;
    the channel axis is read as in :func:`~nbviz.layers.activation_stats`."""
    with model_guard(model) as guard:
        parts: dict[str, list[torch.Tensor]] | None = None
        for _, batch in scan(model, data, batch_size, progress, "channel means"):
            if parts is None:
                plan = _plan(guard, batch, layers)
                parts = {ref.key: [] for ref in plan}
                recorder = Recorder(guard, {ref: _keeper(parts[ref.key], ref.key, acc.axis) for ref, acc in plan.items()})
            recorder.run(batch, argument="data")
    assert parts is not None
    return {key: torch.cat(chunks).numpy() for key, chunks in parts.items()}


def _keeper(into: list[torch.Tensor], key: str, axis: int) -> Callable[[Any], None]:
    def keep(out: Any) -> None:
        t = output_tensor(out, key).detach()
        t = t.movedim(axis, 1) if axis != 1 else t
        into.append(t.reshape(t.shape[0], t.shape[1], -1).mean(dim=2, dtype=torch.float64).float().cpu())

    return keep


@dataclass
class ChannelContrast:
    """Channels ranked by how much more they respond to a selection than to the rest, best first.

    ``channels`` (C,) channel indices; ``scores`` (C,) (mean over the selection − mean over the rest)
    of the per-input channel means, divided by the channel's standard deviation over the whole
    dataset (0 where a channel never varies); ``selected`` how many inputs were selected.
    """

    layer: str
    channels: np.ndarray
    scores: np.ndarray
    selected: int

    def top(self, k: int = 10) -> list[tuple[int, float]]:
        """The ``k`` best ``(channel, score)`` pairs."""
        return [(int(c), float(s)) for c, s in zip(self.channels[:k], self.scores[:k])]


def channel_contrast(means: np.ndarray, selected: Sequence[int], layer: str = "") -> ChannelContrast:
    """Rank the channels of ``means`` (N×C per-input channel means, e.g. from :func:`channel_means`)
    by their response to the inputs ``selected`` (indices into N) compared with all other inputs.
    Ties keep the lower channel first."""
    m = np.asarray(means, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"means: expected an N×C array, got shape {m.shape}")
    n = m.shape[0]
    index = np.unique(np.asarray(list(selected), dtype=np.int64))
    if index.size == 0 or index.size >= n:
        raise ValueError(f"selected: expected some but not all of the {n} inputs, got {index.size}")
    if index[0] < 0 or index[-1] >= n:
        raise ValueError(f"selected: indices must be in 0 … {n - 1}")
    inside = np.zeros(n, dtype=bool)
    inside[index] = True
    difference = m[inside].mean(axis=0) - m[~inside].mean(axis=0)
    spread = m.std(axis=0)
    scores = np.divide(difference, spread, out=np.zeros_like(difference), where=spread > 1e-12)
    order = np.argsort(-scores, kind="stable")
    return ChannelContrast(layer=layer, channels=order, scores=scores[order], selected=int(index.size))
