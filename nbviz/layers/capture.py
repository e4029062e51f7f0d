"""Feature maps of chosen layers for one input batch, captured by forward hooks."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any, Literal

import torch
from torch import nn

from .._guard import model_guard
from .._inputs import check_model
from .calls import CallRef, resolve_calls
from .forward import prepare_input
from .outputs import changed, map_tensors, output_tensor, versions
from .recorder import Recorder
from .tokens import tokens_to_grid

__all__ = ["activations"]

# Calls whose output a later in-place op changed, per model: cloned at once on the next capture.
_EDITED_IN_PLACE: weakref.WeakKeyDictionary[nn.Module, set[tuple[str, int]]] = weakref.WeakKeyDictionary()


def activations(
    model: nn.Module,
    x: Any,
    layers: str | nn.Module | Sequence[str | nn.Module],
    *,
    reshape_tokens: bool = False,
    output: Literal["first", "full"] = "first",
) -> dict[str, Any]:
    """Outputs of ``layers`` for the input batch ``x``, in the order asked.

    ``"name#k"`` is the k-th call of a module run several times in one forward (plain ``"name"`` is
    its first call). Each value is the first tensor the module returned (see :mod:`nbviz.layers.outputs`),
    detached, exactly as returned: a later in-place op (e.g. ``ReLU(inplace=True)``) cannot alter it.
    The forward stops after the last wanted layer.

    Parameters
    ----------
    model : torch.nn.Module
        The model; never changed.
    x : torch.Tensor or object
        The input batch.
    layers : str, torch.nn.Module or sequence of them
        The layers, as modules or names.
    reshape_tokens : bool, default False
        Turn N×T×D token outputs into N×D×h×w grids (dropping a class token).
    output : {"first", "full"}, default "first"
        ``"first"``: the first tensor each module returned; ``"full"``: the whole returned structure.

    Returns
    -------
    dict of str to torch.Tensor or object
        ``{name: output}``; keys are the names as given (a module's key is its qualified name).
    """
    check_model(model)
    if output not in ("first", "full"):
        raise ValueError(f"output: expected 'first' or 'full', got {output!r}")
    if reshape_tokens and output == "full":
        raise ValueError("reshape_tokens: only available with output='first'")
    refs = resolve_calls(model, layers)
    with model_guard(model) as guard:
        batch = prepare_input(model, x)
        edited = _EDITED_IN_PLACE.setdefault(model, set())
        clone_now = {ref for ref in refs if (ref.module_name, ref.call) in edited}
        store: dict[CallRef, tuple[Any, list[int] | None]] = {}

        def keep(ref: CallRef) -> Callable[[Any], None]:
            def consume(out: Any) -> None:
                value = _pick(out, output, ref)
                saved = None if ref in clone_now else versions(value)
                if saved is None:
                    value = map_tensors(value, lambda t: t.detach().clone())
                store[ref] = (value, saved)

            return consume

        with Recorder(guard, {ref: keep(ref) for ref in refs}) as recorder:
            recorder.run(batch)
            redo = [ref for ref, (value, saved) in store.items() if saved is not None and changed(value, saved)]
            if redo:
                edited.update((ref.module_name, ref.call) for ref in redo)
                clone_now.update(redo)
                recorder.run(batch, only=redo)
    result = {ref.key: store[ref][0] for ref in refs}
    if reshape_tokens:
        result = {key: tokens_to_grid(value, name=key) for key, value in result.items()}
    return result


def _pick(out: Any, output: str, ref: CallRef) -> Any:
    if output == "full":
        return map_tensors(out, torch.Tensor.detach)
    return output_tensor(out, ref.key)
