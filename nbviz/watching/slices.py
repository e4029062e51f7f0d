"""Background work that runs only in time slices the training thread grants, and waits out.

A view that runs on a worker thread beside training (a t-SNE map, a loss surface) competes with it for
the interpreter lock and the cores, and the time it steals from training is not on any clock the
training thread can read. :class:`TimeSlicer` takes that away: the worker runs gated work only while the
training thread, from ``watcher.step()``, has handed it a turn with :meth:`TimeSlicer.grant` and sleeps
until the turn comes back. The turn passes back at the worker's first check (:meth:`TimeSlicer.checkpoint`,
called from the work's progress callback) after the slice's deadline, so exactly one of the two threads
runs at a time and the whole cost of background work is the time ``grant`` took on the training thread.

The work is cut into pieces by its progress checks; the longest piece seen (:attr:`TimeSlicer.chunk`)
is how far a slice can overrun its deadline, which the schedule keeps in reserve. When free
(:meth:`TimeSlicer.set_free`: not adaptive, training over, or someone waiting for the views), work runs
without turns; it also runs when the training thread has not called :meth:`TimeSlicer.touch` for
``patience`` seconds (the loop ended without ``finish()``, or paused), so views never wait for good.
"""

from __future__ import annotations

import threading
import time

__all__ = ["TimeSlicer"]

_OUTSIDE, _WAITING, _RUNNING = "outside", "waiting", "running"


class TimeSlicer:
    """Gate between a training thread and one worker thread.

    Parameters
    ----------
    free : bool, default False
        Start free: gated work runs without waiting for turns.
    patience : float, default 1.0
        Seconds without :meth:`touch` after which the worker runs without turns (training paused or
        over); a new :meth:`touch` takes the turn back at the worker's next check.
    """

    def __init__(self, free: bool = False, patience: float = 1.0) -> None:
        if isinstance(patience, bool) or not isinstance(patience, (int, float)) or patience <= 0:
            raise ValueError(f"patience: expected a positive number of seconds, got {patience!r}")
        self.patience = float(patience)
        self.chunk = 0.0  # the longest piece of work between two checks seen while granted (seconds)
        self._cond = threading.Condition()
        self._free = bool(free)
        self._state = _OUTSIDE
        self._granted = False  # the running worker holds a granted turn (not a free or idle one)
        self._deadline = 0.0
        self._since = 0.0  # when the current piece of granted work started
        self._touched = time.perf_counter()

    # -- the training thread -----------------------------------------------------------------------
    @property
    def free(self) -> bool:
        """Whether gated work runs without turns."""
        return self._free

    def set_free(self, free: bool) -> None:
        """Let gated work run without turns (``True``) or only in granted slices again (``False``).

        Parameters
        ----------
        free : bool
            The new mode.
        """
        with self._cond:
            self._free = bool(free)
            self._cond.notify_all()

    def touch(self, now: float | None = None) -> None:
        """The training thread is alive (called at every step): an idle worker pauses at its next check.

        Parameters
        ----------
        now : float or None, default None
            ``time.perf_counter()`` if the caller has it.
        """
        self._touched = time.perf_counter() if now is None else now

    @property
    def pending(self) -> bool:
        """Whether the worker is waiting for a turn."""
        return self._state == _WAITING

    def grant(self, seconds: float) -> float:
        """Give the waiting worker a turn of about ``seconds`` and wait until it hands the turn back
        (at its first check past the deadline, or when its work ends).

        Parameters
        ----------
        seconds : float
            Length of the slice; the worker may overrun it by up to one piece of work (:attr:`chunk`).

        Returns
        -------
        float
            Seconds the training thread spent in the call (0.0 when no worker was waiting).
        """
        start = time.perf_counter()
        with self._cond:
            if self._state != _WAITING or self._free or seconds <= 0:
                return 0.0
            self._deadline = start + float(seconds)
            self._state, self._granted = _RUNNING, True
            self._since = time.perf_counter()
            self._cond.notify_all()
            while self._state == _RUNNING and self._granted:
                self._cond.wait()
        return time.perf_counter() - start

    # -- the worker thread -----------------------------------------------------------------------
    def enter(self) -> None:
        """From the worker, before gated work: wait for a turn (unless free or idle)."""
        with self._cond:
            self._wait_for_turn()

    def checkpoint(self) -> None:
        """From the worker, between two pieces of gated work: go on if the turn lasts, else hand it
        back and wait for the next."""
        with self._cond:
            now = time.perf_counter()
            if self._state == _RUNNING and self._granted:
                self.chunk = max(self.chunk, now - self._since)
                if now < self._deadline:
                    self._since = now
                    return
            elif self._state == _RUNNING and self._runs_unturned(now):
                return
            self._wait_for_turn()

    def leave(self) -> None:
        """From the worker, after gated work (also when it failed): hand the turn back."""
        with self._cond:
            if self._state == _RUNNING and self._granted:
                self.chunk = max(self.chunk, time.perf_counter() - self._since)
            self._state, self._granted = _OUTSIDE, False
            self._cond.notify_all()

    def _runs_unturned(self, now: float) -> bool:
        return self._free or now - self._touched > self.patience

    def _wait_for_turn(self) -> None:
        """With the lock held: hand any turn back, then wait for a granted one, freedom or idleness."""
        self._state, self._granted = _WAITING, False
        self._cond.notify_all()
        while True:
            now = time.perf_counter()
            if self._state == _RUNNING:  # grant() handed a turn over
                return
            if self._runs_unturned(now):
                self._state = _RUNNING
                return
            self._cond.wait(max(1e-3, self.patience - (now - self._touched)))
