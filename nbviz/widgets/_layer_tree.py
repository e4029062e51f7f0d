"""Python side of the shared layer picker (``js/src/lib/layerPicker.ts``): the module tree as rows
the picker draws, which layers can be picked, the default pick and a helpful error for a bad name."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import torch
import traitlets
from torch import nn

from ..layers import layer_tree
from ..layers.channels import layouts
from ..layers.layout import Layout

__all__ = ["PickerTree", "picker_tree"]


@dataclass
class PickerTree:
    """``rows`` for the picker (``LayerInfo.to_dict()`` plus ``selectable``); ``shown`` the pickable
    layers by name (their :class:`~nbviz.layers.LayerInfo`); ``default`` the first leaf with maps;
    ``layouts`` how each shown layer's output is laid out (:mod:`nbviz.layers.layout`)."""

    rows: list[dict[str, Any]]
    shown: dict[str, Any]
    default: str
    layouts: dict[str, Layout]

    def check(self, name: str) -> None:
        """Raise a :class:`traitlets.TraitError` naming ``layer`` (with close matches) if ``name`` can't be picked."""
        if name in self.shown:
            return
        close = difflib.get_close_matches(str(name), list(self.shown), n=5, cutoff=0.4)
        hint = f"; closest: {', '.join(repr(c) for c in close)}" if close else f"; layers: {', '.join(list(self.shown)[:8])}"
        raise traitlets.TraitError(f"layer: {name!r} is not a layer with feature maps or vectors{hint}")

    def channels(self, name: str) -> int:
        """How many channels (units) layer ``name`` has, wherever its layout keeps them."""
        return int(self.layouts[name].channels or 1)

    def maps(self, name: str, value: torch.Tensor) -> torch.Tensor:
        """One input's output of ``name`` (no batch axis) as channels-first maps C×h×w (vectors: C×1×1)."""
        layout = self.layouts[name]
        if layout.kind == "vector" or value.ndim == 1:
            return value.reshape(value.shape[0], 1, 1)
        return layout.maps(value[None])[0]


def picker_tree(model: nn.Module, example: Any, *, argument: str = "inputs") -> PickerTree:
    """Run ``example`` (one N×C×H×W batch) through ``model`` and keep the layers that return feature
    maps (N×C×H×W, channels-last N×H×W×C, or transformer tokens on a patch grid) or vectors (N×C).
    Errors name ``argument`` (or ``model`` if no layer qualifies)."""
    try:  # also checks that the model accepts the inputs
        tree = layer_tree(model, example)
    except ValueError as err:
        raise ValueError(f"{argument}: {str(err).removeprefix('example: ')}") from err
    found = layouts(model, tree)
    shown = {info.name: info for info in tree if info.name in found and _has_maps_or_vector(found[info.name])}
    if not shown:
        raise ValueError("model: no layer returns feature maps (N×C×H×W, N×H×W×C or tokens) or vectors (N×C)")
    rows = [dict(info.to_dict(), selectable=info.name in shown) for info in tree]
    default = next((n for n, i in shown.items() if found[n].kind != "vector" and i.is_leaf), next(iter(shown)))
    return PickerTree(rows, shown, default, {name: found[name] for name in shown})


def _has_maps_or_vector(layout: Layout) -> bool:
    return layout.kind == "vector" or layout.grid is not None
