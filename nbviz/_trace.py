"""``torch.fx`` tracing that leaves other threads alone.

While ``torch.fx`` traces, it patches ``nn.Module.__call__`` and ``nn.Module.__getattr__`` for the
whole process. Traced on an explorer's worker thread, that would route the notebook's own
``model(x)`` calls, made at the same moment, through the tracer: they would fail with "module is
not installed as a submodule" or record into nbviz's graph. :func:`symbolic_trace` is
``torch.fx.symbolic_trace`` with a tracer that lets calls from every other thread pass straight
through to the original methods.
"""

from __future__ import annotations

import threading
from typing import Any

from torch import fx, nn

__all__ = ["symbolic_trace"]


class _ThreadTracer(fx.Tracer):
    """A tracer that records only what the thread running :meth:`trace` calls."""

    _owner: int | None = None

    def trace(self, root: Any, concrete_args: dict[str, Any] | None = None) -> fx.Graph:
        self._owner = threading.get_ident()
        try:
            return super().trace(root, concrete_args)
        finally:
            self._owner = None

    def _foreign(self) -> bool:
        return threading.get_ident() != self._owner

    def call_module(self, m: nn.Module, forward: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self._foreign():
            return forward(*args, **kwargs)
        return super().call_module(m, forward, args, kwargs)

    def getattr(self, attr: str, attr_val: Any, parameter_proxy_cache: dict[str, Any]) -> Any:
        if self._foreign():
            return attr_val
        return super().getattr(attr, attr_val, parameter_proxy_cache)


def symbolic_trace(root: nn.Module) -> fx.GraphModule:
    """``torch.fx.symbolic_trace(root)``, safe while other threads run modules."""
    tracer = _ThreadTracer()
    graph = tracer.trace(root)
    return fx.GraphModule(tracer.root, graph, type(root).__name__)
