"""Stopping a t-SNE run between its frames: a newer request stops it within one iteration.

openTSNE calls back only every ``snapshot_every`` iterations, so a run asked to stop used to go on
until its next frame: ten FFT iterations on 10,000 points, ~0.85 s of CPU, before a perplexity change
could start. The gradient is evaluated once per iteration, so the objective asks first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._progress import Cancelled, Progress

__all__ = ["Asker", "cancellable"]


class Asker:
    """``progress``, remembering what it was last told, so it can be asked again without moving the bar."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.last: tuple[float, str] = (0.0, "")

    def __call__(self, fraction: float, message: str) -> bool | None:
        self.last = (fraction, message)
        return self.progress(fraction, message)

    def still_wanted(self) -> bool:
        """Whether the work should go on (``progress`` did not answer ``False``)."""
        return self.progress(*self.last) is not False


def cancellable(gradient: Callable[..., Any], asker: Asker) -> Callable[..., Any]:
    """openTSNE objective ``gradient`` (a ``negative_gradient_method`` callable) that first asks ``asker``.

    Raises :class:`~nbviz._progress.Cancelled` before an iteration's gradient when the work is no
    longer wanted; ``gradient``'s own result is returned unchanged otherwise.
    """

    def evaluate(*args: Any, **kwargs: Any) -> Any:
        if not asker.still_wanted():
            raise Cancelled("a newer request arrived")
        return gradient(*args, **kwargs)

    return evaluate
