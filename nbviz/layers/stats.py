"""Per-channel activation statistics over a dataset: mean, max, sparsity and dead channels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .._data import Data
from .._guard import ModelGuard, model_guard
from .._inputs import check_model
from .._progress import Progress, with_progress_bar
from .calls import CallRef, resolve_call, resolve_calls
from .channels import channel_axes
from .outputs import output_tensor
from .recorder import Recorder
from .scan import scan
from .tree import probe_tree

__all__ = ["ActivationStats", "activation_stats"]


@dataclass
class ActivationStats:
    """Per layer (call name, in call order) and channel: ``mean``, ``max``, ``sparsity`` (fraction of
    outputs exactly 0) and ``dead`` (bool: never positive on the data), each an array of length C.
    ``channel_axis`` says which output axis was read as channels; ``samples`` how many inputs."""

    layers: list[str]
    channel_axis: dict[str, int]
    mean: dict[str, np.ndarray]
    max: dict[str, np.ndarray]
    sparsity: dict[str, np.ndarray]
    dead: dict[str, np.ndarray]
    samples: int

    def layer_sparsity(self) -> np.ndarray:
        """Fraction of exactly-zero outputs per layer (length L)."""
        return np.array([float(self.sparsity[name].mean()) for name in self.layers])

    def dead_counts(self) -> np.ndarray:
        """Number of dead channels per layer (length L)."""
        return np.array([int(self.dead[name].sum()) for name in self.layers])

    def summary(self) -> list[dict[str, Any]]:
        """One JSON-ready row per layer: name, channels, sparsity, dead count."""
        return [
            dict(layer=name, channels=int(self.mean[name].size), sparsity=float(s), dead=int(d))
            for name, s, d in zip(self.layers, self.layer_sparsity(), self.dead_counts())
        ]

    def plot(self) -> Any:
        """A matplotlib Figure: sparsity by layer (bars) and dead channels by layer."""
        from .._figures import figure

        fig = figure(figsize=(max(6.0, 0.25 * len(self.layers) + 2), 5.5), layout="constrained")
        top, bottom = fig.subplots(2, 1, sharex=True)
        positions = np.arange(len(self.layers))
        top.bar(positions, self.layer_sparsity(), color="tab:blue")
        top.set_ylabel("fraction of zeros")
        top.set_ylim(0, 1)
        top.set_title(f"Activation sparsity by layer ({self.samples} inputs)")
        channels = np.array([self.mean[name].size for name in self.layers])
        bottom.bar(positions, channels, color="0.85", label="channels")
        bottom.bar(positions, self.dead_counts(), color="tab:red", label="dead (never > 0)")
        bottom.set_ylabel("channels")
        bottom.legend(loc="upper left")
        bottom.set_xticks(positions, self.layers, rotation=90, fontsize=7)
        return fig


class _Accumulator:
    def __init__(self, key: str, axis: int) -> None:
        self.key = key
        self.axis = axis
        self.sum: torch.Tensor | None = None
        self.max: torch.Tensor | None = None
        self.nonzero: torch.Tensor | None = None
        self.count = 0

    def __call__(self, out: Any) -> None:
        t = output_tensor(out, self.key)
        dims = tuple(d for d in range(t.ndim) if d != self.axis)
        total = t.sum(dim=dims, dtype=torch.float64)
        high = t.amax(dim=dims)
        nonzero = torch.count_nonzero(t, dim=dims)
        if self.sum is None:
            self.sum, self.max, self.nonzero = total, high, nonzero
        else:
            self.sum += total
            self.max = torch.maximum(self.max, high)
            self.nonzero += nonzero
        self.count += t.numel() // t.shape[self.axis]


@with_progress_bar("activation statistics")
def activation_stats(
    model: nn.Module,
    data: Data,
    layers: str | nn.Module | Sequence[str | nn.Module] | None = None,
    batch_size: int = 64,
    progress: Progress | None = None,
) -> ActivationStats:
    """Per-channel mean, max, sparsity and dead channels of ``layers`` over ``data`` (tensor, array,
    (x, y) pair, Dataset or DataLoader), one forward pass per batch for all layers.

    ``layers=None`` takes every leaf layer call whose output has a channel dimension (rank ≥ 2). The
    channel axis is 1 for conv-like outputs and the last axis for token outputs (see :mod:`.channels`).
    """
    check_model(model)
    with model_guard(model) as guard:
        accumulators: dict[CallRef, _Accumulator] | None = None
        samples = 0
        for _, batch in scan(model, data, batch_size, progress, "activation statistics"):
            if accumulators is None:
                accumulators = _plan(guard, batch, layers)
                recorder = Recorder(guard, accumulators)
            recorder.run(batch, argument="data")
            samples += int(batch.shape[0])
    assert accumulators is not None
    names = [ref.key for ref in accumulators]
    done = {ref.key: acc for ref, acc in accumulators.items()}
    return ActivationStats(
        layers=names,
        channel_axis={k: a.axis for k, a in done.items()},
        mean={k: (a.sum / a.count).cpu().numpy() for k, a in done.items()},
        max={k: a.max.double().cpu().numpy() for k, a in done.items()},
        sparsity={k: ((a.count - a.nonzero).double() / a.count).cpu().numpy() for k, a in done.items()},
        dead={k: (a.max <= 0).cpu().numpy() for k, a in done.items()},
        samples=samples,
    )


def _plan(guard: ModelGuard, batch: torch.Tensor, layers: Any) -> dict[CallRef, _Accumulator]:
    model = guard.model
    tree = probe_tree(guard, batch)
    axes = channel_axes(model, tree)
    if layers is None:
        refs = [resolve_call(model, info.name) for info in tree if info.is_leaf and axes[info.name] is not None]
        if not refs:
            raise ValueError("layers: the model has no leaf layer with a channel dimension")
    else:
        refs = resolve_calls(model, layers)
    plan: dict[CallRef, _Accumulator] = {}
    for ref in refs:
        axis = axes.get(ref.name)
        if axis is None:
            shapes = [info.output_shape for info in tree if info.name == ref.name]
            what = f"output of shape {shapes[0]}" if shapes else "no output in a forward pass"
            raise ValueError(f"layers: {ref.key!r} has {what}, so it has no channel dimension")
        plan[ref] = _Accumulator(ref.key, axis)
    return plan
