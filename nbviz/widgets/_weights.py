"""Noticing that the user's weights changed under an explorer's view.

An explorer shows results computed from the model's weights as they were at some moment. The
notebook may train the model meanwhile (the explorer never stops it: the model is the user's). Rather
than silently mixing views of old and new weights, the explorer says so and offers a refresh.

A :class:`WeightsWatch` remembers the :func:`~nbviz._shadow.weights_signature` (identity, storage
and version counter of every parameter) that the explorer's shown results were computed from. The
explorer compares it

- when a request's work ends: the weights changed *while* it computed;
- after every optimiser step in the process, through torch's global step post-hook (installed once,
  holding explorers weakly): the usual way a notebook changes weights;
- when a new request starts: any other in-place edit.

Comparing costs a few microseconds per parameter; an explorer already marked stale is skipped.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_post_hook

from .._shadow import weights_signature

__all__ = ["WeightsWatch", "watch_weights", "STALE_MESSAGE", "CHANGED_WHILE_COMPUTING"]

STALE_MESSAGE = "The model's weights changed since this view was computed (is a cell training it?)."
CHANGED_WHILE_COMPUTING = "The model's weights changed while this view was computed (is a cell training it?)."


class WeightsWatch:
    """The weights an explorer's results stand for, compared with the model's weights now."""

    def __init__(self, model: nn.Module, on_change: Callable[[], None]) -> None:
        self._model = weakref.ref(model)
        self._seen: tuple[Any, ...] | None = weights_signature(model)
        # held weakly when a bound method: the watch must not keep its explorer alive
        self._on_change = weakref.WeakMethod(on_change) if hasattr(on_change, "__self__") else (lambda: on_change)

    def signature(self) -> tuple[Any, ...] | None:
        """The model's weights signature now (``None`` once the model is gone)."""
        model = self._model()
        return None if model is None else weights_signature(model)

    def changed(self) -> bool:
        """Whether the weights differ from those the shown results were computed from."""
        now = self.signature()
        return now is not None and now != self._seen

    def seen(self, signature: tuple[Any, ...] | None = None) -> None:
        """Results for ``signature`` (default: the weights now) are what the explorer shows."""
        self._seen = self.signature() if signature is None else signature

    def check(self) -> None:
        """Call ``on_change`` if the weights changed."""
        callback = self._on_change()
        if callback is not None and self.changed():
            callback()


_watches: weakref.WeakSet[WeightsWatch] = weakref.WeakSet()
_hook_lock = threading.Lock()
_hook: Any = None


def _after_optimizer_step(optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
    for watch in list(_watches):
        watch.check()


def watch_weights(model: nn.Module, on_change: Callable[[], None]) -> WeightsWatch:
    """A :class:`WeightsWatch` of ``model`` that is also checked after every optimiser step."""
    global _hook
    watch = WeightsWatch(model, on_change)
    with _hook_lock:
        if _hook is None:
            _hook = register_optimizer_step_post_hook(_after_optimizer_step)
        _watches.add(watch)
    return watch
