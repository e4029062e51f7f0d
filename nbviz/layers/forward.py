"""Running a user's model on an input: input preparation, early stop, and clear input errors."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .._data import as_tensor
from .._guard import model_device
from .._inputs import model_dtype

__all__ = ["HookError", "StopForward", "expected_input", "prepare_input", "run_model"]


class StopForward(BaseException):
    """Raised from a hook once everything wanted is captured; :func:`run_model` swallows it.

    A ``BaseException`` so that a model's own ``except Exception`` cannot swallow it.
    """


class HookError(ValueError):
    """A problem with a requested layer found while the forward runs; passed on unchanged."""


def prepare_input(model: nn.Module, x: Any, *, argument: str = "x") -> torch.Tensor:
    """``x`` as a float tensor on the model's device and in its floating dtype (see
    :func:`nbviz._inputs.model_dtype`). No value checks: internal callers feed NaN probes and empty batches."""
    t = as_tensor(x, argument=argument)
    return t.to(device=model_device(model), dtype=model_dtype(model) or t.dtype)


def expected_input(model: nn.Module) -> str | None:
    """A human description of the input shape the model's first conv/linear layer expects."""
    size = getattr(model, "image_size", None)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            spatial = f"{size}×{size}" if isinstance(size, int) else "H×W"
            return f"N×{m.in_channels}×{spatial} (first layer {type(m).__name__} with {m.in_channels} input channels)"
        if isinstance(m, nn.Conv1d):
            return f"N×{m.in_channels}×L (first layer Conv1d with {m.in_channels} input channels)"
        if isinstance(m, nn.Conv3d):
            return f"N×{m.in_channels}×D×H×W (first layer Conv3d with {m.in_channels} input channels)"
        if isinstance(m, nn.Linear):
            return f"N×{m.in_features} (first layer Linear with {m.in_features} input features)"
    return None


def run_model(model: nn.Module, x: torch.Tensor, *, argument: str = "x") -> Any:
    """``model(x)``; ``None`` if a hook stopped it early. A ``RuntimeError``, ``ValueError`` or
    ``AssertionError`` (``torch._assert``) from the forward, typically a shape mismatch, becomes a
    ``ValueError`` naming ``argument`` and the expected input shape; :class:`HookError` passes."""
    try:
        return model(x)
    except StopForward:
        return None
    except HookError:
        raise
    except (RuntimeError, ValueError, AssertionError) as err:
        expected = expected_input(model)
        hint = f"; expected {expected}" if expected else ""
        raise ValueError(
            f"{argument}: the model failed on an input of shape {tuple(x.shape)}{hint}. The model said: {err}"
        ) from err
