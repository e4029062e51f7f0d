"""The fixed probe set a watcher looks at in every snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .._data import examples
from ..layers.forward import prepare_input

__all__ = ["DEFAULT_PROBE_SIZE", "Probe", "as_probe"]

DEFAULT_PROBE_SIZE = 128  # enough points for a t-SNE map; one eval forward of them costs about one training step at batch 64 (shapes CNN)


@dataclass
class Probe:
    """``inputs`` (N, …) on the model's device, ``labels`` (N,) int64 or ``None``, ``class_names``."""

    inputs: torch.Tensor
    labels: torch.Tensor | None
    class_names: list[str] | None


def as_probe(probe: Any, model: nn.Module, size: int = DEFAULT_PROBE_SIZE) -> Probe:
    """The first ``size`` items of ``probe`` (a tensor, an ``(inputs, labels)`` pair, a Dataset or a
    DataLoader; see :func:`nbviz._data.examples`) prepared for ``model``, copied so that later changes
    to the user's tensors do not change what the watcher shows."""
    if probe is None:
        raise TypeError("probe: expected inputs or an (inputs, labels) pair the watcher can run at every snapshot")
    if isinstance(size, bool) or not isinstance(size, int) or size < 2:
        raise ValueError(f"probe_size: expected an integer ≥ 2, got {size!r}")
    found = examples(probe, limit=size, argument="probe")
    if found.inputs.shape[0] < 2:
        raise ValueError(f"probe: expected at least 2 inputs, got {found.inputs.shape[0]}")
    inputs = prepare_input(model, found.inputs.detach(), argument="probe").clone()
    labels = None if found.labels is None else found.labels.detach().to(torch.int64).cpu().clone()
    return Probe(inputs, labels, found.class_names)
