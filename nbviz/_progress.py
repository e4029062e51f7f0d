"""Progress reporting and cooperative cancellation shared by every compute function.

A compute function takes ``progress: Progress | None``: a callable ``(fraction, message)`` that
returns ``False`` to ask the work to stop. :func:`report` turns that answer into :class:`Cancelled`.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Cancelled", "Progress", "report"]

Progress = Callable[[float, str], "bool | None"]


class Cancelled(Exception):
    """Raised inside compute when its progress callback asked it to stop."""


def report(progress: Progress | None, fraction: float, message: str = "") -> None:
    """Tell ``progress`` how far the work is; raise :class:`Cancelled` if it answers ``False``."""
    if progress is None:
        return
    if progress(min(max(float(fraction), 0.0), 1.0), message) is False:
        raise Cancelled(message or "cancelled")
