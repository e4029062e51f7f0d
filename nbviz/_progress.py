"""Progress reporting and cooperative cancellation shared by every compute function.

A compute function takes ``progress: Progress | None``: a callable ``(fraction, message)`` that
returns ``False`` to ask the work to stop. :func:`report` turns that answer into :class:`Cancelled`.
Public entry points are decorated with :func:`with_progress_bar`: called without a callback they show
a ``tqdm.auto`` bar when they take longer than a second, and ``progress=False`` silences it.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["AUTO_DELAY", "Cancelled", "Progress", "report", "with_progress_bar"]

Progress = Callable[[float, str], "bool | None"]
F = TypeVar("F", bound=Callable[..., Any])


class Cancelled(Exception):
    """Raised inside compute when its progress callback asked it to stop."""


def report(progress: Progress | None, fraction: float, message: str = "") -> None:
    """Tell ``progress`` how far the work is; raise :class:`Cancelled` if it answers ``False``."""
    if progress is None:
        return
    if progress(min(max(float(fraction), 0.0), 1.0), message) is False:
        raise Cancelled(message or "cancelled")


#: seconds a call runs before its automatic progress bar appears (quick calls print nothing)
AUTO_DELAY = 1.0


class _AutoBar:
    """A progress callback that shows a ``tqdm.auto`` bar once the work has run for :data:`AUTO_DELAY`
    seconds (a notebook widget in Jupyter, text in a terminal); closed by :meth:`close`."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._start = time.monotonic()
        self._bar: Any = None

    def __call__(self, fraction: float, message: str) -> None:
        if self._bar is None:
            if time.monotonic() - self._start < AUTO_DELAY:
                return
            from tqdm.auto import tqdm

            self._bar = tqdm(total=1000, desc=self.label, bar_format="{l_bar}{bar}| {elapsed}<{remaining}", leave=False)
        self._bar.n = int(round(1000 * fraction))
        if message:
            self._bar.set_postfix_str(message[:60], refresh=False)
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def with_progress_bar(label: str) -> Callable[[F], F]:
    """Decorate a compute entry point whose ``progress`` keyword defaults to ``None``: called without
    one (in the thread of a notebook cell or a script), it shows a ``tqdm.auto`` bar if it runs longer
    than :data:`AUTO_DELAY`; ``progress=False`` shows none; a callback works as before. Calls made
    inside another entry point's work (nested) get no bar of their own."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            progress = kwargs.get("progress")
            if progress is False:
                kwargs["progress"] = None
                return fn(*args, **kwargs)
            nested = getattr(_state, "busy", False)
            if progress is not None or nested or threading.current_thread() is not threading.main_thread():
                return fn(*args, **kwargs)
            bar = _AutoBar(label)
            kwargs["progress"] = bar
            _state.busy = True
            try:
                return fn(*args, **kwargs)
            finally:
                _state.busy = False
                bar.close()

        return call  # type: ignore[return-value]

    return decorate


_state = threading.local()
