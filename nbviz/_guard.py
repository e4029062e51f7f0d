"""The model guard: every nbviz entry point that touches a user's model runs inside it.

The user's model is theirs, also while an explorer works on a worker thread and the notebook keeps
training, evaluating and hooking the same model. So nbviz never changes it: a guarded block works on
the model's *shadow* (:mod:`nbviz._shadow`), its own module objects over the user's weights, and gets
it as ``guard.model``. nbviz's hooks, eval mode and frozen ``requires_grad`` flags live on the shadow
and are invisible to the user's modules; weights are perturbed functionally
(``torch.func.functional_call`` on the shadow) or, with ``writes_parameters``, on the shadow's own
copies. Input gradients flow (the shadow's parameters are frozen), parameter ``.grad`` never changes.
A cell that runs ``model(x)``, ``model.train()``, an optimiser step or registers a hook at any moment
during nbviz's work sees exactly the model it would see without nbviz, and nothing it does is undone.

Hooks registered through the guard may name the user's modules or the shadow's; either way they go
on the shadow and are removed when the block ends. Blocks on one model take turns (one lock per
model), so two explorers over one model never share the shadow at the same time; a nested block on
the same model in the same thread reuses the outer block's shadow.

TorchScript modules cannot be shadowed; for them the guard falls back to snapshot and restore on the
model itself (the notebook then sees nbviz's modes while a block runs).
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

from ._shadow import Shadow, shadow_of

__all__ = ["ModelGuard", "model_guard", "model_device"]

_locks: weakref.WeakKeyDictionary[nn.Module, threading.RLock] = weakref.WeakKeyDictionary()
_locks_lock = threading.Lock()
_depth = threading.local()  # per thread: id(model) -> how many guarded blocks are open on it


def _model_lock(model: nn.Module) -> threading.RLock:
    """One re-entrant lock per model: guarded blocks on one model (two explorers, or an explorer's
    worker and a notebook cell calling nbviz) run one at a time, each on the one shadow."""
    with _locks_lock:
        lock = _locks.get(model)
        if lock is None:
            lock = _locks[model] = threading.RLock()
        return lock


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (CPU for a model without any)."""
    for tensor in model.parameters():
        return tensor.device
    for buffer in model.buffers():
        return buffer.device
    return torch.device("cpu")


class ModelGuard:
    """One guarded block on a model: ``model`` is what the block works on (the shadow), ``user_model``
    the user's; hooks registered through the guard are removed when the block ends."""

    def __init__(self, user_model: nn.Module, model: nn.Module, shadows: tuple[Shadow, ...] = ()) -> None:
        self.user_model = user_model
        self.model = model
        self._shadows = shadows  # applied in turn: user module -> shadow (-> a nested block's own copy)
        self._handles: list[RemovableHandle] = []

    # -- hooks -----------------------------------------------------------------------------
    def module(self, module: nn.Module) -> nn.Module:
        """The module this block runs for ``module`` (its shadow when ``module`` is the user's)."""
        for shadow in self._shadows:
            module = shadow.resolve(module)
        return module

    def forward_hook(self, module: nn.Module, fn: Callable[..., Any], **kwargs: Any) -> RemovableHandle:
        """Register a forward hook that is removed when the guard exits."""
        return self._keep(self.module(module).register_forward_hook(fn, **kwargs))

    def forward_pre_hook(self, module: nn.Module, fn: Callable[..., Any], **kwargs: Any) -> RemovableHandle:
        """Register a forward pre-hook that is removed when the guard exits."""
        return self._keep(self.module(module).register_forward_pre_hook(fn, **kwargs))

    def backward_hook(self, module: nn.Module, fn: Callable[..., Any]) -> RemovableHandle:
        """Register a full backward hook that is removed when the guard exits."""
        return self._keep(self.module(module).register_full_backward_hook(fn))

    def _keep(self, handle: RemovableHandle) -> RemovableHandle:
        self._handles.append(handle)
        return handle

    # -- state -----------------------------------------------------------------------------
    def freeze(self) -> None:
        """Turn off ``requires_grad`` on every parameter the block sees (input gradients only)."""
        for p in self.model.parameters():
            p.requires_grad_(False)

    def release(self) -> None:
        """Remove the hooks registered through this guard."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


class _Snapshot:
    """Fallback for models that cannot be shadowed (TorchScript): what a block may disturb on the
    model itself, put back bitwise when it ends."""

    def __init__(self, model: nn.Module, *, writes_parameters: bool) -> None:
        params = list(model.named_parameters(remove_duplicate=True))
        self._training = [(m, m.training) for m in model.modules()]
        self._requires_grad = [(p, p.requires_grad) for _, p in params]
        self._grads = [(p, p.grad) for _, p in params]
        self._buffers = [(b, b.detach().clone()) for b in model.buffers() if b is not None]
        self._params = [(p, p.detach().clone()) for _, p in params] if writes_parameters else []

    def restore(self) -> None:
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
    """Run a block of nbviz work on ``model`` without ever changing it; work on ``guard.model``.

    A context manager: ``with model_guard(model) as guard: guard.model(x)``. ``guard.model`` is a shadow
    of ``model`` (its own module objects over the same weight storage), so modes, ``requires_grad`` flags
    and hooks set on it never reach the user's model.

    Parameters
    ----------
    model : torch.nn.Module
        The user's model; it is left exactly as it was.
    eval : bool, default True
        Put every module of the shadow in eval mode (deterministic BatchNorm and Dropout).
        ``eval=False`` (BatchNorm updating its statistics) implies ``writes_parameters``.
    writes_parameters : bool, default False
        Give the shadow its own copies of the weights and buffers, for code that changes weights in place
        (one copy of the weights for the block; functional perturbation needs none).
    freeze : bool, default True
        Turn off the shadow's parameter gradients (input gradients still flow).

    Yields
    ------
    ModelGuard
        The guard; run ``guard.model``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    depths: dict[int, int] = _depth.__dict__.setdefault("open", {})
    with _model_lock(model):
        nested = depths.get(id(model), 0) > 0
        depths[id(model)] = depths.get(id(model), 0) + 1
        try:
            with _block(model, nested=nested, writes_parameters=writes_parameters or not eval) as guard:
                if eval:
                    guard.model.eval()
                if freeze:
                    guard.freeze()
                try:
                    yield guard
                finally:
                    guard.release()
        finally:
            depths[id(model)] -= 1
            if not depths[id(model)]:
                del depths[id(model)]


@contextmanager
def _block(model: nn.Module, *, nested: bool, writes_parameters: bool) -> Iterator[ModelGuard]:
    """The guard of one block: on the model's shadow, synced from the user's model (a nested block
    reuses the open one, or takes its own copy of it when it writes weights), or, for a model that
    cannot be shadowed, on the model itself with a snapshot restored afterwards."""
    if isinstance(model, torch.jit.ScriptModule):
        snapshot = _Snapshot(model, writes_parameters=writes_parameters)
        try:
            yield ModelGuard(model, model)
        finally:
            snapshot.restore()
        return
    shadow = shadow_of(model)
    if not nested:
        yield ModelGuard(model, shadow.sync(copy_parameters=writes_parameters), (shadow,))
    elif not writes_parameters:
        yield ModelGuard(model, shadow.root, (shadow,))
    else:
        copy = Shadow(shadow.root)
        yield ModelGuard(model, copy.sync(copy_parameters=True), (shadow, copy))
