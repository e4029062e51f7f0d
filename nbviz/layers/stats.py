"""Per-channel activation statistics over a dataset: mean, max, sparsity and dead channels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import torch
from torch import nn

from .._data import Data
from .._guard import ModelGuard, model_guard
from .._inputs import check_model
from .._progress import Progress, with_progress_bar
from ..execution import resolve_executor
from .calls import CallRef, resolve_call, resolve_calls
from .channels import channel_axes
from .outputs import output_tensor
from .recorder import Consumer, Recorder
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
        if self.sum is None or self.max is None or self.nonzero is None:  # the first batch sets all three
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
    *,
    executor: str | None = None,
) -> ActivationStats:
    """Per-channel mean, max, sparsity and dead channels of ``layers`` over ``data`` (tensor, array,
    (x, y) pair, Dataset or DataLoader), one forward pass per batch for all layers.

    ``layers=None`` takes every leaf layer call whose output has a channel dimension (rank ≥ 2). The
    channel axis is 1 for conv-like outputs and the last axis for token outputs (see :mod:`.channels`).

    ``executor``: ``"local"``, ``"ray"`` or ``None`` (the kernel's choice, :func:`nbviz.use_ray`). On Ray
    each worker accumulates its shard of ``data`` and the driver adds the shards' sums and counts as they
    arrive (means equal the local ones up to float64 rounding of the sums).

    Parameters
    ----------
    model : torch.nn.Module
        The model; run under the model guard in eval mode, without gradients, never changed.
    data : torch.Tensor, numpy.ndarray, Dataset, DataLoader or (inputs, labels)
        The inputs (labels are ignored).
    layers : str, torch.nn.Module, sequence of them, or None, default None
        The layers to summarise, as modules or names; ``None``: every leaf layer call whose output has a
        channel dimension.
    batch_size : int, default 64
        Inputs per forward pass.
    progress : callable, False or None, default None
        ``progress(fraction, message)`` after each batch; return ``False`` to stop. ``None``: a progress bar
        once the call runs longer than a second; ``False``: none.
    executor : {"local", "ray"} or None, default None
        Where the forward passes run; ``None``: the kernel's choice (:func:`nbviz.use_ray`,
        :func:`nbviz.use_local`).

    Returns
    -------
    ActivationStats
        Per layer (call name, in call order) and channel: ``mean``, ``max``, ``sparsity`` and ``dead``.
    """
    check_model(model)
    if resolve_executor(executor) == "ray":
        from ..execution.ray_layers import activation_sums

        rows, samples = activation_sums(accumulate, model, data, layers, batch_size, progress)
    else:
        with model_guard(model) as guard:
            accumulators, samples = accumulate(guard, data, layers, batch_size, progress)
        rows = [(ref.key, a.axis, a.sum, a.max, a.nonzero, a.count) for ref, a in accumulators.items()]
    return ActivationStats(
        layers=[key for key, *_ in rows],
        channel_axis={key: axis for key, axis, *_ in rows},
        mean={key: (total / count).cpu().numpy() for key, _, total, _, _, count in rows},
        max={key: high.double().cpu().numpy() for key, _, _, high, _, _ in rows},
        sparsity={key: ((count - nonzero).double() / count).cpu().numpy() for key, _, _, _, nonzero, count in rows},
        dead={key: (high <= 0).cpu().numpy() for key, _, _, high, _, _ in rows},
        samples=samples,
    )


def accumulate(
    guard: ModelGuard, data: Data, layers: Any, batch_size: int, progress: Progress | None = None
) -> tuple[dict[CallRef, _Accumulator], int]:
    """One pass over ``data`` on ``guard``'s model: an accumulator per layer, and the number of samples."""
    accumulators: dict[CallRef, _Accumulator] | None = None
    samples = 0
    for _, batch in scan(guard.user_model, data, batch_size, progress, "activation statistics"):
        if accumulators is None:
            accumulators = _plan(guard, batch, layers)
            recorder = Recorder(guard, cast(dict[CallRef, Consumer], accumulators))
        recorder.run(batch, argument="data")
        samples += int(batch.shape[0])
    assert accumulators is not None
    return accumulators, samples


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
