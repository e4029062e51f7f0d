"""Python side of the shared layer picker (``js/src/lib/layerPicker.ts``): the module tree as rows
the picker draws, which layers can be picked, the default pick and a helpful error for a bad name."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import traitlets
from torch import nn

from ..layers import layer_tree

__all__ = ["PickerTree", "picker_tree"]


@dataclass
class PickerTree:
    """``rows`` for the picker (``LayerInfo.to_dict()`` plus ``selectable``); ``shown`` the pickable
    layers by name (their :class:`~nbviz.layers.LayerInfo`); ``default`` the first leaf with maps."""

    rows: list[dict[str, Any]]
    shown: dict[str, Any]
    default: str

    def check(self, name: str) -> None:
        """Raise a :class:`traitlets.TraitError` naming ``layer`` (with close matches) if ``name`` can't be picked."""
        if name in self.shown:
            return
        close = difflib.get_close_matches(str(name), list(self.shown), n=5, cutoff=0.4)
        hint = f"; closest: {', '.join(repr(c) for c in close)}" if close else f"; layers: {', '.join(list(self.shown)[:8])}"
        raise traitlets.TraitError(f"layer: {name!r} is not a layer with feature maps or vectors{hint}")

    def channels(self, name: str) -> int:
        return int(self.shown[name].output_shape[1])


def picker_tree(model: nn.Module, example: Any, *, argument: str = "inputs") -> PickerTree:
    """Run ``example`` (one N×C×H×W batch) through ``model`` and keep the layers that return feature
    maps (N×C×H×W) or vectors (N×C). Errors name ``argument`` (or ``model`` if no layer qualifies)."""
    try:  # also checks that the model accepts the inputs
        tree = layer_tree(model, example)
    except ValueError as err:
        raise ValueError(f"{argument}: {str(err).removeprefix('example: ')}") from err
    shown = {info.name: info for info in tree if info.output_shape is not None and len(info.output_shape) in (2, 4)}
    if not shown:
        raise ValueError("model: no layer returns feature maps (N×C×H×W) or vectors (N×C)")
    rows = [dict(info.to_dict(), selectable=info.name in shown) for info in tree]
    default = next((n for n, i in shown.items() if len(i.output_shape) == 4 and i.is_leaf), next(iter(shown)))
    return PickerTree(rows, shown, default)
