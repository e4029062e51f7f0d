"""Finding layers of a user's model by name or module, with helpful errors."""

from __future__ import annotations

import difflib

from torch import nn

from ._shadow import shadow_counterpart

__all__ = ["LayerRef", "layer_name", "resolve_layer", "resolve_layers"]

LayerRef = "str | nn.Module"


def _names(model: nn.Module) -> list[str]:
    return [name for name, _ in model.named_modules() if name]


def resolve_layer(model: nn.Module, layer: str | nn.Module, *, argument: str = "layer") -> tuple[str, nn.Module]:
    """Return ``(qualified_name, module)`` for a layer given by name or as a module of ``model``.

    An unknown name raises ``ValueError`` listing the closest names in the model.
    """
    if isinstance(layer, nn.Module):
        layer = shadow_counterpart(model, layer)  # a user's module named inside a guarded block
        for name, module in model.named_modules():
            if module is layer:
                return name, module
        raise ValueError(f"{argument}: the module {type(layer).__name__} is not part of this model")
    if not isinstance(layer, str):
        raise TypeError(f"{argument}: expected a layer name or an nn.Module, got {type(layer).__name__}")
    modules = dict(model.named_modules())
    if layer in modules:
        return layer, modules[layer]
    names = _names(model)
    close = difflib.get_close_matches(layer, names, n=5, cutoff=0.4)
    if not close:
        close = [n for n in names if layer.lower() in n.lower()][:5]
    hint = f"; closest: {', '.join(repr(c) for c in close)}" if close else ""
    raise ValueError(f"{argument}: no layer named {layer!r} in {type(model).__name__}{hint}")


def resolve_layers(
    model: nn.Module, layers: str | nn.Module | list[str | nn.Module] | tuple, *, argument: str = "layers"
) -> list[tuple[str, nn.Module]]:
    """Resolve one layer or a sequence of layers; see :func:`resolve_layer`."""
    if isinstance(layers, (str, nn.Module)):
        layers = [layers]
    return [resolve_layer(model, layer, argument=argument) for layer in layers]


def layer_name(model: nn.Module, layer: str | nn.Module) -> str:
    """The qualified name of ``layer`` inside ``model``."""
    return resolve_layer(model, layer)[0]
