"""A gradient-carrying capture of one layer's output (or the model's output), stopping the forward
pass once the layer has run. The output comes with its channels (units) on axis 1 whatever the
layer's layout (:mod:`nbviz.layers.layout`): a ViT block's hidden units, not its tokens, are units."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .._guard import ModelGuard
from ..layers.calls import resolve_call
from ..layers.channels import layouts
from ..layers.forward import StopForward, run_model
from ..layers.layout import Layout
from ..layers.outputs import first_tensor
from ..layers.tree import collect_tree

__all__ = ["LayerTap"]


class LayerTap:
    """``tap(x)`` runs the guarded model on ``x`` and returns ``layer``'s output with its graph
    (``layer=None``: the model's output, e.g. logits). ``"name#k"`` picks the k-th call of a module."""

    def __init__(self, guard: ModelGuard, layer: str | nn.Module | None) -> None:
        self.model = guard.model
        if isinstance(layer, nn.Module):
            layer = guard.module(layer)  # the user's module -> the one the guarded block runs
        self.ref = None if layer is None else resolve_call(guard.model, layer)
        self.name = "output" if self.ref is None else self.ref.key
        self._guard = guard
        self._layout: Layout | None = None  # found on the first call, before the stopping hook exists
        self._seen = 0
        self._out: torch.Tensor | None = None

    def _hook(self, module: nn.Module, inputs: Any, output: Any) -> None:
        self._seen += 1
        if self.ref is not None and self._seen == self.ref.call:
            self._out = first_tensor(output)
            raise StopForward

    def _prepare(self, x: torch.Tensor, argument: str) -> None:
        if self.ref is None:
            self._layout = Layout("other", ())
            return
        tree = collect_tree(self._guard, x[:1].detach(), argument=argument)
        self._layout = layouts(self.model, tree).get(self.ref.key, Layout("other", ()))
        self._guard.forward_hook(self.ref.module, self._hook)

    def __call__(self, x: torch.Tensor, *, argument: str = "x") -> torch.Tensor:
        if self._layout is None:
            self._prepare(x, argument)
        self._seen, self._out = 0, None
        out = run_model(self.model, x, argument=argument)
        if self.ref is None:
            out = first_tensor(out)
        else:
            out, self._out = self._out, None
        if out is None:
            what = "the model returned no tensor" if self.ref is None else f"{self.name!r} produced no tensor output"
            raise ValueError(f"layer: {what} in the forward pass")
        assert self._layout is not None
        return self._layout.unit_values(out) if self._layout.shape[1:] == tuple(out.shape[1:]) else out
