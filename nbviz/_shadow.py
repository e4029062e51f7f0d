"""A shadow of a user's model: nbviz's own module objects over the user's weights.

nbviz hooks, switches to eval mode, freezes and perturbs a model while it works, often on a worker
thread while the notebook keeps using the same model. It does all of that on a *shadow*: for every
module of the user's model one module object of the same class whose ``__dict__`` is a copy of the
user module's, with

- its own ``_modules`` (the children's shadows), hook dictionaries and other containers, and its own
  ``training`` flag, so nbviz's hooks and modes are invisible to the user's modules;
- none of the user's own forward/backward hooks, except torch's weight-defining ones (pruning masks,
  ``weight_norm``, ``spectral_norm``): a hook a notebook registers to record activations must not see
  nbviz's background forwards. (A hook that *changes* outputs is therefore not part of what nbviz
  shows; express such edits in the modules, or with ``torch.nn.utils.parametrize``, which is kept.)
- its own :class:`~torch.nn.Parameter` objects over the user's parameter storage (no copy), with
  their own ``requires_grad``, ``.grad`` and version counter;
- the user's buffers themselves (read, never written: nbviz runs in eval mode, where BatchNorm reads
  its running statistics and leaves them alone).

With ``copy_parameters`` the shadow's parameters and buffers are clones instead, for work that writes
weights in place or runs in train mode.

The shadow *root* is of a subclass of the user's root class whose ``forward`` returns the tensor nbviz
explains (the ``logits`` of a dict or ``ModelOutput``, the first tensor of a tuple; see
:mod:`nbviz.interface`), so every entry point works on models that do not return a plain tensor.

A model's shadow is kept (weakly keyed by the user's model) and re-synchronised from the user's
modules at the start of every guarded block, so it follows the user's changes (new layers, new
hooks, re-assigned weights) while each shadow module keeps its identity from one call to the next:
probes and layer lists cached over a model stay valid. Weights are shared, so a shadow adds a few
hundred bytes per module, not a copy of the weights.
"""

from __future__ import annotations

import functools
import importlib
import threading
import types
import weakref
from collections import OrderedDict
from typing import Any

import torch
from torch import nn

__all__ = ["Shadow", "shadow_counterpart", "shadow_of", "weights_signature"]

# the hook dictionaries of nn.Module; ids in the *_with_kwargs / *_always_called ones refer to the first two
_HOOKS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
_HOOK_FLAGS = ("_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_forward_pre_hooks_with_kwargs")

_CONTAINERS: dict[type, type] = {dict: dict, OrderedDict: OrderedDict, set: set, list: list}  # type -> its shallow copy


class Shadow:
    """The shadow tree of one user model, and the map from each user module to its shadow."""

    def __init__(self, model: nn.Module) -> None:
        self._model = weakref.ref(model)
        self._by_id: dict[int, nn.Module] = {}

    @property
    def root(self) -> nn.Module:
        return self._by_id[id(self._user())]

    def _user(self) -> nn.Module:
        model = self._model()
        if model is None:  # pragma: no cover - the caller holds the model
            raise ReferenceError("the model of this shadow is gone")
        return model

    def sync(self, *, copy_parameters: bool = False) -> nn.Module:
        """Rebuild the shadow from the user's model as it is now; returns the shadow root."""
        previous, self._by_id = self._by_id, {}
        user = self._user()
        pairs: list[tuple[nn.Module, nn.Module]] = []
        shared: dict[int, nn.Parameter] = {}  # tied weights stay tied

        def visit(module: nn.Module, cls: type | None = None) -> nn.Module:
            found = self._by_id.get(id(module))
            if found is not None:
                return found
            cls = type(module) if cls is None else cls
            shadow = previous.get(id(module))
            if shadow is None or type(shadow) is not cls:
                shadow = object.__new__(cls)
            self._by_id[id(module)] = shadow
            pairs.append((module, shadow))
            state = {k: _CONTAINERS[type(v)](v) if type(v) in _CONTAINERS else v for k, v in module.__dict__.items()}
            state["_parameters"] = {
                k: None if p is None else _parameter(p, shared, copy_parameters) for k, p in module._parameters.items()
            }
            state["_buffers"] = {
                k: None if b is None else b.detach().clone() for k, b in module._buffers.items()
            } if copy_parameters else dict(module._buffers)
            state["_modules"] = {k: None if c is None else visit(c) for k, c in module._modules.items()}
            _keep_weight_hooks(state)
            shadow.__dict__.clear()
            shadow.__dict__.update(state)
            return shadow

        root = visit(user, _picking_class(type(user)))
        for module, shadow in pairs:
            _rebind_methods(module, shadow, self._by_id)
        return root

    def is_root(self, module: nn.Module) -> bool:
        """Whether ``module`` is this shadow's root (the model a guarded block works on)."""
        model = self._model()
        return model is not None and self._by_id.get(id(model)) is module

    def resolve(self, module: nn.Module) -> nn.Module:
        """The shadow of a user module (a shadow module, or any other module, is returned as is)."""
        return self._by_id.get(id(module), module)


def _parameter(p: torch.Tensor, shared: dict[int, nn.Parameter], copy_parameters: bool) -> nn.Parameter:
    found = shared.get(id(p))
    if found is None:
        # ``.data``: the user's storage under a version counter of its own, so an optimiser step in the
        # notebook during nbviz's backward pass is not an autograd error in the worker (the explorer
        # notices the change through weights_signature and says so)
        data = p.detach().clone() if copy_parameters else p.data
        found = shared[id(p)] = nn.Parameter(data, requires_grad=p.requires_grad)
    return found


_picking_classes: dict[type[nn.Module], type[nn.Module]] = {}


def _picking_class(cls: type[nn.Module]) -> type[nn.Module]:
    """A subclass of the user's root class whose forward returns the tensor nbviz explains
    (:func:`nbviz.interface.pick_output`: the ``logits`` of a dict or ``ModelOutput``, the first tensor of
    a tuple). A class, not an instance attribute: no shadow refers to itself (it is freed by reference
    counting with its model), deep copies (randomisation checks) keep it, and ``torch.fx`` traces it."""
    if getattr(cls, "_nbviz_picks_output", False):  # a shadow of a shadow
        return cls
    found = _picking_classes.get(cls)
    if found is None:

        @functools.wraps(cls.forward)  # the model's own signature, which torch.fx traces with
        def forward(self: nn.Module, *args: Any, **kwargs: Any) -> Any:
            from .interface import pick_output

            return pick_output(cls.forward(self, *args, **kwargs))

        namespace = {"forward": forward, "_nbviz_picks_output": True, "__module__": cls.__module__,
                     "__qualname__": cls.__qualname__, "__doc__": cls.__doc__}
        found = _picking_classes[cls] = type(cls.__name__, (cls,), namespace)
    return found


def _defines_weights(hook: object) -> bool:
    """Whether a hook is one of torch's own that computes a module's weight before each forward."""
    return isinstance(hook, _weight_hook_types())


@functools.lru_cache(maxsize=1)
def _weight_hook_types() -> tuple[type, ...]:
    # the modules, not the same-named functions torch.nn.utils exports
    names = {"prune": "BasePruningMethod", "spectral_norm": "SpectralNorm", "weight_norm": "WeightNorm"}
    return tuple(getattr(importlib.import_module(f"torch.nn.utils.{m}"), cls) for m, cls in names.items())


def _keep_weight_hooks(state: dict[str, Any]) -> None:
    """Drop the user's hooks from a shadow module's state, keeping torch's weight-defining ones."""
    kept: set[int] = set()
    for name in _HOOKS:
        if name in state:
            state[name] = OrderedDict((k, h) for k, h in state[name].items() if _defines_weights(h))
            kept.update(state[name])
    for name in _HOOK_FLAGS:
        if name in state:
            state[name] = OrderedDict((k, v) for k, v in state[name].items() if k in kept)


def _rebind_methods(module: nn.Module, shadow: nn.Module, by_id: dict[int, nn.Module]) -> None:
    """Instance attributes that call into the user's modules call into their shadows instead.

    Bound methods of user modules stored on a module (``self.forward = self.inner.__call__``) are
    rebound to the shadows. ``torch.compile``'s wrapper keeps a compiled ``forward`` over the user's
    original module; its shadow calls the original's shadow, uncompiled, so nbviz's hooks fire."""
    for name, value in list(shadow.__dict__.items()):
        if isinstance(value, types.MethodType) and isinstance(value.__self__, nn.Module) and id(value.__self__) in by_id:
            shadow.__dict__[name] = types.MethodType(value.__func__, by_id[id(value.__self__)])
    inner = module._modules.get("_orig_mod")
    if type(module).__name__ == "OptimizedModule" and inner is not None:
        shadow.__dict__["forward"] = by_id[id(inner)]


_shadows: weakref.WeakKeyDictionary[nn.Module, Shadow] = weakref.WeakKeyDictionary()
_shadows_lock = threading.Lock()


def shadow_of(model: nn.Module) -> Shadow:
    """The (kept) :class:`Shadow` of ``model``; call :meth:`Shadow.sync` before using it."""
    with _shadows_lock:
        shadow = _shadows.get(model)
        if shadow is None:
            shadow = _shadows[model] = Shadow(model)
        return shadow


def shadow_counterpart(model: nn.Module, module: nn.Module) -> nn.Module:
    """``module``'s shadow when ``model`` is a shadow root and ``module`` a module of the user's model
    (a layer the user named, looked up inside a guarded block); otherwise ``module`` itself."""
    with _shadows_lock:
        shadows = list(_shadows.values())
    for shadow in shadows:
        if shadow.is_root(model):
            return shadow.resolve(module)
    return module


def weights_signature(model: nn.Module) -> tuple[Any, ...]:
    """Changes whenever the model's weights do: in-place updates (an optimiser step bumps each
    tensor's version counter), re-assigned parameters or ``.data``, added or removed parameters."""
    return tuple((name, id(p), p.data_ptr(), p._version) for name, p in model.named_parameters())
