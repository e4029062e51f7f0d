"""A gradient-carrying capture of one layer's output (or the model's output), stopping the forward
pass once the layer has run."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .._guard import ModelGuard
from ..layers.calls import resolve_call
from ..layers.forward import StopForward, run_model
from ..layers.outputs import first_tensor

__all__ = ["LayerTap"]


class LayerTap:
    """``tap(x)`` runs the guarded model on ``x`` and returns ``layer``'s output with its graph
    (``layer=None``: the model's output, e.g. logits). ``"name#k"`` picks the k-th call of a module."""

    def __init__(self, guard: ModelGuard, layer: "str | nn.Module | None") -> None:
        self.model = guard.model
        if isinstance(layer, nn.Module):
            layer = guard.module(layer)  # the user's module -> the one the guarded block runs
        self.ref = None if layer is None else resolve_call(guard.model, layer)
        self.name = "output" if self.ref is None else self.ref.key
        self._seen = 0
        self._out: torch.Tensor | None = None
        if self.ref is not None:
            guard.forward_hook(self.ref.module, self._hook)

    def _hook(self, module: nn.Module, inputs: Any, output: Any) -> None:
        self._seen += 1
        if self.ref is not None and self._seen == self.ref.call:
            self._out = first_tensor(output)
            raise StopForward

    def __call__(self, x: torch.Tensor, *, argument: str = "x") -> torch.Tensor:
        self._seen, self._out = 0, None
        out = run_model(self.model, x, argument=argument)
        if self.ref is None:
            out = first_tensor(out)
        else:
            out, self._out = self._out, None
        if out is None:
            what = "the model returned no tensor" if self.ref is None else f"{self.name!r} produced no tensor output"
            raise ValueError(f"layer: {what} in the forward pass")
        return out
