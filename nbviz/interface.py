"""Models whose forward is not ``logits = model(x)``: which output to explain, what else to pass.

Hugging Face-style models return a dict or a ``ModelOutput``, others a tuple ``(logits, aux)``, and
some take a second input (an attention mask). nbviz works with the model's *output tensor*:

- By default every nbviz call picks it automatically (:func:`pick_output`): a tensor is itself; from a
  mapping or ``ModelOutput`` the ``"logits"`` entry if there is one, else its first tensor; from a
  tuple or list its first tensor. So saliency, occlusion, predictions, landscapes (whose ``loss_fn``
  gets the picked tensor) and every explorer work on such models as they are.
- :func:`adapt` says it explicitly, and passes extra inputs: ``nbviz.adapt(model, output="pooler",
  forward_kwargs={"attention_mask": mask})`` is a module that shares everything with ``model`` (its
  submodules, weights, names and hooks: a layer is called the same in both) and whose forward calls
  ``model.forward(x, *args, **forward_kwargs)`` and returns the chosen output. Pass it wherever nbviz
  takes a model.

The automatic pick happens on nbviz's shadow of the model (:mod:`nbviz._shadow`), never on the
user's model, whose own calls return what they always did.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

__all__ = ["OutputSpec", "adapt", "pick_output"]

#: which output to explain: ``None`` (automatic), a key of a mapping output, an index of a tuple
#: output, or a callable ``output -> tensor``
OutputSpec = "str | int | Callable[[Any], torch.Tensor] | None"


def pick_output(out: Any, output: Any = None) -> Any:
    """The tensor nbviz explains from a model's output ``out`` (see the module docstring); ``out``
    itself when nothing in it is a tensor (the caller's error message then names the type)."""
    if callable(output):
        return output(out)
    if output is not None:
        try:
            return out[output]
        except (KeyError, IndexError, TypeError) as error:
            keys = list(out.keys()) if isinstance(out, Mapping) or hasattr(out, "keys") else None
            what = f"its keys are {keys}" if keys is not None else f"it is a {type(out).__name__}"
            raise ValueError(f"output: the model's output has no {output!r}; {what}") from error
    if isinstance(out, (torch.Tensor, torch.fx.Proxy)):  # a Proxy: torch.fx tracing the model
        return out
    if isinstance(out, Mapping) or hasattr(out, "keys"):
        if "logits" in out.keys():
            return out["logits"]
        values = [v for v in out.values() if isinstance(v, torch.Tensor)]
        return values[0] if values else out
    if isinstance(out, (tuple, list)):
        return next((v for v in out if isinstance(v, torch.Tensor)), out)
    return out


def _adapted_forward(self: nn.Module, *args: Any, **kwargs: Any) -> Any:
    spec = self.__dict__["_nbviz_call"]
    inner = spec["inner"]
    out = inner(self, *args, *spec["args"], **{**spec["kwargs"], **kwargs})
    return pick_output(out, spec["output"])


def adapt(
    model: nn.Module,
    output: str | int | Callable[[Any], torch.Tensor] | None = None,
    *,
    args: Sequence[Any] = (),
    forward_kwargs: Mapping[str, Any] | None = None,
) -> nn.Module:
    """``model`` as nbviz should call it: ``model.forward(x, *args, **forward_kwargs)``, then ``output``.

    Parameters
    ----------
    model : torch.nn.Module
        The user's model; it is not changed, and the adapted module shares its submodules, parameters
        and buffers (training it trains both).
    output : str, int, callable or None, default None
        What to explain from the model's output: a key (``"logits"``), an index (``0``), a callable
        ``output -> tensor``, or ``None`` for the automatic pick (:func:`nbviz.interface.pick_output`).
    args : sequence, default ()
        Extra positional inputs after ``x`` (the same for every input batch).
    forward_kwargs : mapping of str to object or None, default None
        Extra keyword inputs, e.g. ``{"attention_mask": mask}``.

    Returns
    -------
    torch.nn.Module
        A module to pass wherever nbviz takes a model; layer names are the model's own.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    if output is not None and not isinstance(output, (str, int)) and not callable(output):
        raise TypeError(f"output: expected a key, an index, a callable or None, got {type(output).__name__}")
    if forward_kwargs is not None and not isinstance(forward_kwargs, Mapping):
        raise TypeError(f"forward_kwargs: expected a mapping of keyword inputs, got {type(forward_kwargs).__name__}")
    inner = model.__dict__.get("forward")  # an instance-level forward (torch.compile's wrapper, an earlier adapt)
    adapted = object.__new__(type(model))
    adapted.__dict__.update(model.__dict__)  # the same submodules, parameters and hooks
    adapted.__dict__["_nbviz_call"] = dict(
        inner=(lambda self, *a, **k: inner(*a, **k)) if inner is not None else type(model).forward,
        args=tuple(args),
        kwargs=dict(forward_kwargs or {}),
        output=output,
    )
    adapted.__dict__["forward"] = types.MethodType(_adapted_forward, adapted)
    return adapted
