"""Names for module *calls*: a module run several times in one forward has one name per call.

The first call of ``layer1.0.relu`` is named ``"layer1.0.relu"``, the second ``"layer1.0.relu#2"``,
the k-th ``"layer1.0.relu#k"``. ``"name#1"`` is accepted as a synonym of ``"name"``.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from .._modules import resolve_layer

__all__ = ["CallRef", "call_name", "resolve_call", "resolve_calls"]


def call_name(module_name: str, call: int) -> str:
    """The name of the ``call``-th (1-based) call of the module named ``module_name``."""
    return module_name if call == 1 else f"{module_name}#{call}"


@dataclass(frozen=True)
class CallRef:
    """One call of one module: ``key`` is the name the caller used (or the module's name)."""

    key: str
    module_name: str
    module: nn.Module
    call: int

    @property
    def name(self) -> str:
        return call_name(self.module_name, self.call)


def _split(text: str, argument: str) -> tuple[str, int]:
    base, sep, suffix = text.rpartition("#")
    if not sep:
        return text, 1
    if not suffix.isdigit() or int(suffix) < 1:
        raise ValueError(f"{argument}: {text!r} has a bad call suffix; use 'name#k' with k = 1, 2, … for the k-th call")
    return base, int(suffix)


def resolve_call(model: nn.Module, layer: str | nn.Module, *, argument: str = "layer") -> CallRef:
    """Resolve a layer given as a module, a name, or ``"name#k"`` (k-th call) to a :class:`CallRef`."""
    if isinstance(layer, str):
        base, call = _split(layer, argument)
        name, module = resolve_layer(model, base, argument=argument)
        return CallRef(key=layer, module_name=name, module=module, call=call)
    name, module = resolve_layer(model, layer, argument=argument)
    return CallRef(key=name, module_name=name, module=module, call=1)


def resolve_calls(model: nn.Module, layers: object, *, argument: str = "layers") -> list[CallRef]:
    """Resolve one layer or a sequence of layers (repeated keys dropped, order kept)."""
    if isinstance(layers, (str, nn.Module)):
        layers = [layers]
    if not isinstance(layers, (list, tuple)):
        raise TypeError(f"{argument}: expected a layer name, an nn.Module or a list of them, got {type(layers).__name__}")
    if not layers:
        raise ValueError(f"{argument}: no layers given")
    refs: dict[str, CallRef] = {}
    for layer in layers:
        ref = resolve_call(model, layer, argument=argument)
        refs.setdefault(ref.key, ref)
    return list(refs.values())
