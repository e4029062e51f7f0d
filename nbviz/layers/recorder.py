"""Forward hooks that hand chosen module calls to consumers, with call counting and early stop.

One :class:`Recorder` serves many forward passes (batches): hooks are registered once, through the
model guard, and the per-call counters are reset before each pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from .._guard import ModelGuard
from .calls import CallRef
from .forward import StopForward, run_model

__all__ = ["Consumer", "Recorder"]

Consumer = Callable[[Any], None]


class Recorder:
    """Calls ``consumers[ref]`` with the output of each requested module call during :meth:`run`.

    With ``stop_early`` the forward pass is abandoned (via :class:`StopForward`) as soon as every
    requested call has been seen, so later layers never run.
    """

    def __init__(
        self,
        guard: ModelGuard,
        consumers: dict[CallRef, Consumer],
        *,
        stop_early: bool = True,
        argument: str = "layers",
    ) -> None:
        self.model = guard.model
        self.stop_early = stop_early
        self.argument = argument
        self._consumers = consumers
        self._active: set[CallRef] = set()
        self._pending: set[CallRef] = set()
        self._counts: dict[int, int] = {}
        by_module: dict[int, tuple[nn.Module, dict[int, list[CallRef]]]] = {}
        for ref in consumers:
            _, calls = by_module.setdefault(id(ref.module), (ref.module, {}))
            calls.setdefault(ref.call, []).append(ref)
        self._handles = [guard.forward_hook(module, self._hook(id(module), calls)) for module, calls in by_module.values()]

    def _hook(self, key: int, calls: dict[int, list[CallRef]]) -> Callable[..., None]:
        def hook(module: nn.Module, inputs: Any, output: Any) -> None:
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
            refs = calls.get(count)
            if not refs:
                return
            for ref in refs:
                if ref in self._active:
                    self._consumers[ref](output)
                    self._pending.discard(ref)
            if self.stop_early and not self._pending:
                raise StopForward

        return hook

    def run(self, x: torch.Tensor, only: Iterable[CallRef] | None = None, *, argument: str = "x") -> Any:
        """One forward pass (no gradients); returns the model output, or ``None`` if stopped early.

        ``only`` restricts the pass to some of the requested calls. A requested call that never
        happens raises ``ValueError``.
        """
        self._active = set(self._consumers if only is None else only)
        self._pending = set(self._active)
        self._counts = {}
        with torch.no_grad():
            output = run_model(self.model, x, argument=argument)
        if self._pending:
            ref = min(self._pending, key=lambda r: r.key)
            made = self._counts.get(id(ref.module), 0)
            what = "was not called" if made == 0 else f"was called only {made} time(s)"
            raise ValueError(
                f"{self.argument}: {ref.module_name!r} {what} in the forward pass, so {ref.key!r} produced no output"
            )
        return output

    def close(self) -> None:
        """Remove this recorder's hooks now (the guard would remove them on exit anyway)."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
