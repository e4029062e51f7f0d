"""A worker thread that runs explorer requests off the kernel's message path.

Each request has a key (e.g. ``"grid"``) and gets a generation number. A newer request with the same
key supersedes the older one: if the older one is still queued it is dropped, and if it is running
its progress callback answers ``False`` so compute stops at its next check (``Cancelled``). Only the
newest generation's result is delivered.

Work runs in a copy of the submitting thread's context (``contextvars``). In a kernel that is the
request that caused it (a cell or a front-end message), so the widget updates it sends are
attributed to that request. ipykernel ≥ 7 routes a comm's later front-end messages to the subshell
of the request its last update was attributed to; from a bare thread that would be whatever
message the kernel saw last, possibly one for a subshell JupyterLab has since deleted, after
which every message from the widget is dropped ("Unknown subshell_id").

Lifetimes: a runner never keeps its explorer alive. Callbacks that are bound methods are held weakly,
and the worker thread drops each task (whose closures hold the explorer and its model) as soon as it
ends, so an idle worker references nothing of the explorer's. :meth:`TaskRunner.close` cancels the
work and lets the thread end. At interpreter exit every runner still open is closed and its thread
joined for a short while (:func:`shutdown`): a daemon thread still inside torch when the interpreter
tears down aborts the process ("terminate called without an active exception", exit code 134).
"""

from __future__ import annotations

import atexit
import contextvars
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._progress import Cancelled

__all__ = ["TaskRunner", "shutdown"]

log = logging.getLogger("nbviz")

Work = Callable[[Callable[[float, str], bool]], Any]

#: Seconds :func:`shutdown` waits in all for running work to reach its next progress check at exit.
EXIT_TIMEOUT = 5.0

_open_runners: weakref.WeakSet[TaskRunner] = weakref.WeakSet()


def _weak(callback: Callable[..., None] | None) -> Callable[..., None] | None:
    """``callback``, held weakly if it is a bound method (a no-op once its object is gone)."""
    if callback is None or not hasattr(callback, "__self__") or not hasattr(callback, "__func__"):
        return callback
    method = weakref.WeakMethod(callback)

    def call(*args: Any) -> None:
        bound = method()
        if bound is not None:
            bound(*args)

    return call


@dataclass
class _Task:
    key: str
    generation: int
    work: Work
    done: Callable[[Any], None] | None
    context: contextvars.Context


class TaskRunner:
    """Runs submitted work on one daemon thread, newest request per key wins.

    ``on_progress(fraction, message)`` and ``on_error(key, exception)`` are called from the worker thread;
    bound methods among them are held weakly (the runner must not keep its explorer alive).
    """

    def __init__(
        self,
        on_progress: Callable[[float, str], None] | None = None,
        on_error: Callable[[str, BaseException], None] | None = None,
        *,
        progress_interval: float = 0.05,
    ) -> None:
        self._on_progress = _weak(on_progress)
        self._on_error = _weak(on_error)
        self._interval = progress_interval
        self._generations: dict[str, int] = {}
        self._queue: OrderedDict[str, _Task] = OrderedDict()
        self._running: _Task | None = None
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, key: str, work: Work, done: Callable[[Any], None] | None = None) -> int:
        """Queue ``work(progress)``; call ``done(result)`` if it is still the newest for ``key``."""
        with self._cond:
            if self._closed:
                raise RuntimeError("this explorer is closed")
            generation = self._generations.get(key, 0) + 1
            self._generations[key] = generation
            self._queue.pop(key, None)  # a queued older request for this key never runs
            self._queue[key] = _Task(key, generation, work, done, contextvars.copy_context())
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="nbviz-worker", daemon=True)
                self._thread.start()
                _open_runners.add(self)
            self._cond.notify_all()
            return generation

    def cancel(self, key: str | None = None) -> None:
        """Stop work for ``key`` (every key if ``None``) at its next progress check."""
        with self._cond:
            for k in [key] if key is not None else list(self._generations):
                self._generations[k] = self._generations.get(k, 0) + 1
                self._queue.pop(k, None)
            self._cond.notify_all()

    def is_current(self, key: str, generation: int) -> bool:
        """Whether ``generation`` is still the newest request for ``key``."""
        return self._generations.get(key) == generation

    @property
    def queued(self) -> int:
        """How many requests wait behind the running one."""
        with self._cond:
            return len(self._queue)

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._running is not None or bool(self._queue)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until nothing is queued or running; ``False`` on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._running is not None or self._queue:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called (the runner takes no more work)."""
        return self._closed

    def close(self) -> None:
        """Cancel everything and let the worker thread end (running work stops at its next progress check)."""
        self.cancel()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        _open_runners.discard(self)

    def join(self, timeout: float | None = None) -> bool:
        """After :meth:`close`: wait for the worker thread to end; ``False`` if it still runs after ``timeout``."""
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        return not thread.is_alive()

    # -- worker ------------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed and not self._queue:
                    return
                _, task = self._queue.popitem(last=False)
                self._running = task
            try:
                task.context.run(self._run, task)
            finally:
                del task  # an idle worker must not hold the last task's closures (the explorer, its model)
                with self._cond:
                    self._running = None
                    self._cond.notify_all()

    def _run(self, task: _Task) -> None:
        last = 0.0

        def progress(fraction: float, message: str = "") -> bool:
            nonlocal last
            if not self.is_current(task.key, task.generation):
                return False
            now = time.monotonic()
            if self._on_progress is not None and (now - last >= self._interval or fraction >= 1.0):
                last = now
                self._on_progress(fraction, message)
            return True

        try:
            result = task.work(progress)
            if task.done is not None and self.is_current(task.key, task.generation):
                task.done(result)
        except Cancelled:
            log.debug("nbviz: %s request %d superseded", task.key, task.generation)
        except BaseException as error:  # shown in the widget, never swallowed
            if not self.is_current(task.key, task.generation):
                return
            log.exception("nbviz: %s request failed", task.key)
            if self._on_error is not None:
                self._on_error(task.key, error)


def shutdown(timeout: float = EXIT_TIMEOUT) -> list[TaskRunner]:
    """Close every open runner and wait up to ``timeout`` seconds in all for their threads to end.

    Registered with :mod:`atexit`: exiting Python while an explorer computes then stops the work at
    its next progress check instead of killing a thread that is inside torch. Returns the runners
    whose threads were still running when the time was up."""
    runners = list(_open_runners)
    for runner in runners:
        runner.close()
    deadline = time.monotonic() + timeout
    return [r for r in runners if not r.join(max(0.0, deadline - time.monotonic()))]


atexit.register(shutdown)
