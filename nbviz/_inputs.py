"""One input-checking path for the entry points that run a user's model on user tensors.

Each entry point calls, at its top and before the model guard:

* :func:`check_model` — an ``nn.Module`` whose weights exist (not on the meta device);
* :func:`model_input` — after its own shape handling, the input as the model needs it. It converts
  what a user would expect to be converted (numpy → torch, integers → float, a tensor made under
  ``torch.inference_mode()`` → an ordinary copy, any float dtype → the dtype of the model's
  parameters) and rejects the rest with an error that names the argument: an empty batch, NaN or
  inf values, or a channel count that the model's first layer does not take (when that layer is a
  2-D convolution, the usual stem of an image model);
* :func:`check_class_names` and :func:`check_labels` — explorer arguments that describe classes,
  checked against the number of classes the model outputs.

Messages follow the house style ``"<argument>: expected …, got …"``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from ._data import as_tensor

__all__ = [
    "check_class_names",
    "check_finite_rows",
    "check_labels",
    "check_model",
    "first_conv",
    "model_dtype",
    "model_input",
]

SHOWN_INDICES = 10  # error messages list at most this many offending indices


def _tensors(model: nn.Module) -> Iterator[tuple[str, torch.Tensor]]:
    yield from model.named_parameters()
    yield from ((name, b) for name, b in model.named_buffers() if b is not None)


def check_model(model: Any, *, argument: str = "model") -> nn.Module:
    """``model`` itself, once it is known to be an ``nn.Module`` with materialised weights.

    :param model: what the user passed as the model.
    :param argument: the argument's name in error messages.
    :raises TypeError: ``model`` is not an ``nn.Module``.
    :raises ValueError: a parameter or buffer is on the meta device (created with
        ``device="meta"`` or under ``torch.device("meta")``, weights never loaded).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"{argument}: expected a torch.nn.Module, got {type(model).__name__}")
    meta = next((name for name, tensor in _tensors(model) if tensor.is_meta), None)
    if meta is not None:
        raise ValueError(
            f"{argument}: expected a model with weights, got one whose weights are not materialised "
            f"({meta!r} is on the meta device); load them first, e.g. "
            f"model.to_empty(device='cpu') then model.load_state_dict(state)"
        )
    return model


def model_dtype(model: nn.Module) -> torch.dtype | None:
    """The dtype of ``model``'s first floating-point parameter (else buffer); None without any.

    :param model: the user's model.
    """
    return next((t.dtype for _, t in _tensors(model) if torch.is_floating_point(t)), None)


def first_conv(model: nn.Module) -> tuple[str, nn.Conv2d] | None:
    """``(name, layer)`` of the model's first layer when it is a 2-D convolution, else None.

    The first layer is the first module with parameters of its own, in registration order (the
    stem of torchvision's models and of ``nn.Sequential`` stacks); a lazy convolution whose
    channels are not yet known does not count.

    :param model: the user's model.
    """
    for name, module in model.named_modules():
        if next(module.parameters(recurse=False), None) is None:
            continue
        if isinstance(module, nn.Conv2d) and module.in_channels > 0:
            return name, module
        return None
    return None


def input_rank(model: nn.Module) -> int | None:
    """The rank of the input batches the model takes, when its first layer tells: 3 (N×C×L) for a
    ``Conv1d`` stem, 4 (N×C×H×W) for a ``Conv2d`` one; ``None`` otherwise (an MLP takes table rows
    N×D, or images it flattens)."""
    for _, module in model.named_modules():
        if next(module.parameters(recurse=False), None) is None:
            continue
        if isinstance(module, nn.Conv1d):
            return 3
        return 4 if isinstance(module, nn.Conv2d) else None
    return None


def check_finite_rows(finite: np.ndarray, *, argument: str, unit: str = "row") -> None:
    """Raise when some rows hold NaN or inf, listing the first :data:`SHOWN_INDICES` of them.

    :param finite: one bool per row, True where every value of the row is finite.
    :param argument: the argument's name in error messages.
    :param unit: what a row is called in the message ("row", "input", …).
    """
    if finite.all():
        return
    bad = np.flatnonzero(~finite)
    shown = ", ".join(str(i) for i in bad[:SHOWN_INDICES]) + (", …" if bad.size > SHOWN_INDICES else "")
    raise ValueError(f"{argument}: contains NaN or inf in {bad.size} {unit}(s): {shown}")


def model_input(x: Any, model: nn.Module, *, argument: str = "x") -> torch.Tensor:
    """``x`` (a batch: first axis = inputs) converted for ``model``, or a clear error.

    Converts: numpy → torch, integer/bool → float, inference-mode tensors → an ordinary copy (so
    gradients can be taken), float dtype → the dtype of the model's parameters (float64 input to a
    float32 model is cast; a float64 model gets float64). The device is left to the caller.

    :param x: the user's input batch, a tensor or numpy array with the batch on axis 0.
    :param model: the model the input is for (checked with :func:`check_model` first).
    :param argument: the argument's name in error messages.
    :raises ValueError: an empty batch; NaN or inf values; a 4-D input whose channel axis does not
        match the in_channels of the model's first convolution (see :func:`first_conv`).
    """
    t = as_tensor(x, argument=argument).detach()
    if t.ndim == 0:
        raise ValueError(f"{argument}: expected a batch with the inputs on axis 0, got a single number")
    if t.shape[0] == 0:
        raise ValueError(f"{argument}: expected at least one input, got an empty batch of shape {tuple(t.shape)}")
    if t.is_inference():
        t = t.clone()
    conv = first_conv(model)
    if conv is not None and t.ndim == 4 and t.shape[1] != conv[1].in_channels:
        name, layer = conv
        raise ValueError(
            f"{argument}: expected {layer.in_channels} channel(s), as the model's first layer {name!r} takes, "
            f"got {t.shape[1]} in shape {tuple(t.shape)}"
        )
    check_finite_rows(torch.isfinite(t).reshape(t.shape[0], -1).all(1).cpu().numpy(), argument=argument, unit="input")
    dtype = model_dtype(model)
    return t if dtype is None or t.dtype == dtype else t.to(dtype)


def check_class_names(names: Sequence[Any] | None, n_classes: int, *, argument: str = "class_names") -> list[str]:
    """``names`` as strings, one per class the model outputs; ``"0"``, ``"1"``, … when None.

    :param names: the user's class names, or None.
    :param n_classes: the number of classes the model outputs.
    :param argument: the argument's name in error messages.
    """
    if names is None:
        return [str(i) for i in range(n_classes)]
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise TypeError(f"{argument}: expected a list of class names, got {type(names).__name__}")
    if len(names) != n_classes:
        raise ValueError(f"{argument}: expected {n_classes} names (the model has {n_classes} classes), got {len(names)}")
    return [str(name) for name in names]


def check_labels(labels: Any, n_inputs: int, n_classes: int, *, argument: str = "labels") -> list[int]:
    """``labels`` as ints, one class per input, each in ``0 … n_classes - 1``; ``[]`` when None.

    :param labels: the user's labels (a sequence, tensor or array of ints), or None.
    :param n_inputs: the number of inputs the labels belong to.
    :param n_classes: the number of classes the model outputs.
    :param argument: the argument's name in error messages.
    """
    if labels is None:
        return []
    values = labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(list(labels))
    whole = np.issubdtype(values.dtype, np.integer) or (
        np.issubdtype(values.dtype, np.floating) and bool(np.all(values == np.round(values)))
    )
    if values.ndim != 1 or not (values.size == 0 or whole):
        raise ValueError(f"{argument}: expected one int class per input, got {values.dtype} values of shape {values.shape}")
    if values.size != n_inputs:
        raise ValueError(f"{argument}: expected {n_inputs} labels for {n_inputs} inputs, got {values.size}")
    outside = (values < 0) | (values >= n_classes)
    if outside.any():
        first = int(np.flatnonzero(outside)[0])
        raise ValueError(
            f"{argument}: expected classes in 0…{n_classes - 1} (the model has {n_classes} classes), "
            f"got {int(values[first])} at index {first}"
        )
    return [int(v) for v in values.astype(np.int64)]
