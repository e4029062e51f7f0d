"""The layer tree: every module call of one forward pass, in call order, with output shapes."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from .._guard import ModelGuard, model_guard
from .calls import call_name
from .forward import prepare_input, run_model
from .outputs import tensors_in

__all__ = ["LayerInfo", "collect_tree", "layer_tree", "probe_tree"]


@dataclass(frozen=True)
class LayerInfo:
    """One call of one module during a forward pass.

    ``name`` is the call name (``"module"`` for the first call, ``"module#k"`` for the k-th),
    ``parent`` the ``index`` of the enclosing call (``None`` at the top), ``output_shapes`` the
    shapes of every tensor the call returned (depth-first), ``params`` the parameters of the module
    including its children, ``is_leaf`` whether no other module call happened inside this one (so
``nn.MultiheadAttention``, whose ``out_proj`` is never called as a module, is a leaf).
    """

    index: int
    name: str
    module: str
    type: str
    call: int
    depth: int
    parent: int | None
    is_leaf: bool
    params: int
    output_shapes: tuple[tuple[int, ...], ...]

    @property
    def output_shape(self) -> tuple[int, ...] | None:
        """Shape of the first returned tensor (the one :func:`activations` gives), or ``None``."""
        return self.output_shapes[0] if self.output_shapes else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (lists instead of tuples)."""
        data = asdict(self)
        data["output_shapes"] = [list(s) for s in self.output_shapes]
        data["output_shape"] = None if self.output_shape is None else list(self.output_shape)
        return data


def layer_tree(model: nn.Module, example: Any) -> list[LayerInfo]:
    """Every module call below the root, from one run of ``model`` on ``example``.

    In the order the calls start (parents before children). Modules never called are absent; a module
    called k times appears k times (``"name"``, ``"name#2"``, …).

    Parameters
    ----------
    model : torch.nn.Module
        The model; never changed.
    example : torch.Tensor or object
        An input batch (as the model takes it).

    Returns
    -------
    list of LayerInfo
        One entry per call: its name, parent, module type, output shapes, parameter count and whether it is a leaf.
    """
    with model_guard(model) as guard:
        return collect_tree(guard, prepare_input(model, example, argument="example"), argument="example")


def collect_tree(guard: ModelGuard, batch: torch.Tensor, *, argument: str = "x") -> list[LayerInfo]:
    """:func:`layer_tree` inside an open model guard, for a prepared input batch."""
    model = guard.model
    names = {id(m): name for name, m in model.named_modules() if name}
    rows: list[dict[str, Any]] = []
    stack: list[int] = []
    counts: dict[int, int] = {}

    def pre(module: nn.Module, inputs: Any) -> None:
        key = id(module)
        counts[key] = counts.get(key, 0) + 1
        name = names[key]
        rows.append(
            dict(
                index=len(rows),
                name=call_name(name, counts[key]),
                module=name,
                type=type(module).__name__,
                call=counts[key],
                depth=len(stack),
                parent=stack[-1] if stack else None,
                is_leaf=True,
                params=sum(p.numel() for p in module.parameters()),
                output_shapes=(),
            )
        )
        stack.append(len(rows) - 1)

    def post(module: nn.Module, inputs: Any, output: Any) -> None:
        index = stack.pop()
        if stack:
            rows[stack[-1]]["is_leaf"] = False
        rows[index]["output_shapes"] = tuple(tuple(t.shape) for t in tensors_in(output))

    handles = []
    for name, module in model.named_modules():
        if name:
            handles.append(guard.forward_pre_hook(module, pre))
            handles.append(guard.forward_hook(module, post))
    try:
        with torch.no_grad():
            run_model(model, batch, argument=argument)
    finally:
        for handle in handles:
            handle.remove()
    return [LayerInfo(**row) for row in rows]


def probe_tree(guard: ModelGuard, batch: torch.Tensor, *, argument: str = "data") -> list[LayerInfo]:
    """The layer tree from the first sample of a data batch (cheap); if the model fails on it, the
    error is reported for the whole batch so that it names the shape the caller passed."""
    try:
        return collect_tree(guard, batch[:1], argument=argument)
    except ValueError:
        if batch.shape[0] > 1:
            with torch.no_grad():
                run_model(guard.model, batch, argument=argument)
        raise
