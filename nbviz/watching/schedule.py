"""When to take a snapshot and how long background views may run: the watcher's cost kept within
``budget`` × the training time, counted on the training thread's own clock.

The ledger. ``trained`` is the time between two ``step()`` calls (the user's loop, the watcher taken
out); ``spent`` is everything the watcher does in the training thread: each whole ``step()`` call
(snapshots, sends, bookkeeping), the first snapshot, taken when the watcher is made, and the after-effect
of its work: a training step right after it runs slower than a typical one (cold caches), and the
difference is the watcher's (:meth:`Schedule.add_step_time`). Background views
(t-SNE map, loss surface) run only in slices the training thread grants and waits out
(:class:`~nbviz.watching.slices.TimeSlicer`), so their whole cost is on that clock too; nothing runs
beside training where it could steal time unmeasured.

Snapshots. Regular snapshots may take a ``share`` (0.7) of the budget, so the interval is the smallest
``k ≥ every`` with ``cost ≤ share · budget · k · step_time``: ``k = max(every, ⌈cost / (share · budget ·
step_time)⌉)`` (``cost``: the average snapshot's, or before one is measured in the loop, the first
snapshot's); a due snapshot also waits until the ledger has room for it (:meth:`Schedule.affords`).

Background. A slice may use what the ledger has left, less the next snapshot's cost (so background work
never delays a snapshot) and less the ``margin``: the longest piece of work a slice can overrun its
deadline by (measured; see :attr:`Schedule.margin`). The ledger aims at ``AIM`` (0.9) of the budget, so at every
step ``spent ≤ 0.9 · budget · trained`` up to a misestimate of one snapshot's cost, and the rest of the
budget absorbs that and what no clock here sees. Times are exponential moving averages, so a slow first
measurement (warm-up) does not fix the interval for good.
"""

from __future__ import annotations

import math

__all__ = ["AIM", "SNAPSHOT_SHARE", "Schedule"]

AIM = 0.9  # of the budget the ledger aims at: the rest absorbs a snapshot dearer than its average and
# what no clock here sees (other threads, the OS), so the measured overhead stays within the budget

SNAPSHOT_SHARE = 0.7  # of the budget, for regular snapshots; the rest pays for the background views

_SMOOTHING = 0.3  # weight of the newest measurement in the moving averages


class Schedule:
    """Which steps get a snapshot, and how long background views may run now.

    Parameters
    ----------
    every : int
        The smallest interval, in optimiser steps (a snapshot at step 0, ``every``, …).
    budget : float, default 0.1
        The largest share of training time the watcher may cost (0.1: at most 10 % overhead).
    adaptive : bool, default True
        Widen the interval and meter background views to keep within ``budget``; ``False`` keeps the
        interval at ``every`` exactly and affords everything.
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
        self.first_cost: float | None = None  # the first snapshot's, paying first-time costs
        self.chunk: float | None = None  # the longest piece of background work between two checks seen
        self.last: int | None = None  # the step of the last snapshot
        self.trained = 0.0  # seconds of training seen so far (watcher excluded)
        self.spent = 0.0  # seconds of watcher work so far, all on the training thread's clock
        self.background = 0.0  # the part of ``spent`` granted to background views
        self.after_effect = 0.0  # the part of ``spent`` that steps right after watcher work took extra
        self._after_work = False  # the next step follows watcher work
        self.stopped = False  # training is over: later work is not overhead of it

    @property
    def interval(self) -> int:
        """Steps between snapshots now."""
        cost = self.expected_cost
        if not self.adaptive or not self.step_time or not cost:
            return self.every
        return max(self.every, math.ceil(cost / (SNAPSHOT_SHARE * self.budget * self.step_time) - 1e-9))

    def due(self, step: int) -> bool:
        """Whether ``step`` gets a snapshot: the first always; later ones once ``interval`` steps have
        passed and the ledger has room for one (:meth:`affords`)."""
        if self.last is None:
            return True
        return step - self.last >= self.interval and self.expected_cost <= self.room

    def taken(self, step: int) -> None:
        """A snapshot was taken at ``step``."""
        self.last = step

    def add_step_time(self, seconds: float) -> None:
        """One training step took ``seconds`` (without the watcher's work in ``step()``).

        A step right after watcher work runs slower (caches and allocator left cold: ~3 ms on a 5 ms
        digits step, measured): what it took beyond a typical step (the average of the steps after no
        work) is the watcher's too, so it is counted as spent, and only the typical time as training.
        The difference is signed, so noise averages out instead of piling up."""
        if self.stopped:
            return
        seconds = float(seconds)
        if self._after_work and self.step_time is not None:
            excess = seconds - self.step_time
            self.spent += excess
            self.after_effect += excess
            self.trained += seconds - excess
        else:
            self.step_time = _mix(self.step_time, seconds)
            self.trained += seconds
        self._after_work = False

    def add_cost(self, seconds: float, typical: bool = True) -> None:
        """A snapshot's work in the training thread took ``seconds``; counted. ``typical=False`` (the
        first snapshot, paying first-time costs) counts it without moving the average cost."""
        if self.stopped:
            return
        if typical:
            self.sync_cost = _mix(self.sync_cost, seconds)
        elif self.first_cost is None:
            self.first_cost = float(seconds)
        self.spent += float(seconds)
        self._after_work = True

    def add_spent(self, seconds: float) -> None:
        """Other watcher work in the training thread (sends, bookkeeping) took ``seconds``; counted."""
        if not self.stopped:
            self.spent += float(seconds)

    def add_background(self, seconds: float) -> None:
        """A background slice took ``seconds`` of the training thread (its whole ``grant``), or, when
        not adaptive, background work beside training took ``seconds``; counted."""
        if not self.stopped:
            self.spent += float(seconds)
            self.background += float(seconds)
            self._after_work = self._after_work or seconds > 0

    def note_chunk(self, seconds: float) -> None:
        """A piece of background work between two checks took ``seconds`` (the margin is the longest)."""
        self.chunk = max(self.chunk or 0.0, float(seconds))

    @property
    def expected_cost(self) -> float:
        """Seconds the next snapshot is expected to take: the average so far, or before any, the first
        snapshot's (with its first-time costs: an overestimate, so the ledger stays safe)."""
        if self.sync_cost is not None:
            return self.sync_cost
        return self.first_cost or 0.0

    @property
    def margin(self) -> float:
        """Seconds a background slice may overrun its deadline by: the longest piece of background work
        seen, or before any, a snapshot's cost (a forward pass of the probe, about what one point of a
        loss surface or a few t-SNE iterations cost)."""
        return self.chunk if self.chunk is not None else self.expected_cost

    def stop(self) -> None:
        """Training is over: nothing measured from now on counts (the views :meth:`WatchExplorer.finish`
        forces run after training and slow nothing down)."""
        self.stopped = True

    @property
    def room(self) -> float:
        """Seconds the watcher may still spend now: ``AIM`` (0.9) × ``budget`` × the training time so far,
        less what it has spent (negative when over; infinite when not adaptive)."""
        return math.inf if not self.adaptive else AIM * self.budget * self.trained - self.spent

    def affords(self, seconds: float) -> bool:
        """Whether work of about ``seconds`` fits the budget now (always, when not adaptive).

        Parameters
        ----------
        seconds : float
            The work's expected cost.
        """
        return seconds <= self.room

    @property
    def slice(self) -> float:
        """Seconds a background slice may take now: the room, less the next snapshot's cost and the
        margin (≤ 0: no slice now; infinite when not adaptive)."""
        return self.room - self.expected_cost - self.margin

    @property
    def overhead(self) -> float:
        """The watcher's work so far as a share of the training time so far (0 before any step)."""
        return self.spent / self.trained if self.trained else 0.0


def _mix(average: float | None, value: float) -> float:
    return float(value) if average is None else (1 - _SMOOTHING) * average + _SMOOTHING * float(value)
