"""When to take a snapshot: every ``every`` steps, widened so snapshots cost at most ``budget`` of training.

The watcher measures how long one training step takes (the time between two ``step()`` calls, the
watcher's own work taken out) and how long a snapshot's work in the training thread takes. Regular
snapshots may take a ``share`` (0.7) of the budget, so the interval is the smallest ``k ≥ every`` with
``cost ≤ share · budget · k · step_time``: ``k = max(every, ⌈cost / (share · budget · step_time)⌉)``.
The slower views a snapshot can start on the worker thread (t-SNE map, loss surface) compete with
training for the same cores; they run only when everything the watcher has spent so far, plus their
expected cost, fits ``budget`` × the training time so far (:meth:`Schedule.affords`), so cheap panels
follow training closely and expensive ones as often as the budget allows. Times are exponential moving
averages, so a slow first measurement (warm-up) does not fix the interval for good.
"""

from __future__ import annotations

import math

__all__ = ["SNAPSHOT_SHARE", "Schedule"]

SNAPSHOT_SHARE = 0.7  # of the budget, for regular snapshots; the rest pays for the background views

_SMOOTHING = 0.3  # weight of the newest measurement in the moving averages


class Schedule:
    """Which steps get a snapshot.

    Parameters
    ----------
    every : int
        The smallest interval, in optimiser steps (a snapshot at step 0, ``every``, …).
    budget : float, default 0.1
        The largest share of training time snapshots may cost (0.1: at most 10 % overhead).
    adaptive : bool, default True
        Widen the interval to keep within ``budget``; ``False`` keeps it at ``every`` exactly.
    """

    def __init__(self, every: int, budget: float = 0.1, adaptive: bool = True) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every: expected a positive number of steps, got {every!r}")
        if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not 0 < budget <= 1:
            raise ValueError(f"budget: expected a share of training time in (0, 1], got {budget!r}")
        self.every = every
        self.budget = float(budget)
        self.adaptive = bool(adaptive)
        self.step_time: float | None = None  # seconds per training step, watcher excluded
        self.sync_cost: float | None = None  # seconds of a snapshot's work in the training thread
        self.background_cost: float | None = None  # seconds of the background work one snapshot starts
        self.last: int | None = None  # the step of the last snapshot
        self.trained = 0.0  # seconds of training seen so far (watcher excluded)
        self.spent = 0.0  # seconds of watcher work so far (training-thread and background)
        self.stopped = False  # training is over: later work is not overhead of it

    @property
    def interval(self) -> int:
        """Steps between snapshots now."""
        cost = self.sync_cost
        if not self.adaptive or not self.step_time or cost is None:
            return self.every
        return max(self.every, math.ceil(cost / (SNAPSHOT_SHARE * self.budget * self.step_time) - 1e-9))

    def due(self, step: int) -> bool:
        """Whether ``step`` gets a snapshot (the first step always does)."""
        return self.last is None or step - self.last >= self.interval

    def taken(self, step: int) -> None:
        """A snapshot was taken at ``step``."""
        self.last = step

    def add_step_time(self, seconds: float) -> None:
        """One training step took ``seconds`` (without the watcher's work)."""
        if self.stopped:
            return
        self.step_time = _mix(self.step_time, seconds)
        self.trained += float(seconds)

    def add_cost(self, seconds: float) -> None:
        """A snapshot's work in the training thread took ``seconds``."""
        if self.stopped:
            return
        self.sync_cost = _mix(self.sync_cost, seconds)
        self.spent += float(seconds)

    def expect_background(self, seconds: float) -> None:
        """Before training: a background view is expected to take about ``seconds`` (priced from a map
        made while the watcher was set up; an estimate, not overhead)."""
        if self.background_cost is None:
            self.background_cost = float(seconds)

    def add_background(self, seconds: float) -> None:
        """A background view (a t-SNE map) took ``seconds``; it competes with training for the same cores,
        so it counts as overhead too, and its average is what :meth:`affords` is asked about next time."""
        if self.stopped:
            return
        self.background_cost = _mix(self.background_cost, seconds)
        self.spent += float(seconds)

    def add_occasional(self, seconds: float) -> None:
        """Occasional background work (the loss surface) took ``seconds``: paid from what the budget has
        left over (see :meth:`affords`), not part of every snapshot's cost."""
        if self.stopped:
            return
        self.spent += float(seconds)

    def stop(self) -> None:
        """Training is over: nothing measured from now on counts (the views :meth:`WatchExplorer.finish`
        forces run after training and slow nothing down)."""
        self.stopped = True

    def affords(self, seconds: float) -> bool:
        """Whether occasional work of about ``seconds`` fits the budget now: everything the watcher has
        spent, plus it, at most ``budget`` × the training time so far (always, when not adaptive)."""
        return not self.adaptive or self.spent + seconds <= self.budget * self.trained

    @property
    def overhead(self) -> float:
        """The watcher's work so far as a share of the training time so far (0 before any step)."""
        return self.spent / self.trained if self.trained else 0.0


def _mix(average: float | None, value: float) -> float:
    return float(value) if average is None else (1 - _SMOOTHING) * average + _SMOOTHING * float(value)
