"""Of interchangeable implementations of one computation, the one measured fastest on the real calls.

Which algorithm is fastest depends on the machine, the shapes and the load (a Winograd convolution ran
in 0.44× the direct one's time at 512 channels 7×7 and 0.75× at 256 channels 14×14 on the 2-core Xeon;
on another CPU, at other shapes, or with few channels it can lose), so :class:`FastestOf` measures: the
first calls go to each candidate in turn, each timed with :func:`~nbviz._batch_size.trial_clock` per
item, and from then on the candidate with the lowest time per item (its fastest timing) runs. Every
trial is a real call whose result is used, so measuring wastes only the difference between a slower
candidate and the fastest on its trials. With ``recheck=k`` every ``k``-th call after that re-times a
candidate not chosen (in turn), so a burst of load during one trial cannot settle the choice for good.

Times are compared per item, which is fair only where the fixed cost of a call is small against its
items: calls with fewer than ``min_items`` items run the first candidate untimed (a one-window probe
would otherwise time it at its worst). A candidate with a ``prepare()`` method (a kernel transform, say)
is prepared untimed before its first trial, so a one-time cost does not count against it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from nbviz._batch_size import trial_clock

__all__ = ["FastestOf"]

Out = TypeVar("Out")


class FastestOf(Generic[Out]):
    """Call whichever of ``candidates`` has been measured fastest per item.

    Parameters
    ----------
    candidates : sequence of callables
        Interchangeable implementations: same arguments, equal results (up to float rounding).
    items : callable
        How many items one call's arguments hold (time is compared per item).
    recheck : int, default 8
        After the trials, every ``recheck``-th call times a candidate not chosen instead; 0 never does.
    min_items : int, default 1
        Calls with fewer items run the first candidate, untimed.
    """

    def __init__(
        self, candidates: Sequence[Callable[..., Out]], items: Callable[..., int], *, recheck: int = 8, min_items: int = 1,
    ) -> None:
        if not candidates:
            raise ValueError("candidates: expected at least one implementation, got none")
        if recheck < 0:
            raise ValueError(f"recheck: expected a count ≥ 0, got {recheck}")
        if min_items < 1:
            raise ValueError(f"min_items: expected a count ≥ 1, got {min_items}")
        self.candidates = list(candidates)
        self.items = items
        self.recheck = recheck
        self.min_items = min_items
        self._prepared: set[int] = set()
        self.per_item = [math.inf] * len(self.candidates)  # fastest timing per item so far
        self._calls = 0
        self._rechecked = 0

    @property
    def chosen(self) -> int | None:
        """Index of the candidate that runs now, ``None`` while some candidate is still untimed."""
        if math.inf in self.per_item:
            return None
        return min(range(len(self.candidates)), key=self.per_item.__getitem__)

    def _next(self) -> int:
        best = self.chosen
        if best is None:
            return self.per_item.index(math.inf)
        others = [i for i in range(len(self.candidates)) if i != best]
        self._calls += 1
        if self.recheck and others and self._calls % self.recheck == 0:
            self._rechecked += 1
            return others[self._rechecked % len(others)]
        return best

    def __call__(self, *args: object) -> Out:
        """The result of one candidate on ``args``, timed (unless they hold fewer than ``min_items`` items)."""
        items = self.items(*args)
        if items < self.min_items:
            return self.candidates[0](*args)
        index = self._next()
        candidate = self.candidates[index]
        if index not in self._prepared:
            getattr(candidate, "prepare", lambda: None)()
            self._prepared.add(index)
        start = trial_clock()
        out = candidate(*args)
        seconds = trial_clock() - start
        self.per_item[index] = min(self.per_item[index], seconds / max(1, items))
        return out
