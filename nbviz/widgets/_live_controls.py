"""Controls that act while the cell driving a widget runs (the watcher's scrubber during training).

Why it is needed: a comm message from the browser (a moved scrubber) is a shell message, and the kernel
handles shell messages one at a time on its main thread, so it waits behind the running training cell.
With kernel subshells (JEP 91) there is a way round that touches nothing but the widget's own messages:

* JupyterLab since 4.4 and Notebook 7 built on it (checked: 4.6.6 and 7.6.5) send every comm message to
  a kernel subshell ("one subshell per comm target", their default setting ``commsOverSubshells``), and
  ipykernel ≥ 7 handles a subshell's messages on its own thread.
* ipykernel 7.4 then re-routes each ``comm_msg`` on its shell-channel thread: it asks the comm's
  ``_reply_subshell_for(data, requested)`` where to send it, and the default answer is "where this comm
  last published from", which for a widget updated by a training loop is the main shell. So the
  message still waits.

:class:`LiveControls` changes that answer for one widget's comm, and only while a cell of the main shell
that drives it is running: the message goes to the subshell the browser asked for. There it is not run
(the widget's handlers and IPython's ``pre/post_execute`` hooks would race the training thread); the
subshell thread only queues it. The queue is applied on the main thread: by :meth:`LiveControls.poll`,
which the watcher calls from ``step()`` (between two optimiser steps of the user's loop), and, for a
message that arrives after the last step, by a callback on the kernel's main event loop, which runs as
soon as the cell ends. When the cell ends (IPython's ``post_run_cell``) the routing is put back.

What is not touched: execute requests (the user's queued cells keep their order), other widgets'
messages, and the browser side. Where any piece is missing (no kernel, an ipykernel without subshells or
without the routing hook, a front end that does not send comms to subshells, a step() outside the main
thread) nothing changes: the controls act when the cell ends, as before. The hook is a private ipykernel
attribute, so it is looked up and used only when present; docs/live-controls.md says which hosts do what.
"""

from __future__ import annotations

import logging
import queue
import threading
import weakref
from typing import Any

__all__ = ["LiveControls", "coalesce"]

log = logging.getLogger("nbviz")

ROUTE_HOOK = "_reply_subshell_for"  # ipykernel.comm.comm.BaseComm: where a comm_msg for this comm is sent


class LiveControls:
    """Apply a widget's incoming comm messages inside a running cell, at points the cell chooses.

    Parameters
    ----------
    widget : ipywidgets.Widget
        The widget whose messages (from its front end) should act while a cell that calls :meth:`poll`
        runs. Held weakly.
    """

    def __init__(self, widget: Any) -> None:
        self._widget = weakref.ref(widget)
        self._pending: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self._comm: Any = None  # the comm whose handle_msg is ours (set once, on the first routing)
        self._kernel: Any = None
        self._routing = False  # the comm's messages go to the subshell the front end asked for
        self._unsupported = False  # no kernel, or one that cannot route: poll() only applies the queue

    @property
    def routing(self) -> bool:
        """Whether the widget's messages are being taken off the main shell (a routed cell is running)."""
        return self._routing

    def poll(self) -> int:
        """From the cell that drives the widget (the watcher's ``step()``): route the widget's messages
        past the running cell if the kernel allows it, and apply the ones that arrived since the last call.

        Only acts on the main thread of an IPython kernel; elsewhere it returns 0 and changes nothing.

        Returns
        -------
        int
            How many messages were applied.
        """
        if threading.current_thread() is not threading.main_thread():
            return 0
        if not self._routing and not self._unsupported:
            self._start_routing()
        return self.apply_pending()

    def apply_pending(self) -> int:
        """Apply the queued messages on the main thread, oldest first, through the widget's own message
        handler (without IPython's ``pre/post_execute`` hooks, which belong to cells, not to a step).

        Consecutive state updates without binary parts are merged into one, later values winning: what
        ipywidgets' front end does itself with the updates it holds back until the kernel has handled
        the previous one. (Here the subshell answers at once, so a dragged scrubber sends every position,
        and only the last one should cost a redraw.)

        Returns
        -------
        int
            How many messages were applied, merged ones counted once (0 off the main thread: they stay
            queued).
        """
        if threading.current_thread() is not threading.main_thread():
            return 0
        messages: list[dict[str, Any]] = []
        while True:
            try:
                messages.append(self._pending.get_nowait())
            except queue.Empty:
                break
        widget = self._widget()
        callback = getattr(self._comm, "_msg_callback", None)  # the widget's handler (ipywidgets' _handle_msg)
        if not messages or callback is None or getattr(widget, "comm", None) is not self._comm:
            return 0  # nothing queued, or the widget closed meanwhile: nothing to apply to
        merged = coalesce(messages)
        for msg in merged:
            try:
                callback(msg)
            except Exception:  # as ipykernel's CommManager: a bad message is logged, training goes on
                log.error("nbviz: a front-end message to the widget failed", exc_info=True)
        return len(merged)

    # -- routing ---------------------------------------------------------------------------------
    def _start_routing(self) -> None:
        widget = self._widget()
        comm = getattr(widget, "comm", None)
        kernel = _kernel()
        shell = _ipython()
        if kernel is None or shell is None or getattr(kernel, "shell_channel_thread", None) is None:
            self._unsupported = True  # not in an ipykernel with subshells: messages wait for the cell
            return
        if comm is None:
            return
        if not hasattr(type(comm), ROUTE_HOOK):
            self._unsupported = True  # an ipykernel without the routing hook
            return
        if self._comm is not comm:  # from now on this comm's messages are never run off the main thread
            self._comm, self._kernel = comm, kernel
            comm.handle_msg = self._receive
        setattr(comm, ROUTE_HOOK, _as_requested)
        self._routing = True
        shell.events.register("post_run_cell", self._cell_ended)

    def _cell_ended(self, result: Any = None) -> None:
        """IPython's ``post_run_cell``: the main shell's cell is over, messages go back to the main shell."""
        if threading.current_thread() is not threading.main_thread():
            return  # a cell run in a subshell ended; the routed one still runs
        if self._comm is not None and ROUTE_HOOK in vars(self._comm):
            delattr(self._comm, ROUTE_HOOK)
        self._routing = False
        shell = _ipython()
        if shell is not None:
            shell.events.unregister("post_run_cell", self._cell_ended)
        self.apply_pending()

    def _receive(self, msg: dict[str, Any]) -> None:
        """The comm's ``handle_msg``, called by ipykernel's CommManager on the thread that got the message."""
        if threading.current_thread() is threading.main_thread():
            self.apply_pending()  # keep arrival order
            type(self._comm).handle_msg(self._comm, msg)  # the ordinary path, hooks included
            return
        self._pending.put(msg)
        self._kernel.io_loop.add_callback(self.apply_pending)  # if no step() comes: as soon as the cell ends


def coalesce(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``messages`` (ipywidgets comm messages, oldest first) with each run of consecutive ``update``
    messages that carry no binary buffers merged into its last one, whose state takes every key of the
    run (later values win). Other messages, and their order, are kept as they are.

    Parameters
    ----------
    messages : list of dict
        Jupyter ``comm_msg`` messages (``content["data"]`` holds ``method`` and ``state``).

    Returns
    -------
    list of dict
        The messages to apply; a merged message is a copy, the inputs are not changed.
    """
    out: list[dict[str, Any]] = []
    for msg in messages:
        if out and _plain_update(msg) and _plain_update(out[-1]):
            previous = out[-1]["content"]["data"]["state"]
            data = {**msg["content"]["data"], "state": {**previous, **msg["content"]["data"]["state"]}}
            msg = {**msg, "content": {**msg["content"], "data": data}}
            out[-1] = msg
        else:
            out.append(msg)
    return out


def _plain_update(msg: dict[str, Any]) -> bool:
    data = msg.get("content", {}).get("data")
    return (
        isinstance(data, dict) and data.get("method") == "update" and isinstance(data.get("state"), dict)
        and not data.get("buffer_paths") and not msg.get("buffers")
    )


def _as_requested(data: Any, requested: str | None) -> str | None:
    """The routing hook: send the message where the front end asked (its subshell, or the main shell)."""
    return requested


def _kernel() -> Any:
    """The running ipykernel, or ``None`` outside one."""
    try:
        from ipykernel.kernelbase import Kernel
    except ImportError:
        return None
    return Kernel.instance() if Kernel.initialized() else None


def _ipython() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()
