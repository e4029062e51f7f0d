"""The model guard: every nbviz entry point that touches a user's model runs inside it.

On entry it snapshots what nbviz might disturb (train/eval flags, ``requires_grad``, ``.grad``,
buffers, and — for code that writes weights — the parameters themselves). On exit, also after an
exception or ``KeyboardInterrupt``, it removes every hook registered through it and restores the
snapshot bitwise.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

__all__ = ["ModelGuard", "model_guard", "model_device"]

_locks: "weakref.WeakKeyDictionary[nn.Module, threading.RLock]" = weakref.WeakKeyDictionary()
_locks_lock = threading.Lock()


def _model_lock(model: nn.Module) -> threading.RLock:
    """One re-entrant lock per model: nbviz work on a model from two threads (two explorers, or an
    explorer's worker and a notebook cell) runs one block at a time, so neither sees the other's
    hooks, eval mode or frozen parameters, and each restores what the model really was."""
    with _locks_lock:
        lock = _locks.get(model)
        if lock is None:
            lock = _locks[model] = threading.RLock()
        return lock


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (CPU for a model without any)."""
    for tensor in model.parameters():
        return tensor.device
    for tensor in model.buffers():
        return tensor.device
    return torch.device("cpu")


class ModelGuard:
    """Snapshot of a model's mutable state plus the hooks registered while it is guarded."""

    def __init__(self, model: nn.Module, *, writes_parameters: bool = False) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
        self.model = model
        self._handles: list[RemovableHandle] = []
        self._training = [(m, m.training) for m in model.modules()]
        params = list(model.named_parameters(remove_duplicate=True))
        self._requires_grad = [(p, p.requires_grad) for _, p in params]
        self._grads = [(p, p.grad) for _, p in params]
        self._buffers = [(b, b.detach().clone()) for b in model.buffers() if b is not None]
        self._params = [(p, p.detach().clone()) for _, p in params] if writes_parameters else []

    # -- hooks -----------------------------------------------------------------------------
    def forward_hook(self, module: nn.Module, fn: Callable[..., Any], **kwargs: Any) -> RemovableHandle:
        """Register a forward hook that is removed when the guard exits."""
        return self._keep(module.register_forward_hook(fn, **kwargs))

    def forward_pre_hook(self, module: nn.Module, fn: Callable[..., Any], **kwargs: Any) -> RemovableHandle:
        """Register a forward pre-hook that is removed when the guard exits."""
        return self._keep(module.register_forward_pre_hook(fn, **kwargs))

    def backward_hook(self, module: nn.Module, fn: Callable[..., Any]) -> RemovableHandle:
        """Register a full backward hook that is removed when the guard exits."""
        return self._keep(module.register_full_backward_hook(fn))

    def _keep(self, handle: RemovableHandle) -> RemovableHandle:
        self._handles.append(handle)
        return handle

    # -- state -----------------------------------------------------------------------------
    def freeze(self) -> None:
        """Turn off ``requires_grad`` on every parameter (input gradients only; restored on exit)."""
        for p, _ in self._requires_grad:
            p.requires_grad_(False)

    def restore(self) -> None:
        """Remove hooks and put every snapshotted value back."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        with torch.no_grad():
            for p, saved in self._params:
                p.copy_(saved)
            for b, saved in self._buffers:
                b.copy_(saved)
        for p, flag in self._requires_grad:
            p.requires_grad_(flag)
        for p, grad in self._grads:
            p.grad = grad
        for m, flag in self._training:
            m.training = flag


@contextmanager
def model_guard(
    model: nn.Module, *, eval: bool = True, writes_parameters: bool = False, freeze: bool = True
) -> Iterator[ModelGuard]:
    """Run a block of nbviz work on ``model`` and leave it exactly as it was.

    ``eval`` puts every module in eval mode for the block (deterministic BatchNorm/Dropout);
    ``freeze`` turns off parameter gradients (input gradients still flow); ``writes_parameters``
    also snapshots the parameters, for code that changes weights in place.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    with _model_lock(model):
        guard = ModelGuard(model, writes_parameters=writes_parameters)
        try:
            if eval:
                model.eval()
            if freeze:
                guard.freeze()
            yield guard
        finally:
            guard.restore()
