"""One forward pass on a single input that measures the model: which modules ran, in what order,
the shape and size of what each produced. Batch sizes (memory budget) and the default CAM layer
come from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

import torch
from torch import nn

from .._guard import ModelGuard
from ..layers.channels import channel_axes_in_completion_order
from ..layers.layout import Layout, layout_of

__all__ = ["Probe", "ProbedModule", "cached_probe", "probe_model"]


@dataclass(frozen=True)
class ProbedModule:
    """A module call seen in the probe: its qualified name, the module, its output shape and bytes
    per input (first tensor output), and how that output is laid out."""

    name: str
    module: nn.Module
    shape: tuple[int, ...]
    bytes: int
    leaf: bool
    layout: Layout

    @property
    def spatial(self) -> bool:
        """True for an output with maps of more than one position: N×C×H×W, N×H×W×C, or tokens on a grid."""
        return self.layout.spatial


@dataclass
class Probe:
    """Module calls in completion order (the root module excluded) and the input's size."""

    calls: list[ProbedModule] = field(default_factory=list)
    input_bytes: int = 0

    def last_call(self, module: nn.Module) -> int | None:
        """Index of the last call of ``module``, or ``None`` if it never ran."""
        for i in range(len(self.calls) - 1, -1, -1):
            if self.calls[i].module is module:
                return i
        return None

    def last_spatial(self) -> ProbedModule | None:
        """The last module to finish with a spatial output (see :attr:`ProbedModule.spatial`)."""
        return next((c for c in reversed(self.calls) if c.spatial), None)

    def backward_bytes_per_row(self, start: int = 0) -> int:
        """Rough peak memory per input row of a forward+backward pass whose graph starts at call
        ``start``: saved activations and their gradients after ``start`` plus the largest
        activation twice (a forward without graph still holds an input and an output)."""
        leaves = [c.bytes for c in self.calls if c.leaf]
        after = [c.bytes for c in self.calls[start:] if c.leaf]
        largest = max(leaves, default=0)
        return 2 * sum(after) + 2 * largest + 2 * self.input_bytes

    def forward_bytes_per_row(self) -> int:
        """Rough peak memory per input row of a forward pass without gradients."""
        return 2 * max((c.bytes for c in self.calls), default=0) + self.input_bytes


def _first_tensor(value: object) -> torch.Tensor | None:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)):
        for item in value:
            found = _first_tensor(item)
            if found is not None:
                return found
    if isinstance(value, dict):
        for item in value.values():
            found = _first_tensor(item)
            if found is not None:
                return found
    return None


def probe_model(model: nn.Module, x1: torch.Tensor, guard: ModelGuard) -> tuple[Probe, torch.Tensor]:
    """Run ``model`` on ``x1`` (one input, 1×…) without gradients and record every module call.

    Returns the :class:`Probe` and the model's output. The hooks are removed before returning.
    """
    probe = Probe(input_bytes=x1[0].numel() * x1.element_size())
    names = {module: name for name, module in model.named_modules()}
    handles = []
    seen: list[tuple[str, nn.Module, tuple[int, ...], int, bool]] = []

    def record(module: nn.Module, _inputs: object, output: object) -> None:
        tensor = _first_tensor(output)
        if tensor is None or module is model:
            return
        per_row = tensor[0].numel() * tensor.element_size() if tensor.ndim else tensor.element_size()
        leaf = next(iter(module.children()), None) is None
        seen.append((names[module], module, tuple(tensor.shape), per_row, leaf))

    try:
        for module in names:
            handles.append(guard.forward_hook(module, record))
        with torch.no_grad():
            output = model(x1)
    finally:
        for handle in handles:
            handle.remove()
    axes = channel_axes_in_completion_order([(module, shape, leaf) for _, module, shape, _, leaf in seen])
    probe.calls = [ProbedModule(*call, layout=layout_of(call[2], axis)) for call, axis in zip(seen, axes)]
    return probe, output


# model → (key, probe, output): a probe depends on the architecture and the input's shape, not
# on the weights, so repeated calls (a widget, the pointing game's chunks) skip its forward.
_CACHE: WeakKeyDictionary[nn.Module, tuple[tuple, Probe, torch.Tensor]] = WeakKeyDictionary()


def _key(model: nn.Module, x1: torch.Tensor) -> tuple:
    structure = tuple((name, type(m), id(m)) for name, m in model.named_modules())
    return (tuple(x1.shape[1:]), x1.dtype, x1.device, structure)


def cached_probe(x1: torch.Tensor, guard: ModelGuard) -> tuple[Probe, torch.Tensor]:
    """:func:`probe_model` of the guarded model, reusing the last probe of the user's model while its
    modules (names, types, identities) and the input's shape, dtype and device are unchanged. The
    returned output is then that of the earlier probe: use it for shapes, not values. The probe's
    modules are the shadow's, which keep their identity from one guarded block to the next."""
    key = _key(guard.user_model, x1)
    hit = _CACHE.get(guard.user_model)
    if hit is not None and hit[0] == key:
        return hit[1], hit[2]
    probe, output = probe_model(guard.model, x1, guard)
    if isinstance(output, torch.Tensor):
        _CACHE[guard.user_model] = (key, probe, output.detach())
    return probe, output
