"""The explorer base class: what every nbviz widget shares.

A subclass names its front-end bundle (``_bundle = "layers"`` → ``nbviz/static/layers.js``), declares
its traits, and calls :meth:`Explorer.run` from trait observers. ``run`` puts the compute on the
worker thread, streams progress into the widget's progress bar and shows errors in the widget.

Lifetimes: an explorer is freed like any Python object once nothing of the user's refers to it
(after :meth:`Explorer.close`, which also takes it out of ipywidgets' registry of open widgets).
Nothing nbviz sets up keeps it: anywidget would connect a closure over each instance to the class-wide
file-change signal of the front-end bundle, so the explorer sets its ``_esm``/``_css`` traits itself
and listens through a bound method, which psygnal holds weakly; the task runner holds its callbacks
weakly and closes when the explorer is collected; links hold explorers weakly. ``close()`` stops the
running work and drops the explorer's references to the model and its data.
"""

from __future__ import annotations

import difflib
import inspect
import logging
import os
import pathlib
import weakref
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import anywidget
import numpy as np
import torch
import traitlets

from .._static import STATIC, bundle_path
from ._tasks import TaskRunner
from ._weights import CHANGED_WHILE_COMPUTING, STALE_MESSAGE, WeightsWatch, watch_weights

__all__ = ["Explorer", "STATIC"]  # STATIC (from nbviz._static) stays importable from here

log = logging.getLogger("nbviz")


_ASSETS = ("_esm", "_css")  # anywidget's front-end traits: the ES module and the style sheet


def _holds_compute_state(value: Any) -> bool:
    """Whether ``value`` is (or directly contains) a model, a tensor or an array: what ``close`` drops."""
    heavy = (torch.nn.Module, torch.Tensor, np.ndarray)
    if isinstance(value, heavy):
        return True
    if isinstance(value, (tuple, list, set, frozenset)):
        return any(isinstance(v, heavy) for v in value)
    if isinstance(value, dict):
        return any(isinstance(v, heavy) for v in value.values())
    return False


def _keyword_names(cls: type[traitlets.HasTraits]) -> frozenset[str]:
    """The keyword arguments ``cls(...)`` accepts: every named parameter of the ``__init__`` methods
    from ``cls`` up to :class:`Explorer`, and every trait (widget traits such as ``layout`` included)."""
    names = set(cls.class_trait_names())
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is not None and issubclass(klass, Explorer):
            names.update(
                name for name, p in inspect.signature(init).parameters.items()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and name != "self"
            )
    return frozenset(names)


def _refuse_unknown(cls: type, kwargs: Mapping[str, Any]) -> None:
    """Raise ``TypeError`` for the first keyword ``cls`` has neither as a parameter nor as a trait, naming
    the closest one (``perplexty`` → ``perplexity``). Traitlets would only warn and drop it."""
    known = _keyword_names(cls)
    for key in kwargs:
        if key in known:
            continue
        public = sorted(name for name in known if not name.startswith("_") or key.startswith("_"))
        close = difflib.get_close_matches(key, public, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {key!r}{hint}")


class Explorer(anywidget.AnyWidget):
    """Base class of nbviz explorers: static ESM/CSS, a worker-thread task runner,
    progress (``progress`` in [0, 1], ``status`` text) and error display (``error``).

    Unknown keyword arguments are refused with a ``TypeError`` naming the closest parameter or trait,
    before any work starts (traitlets would only warn and build the explorer with the default)."""

    _bundle: ClassVar[str] = ""
    _weights: WeightsWatch | None = None  # set by _watch_weights

    progress = traitlets.Float(1.0).tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    #: non-empty when the model's weights changed since the shown results were computed (see refresh)
    stale = traitlets.Unicode("").tag(sync=True)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if cls.__dict__.get("_bundle"):  # set before anywidget's hook, which turns paths into file contents
            cls._esm = bundle_path(f"{cls._bundle}.js")  # type: ignore[assignment]  # anywidget reads a Path too
            cls._css = bundle_path("style.css")  # type: ignore[assignment]
        super().__init_subclass__(**kwargs)

    def __new__(cls, *args: Any, **kwargs: Any) -> Explorer:
        _refuse_unknown(cls, kwargs)  # here, not in __init__: subclasses compute before calling super().__init__
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, **kwargs: Any) -> None:
        self._runner = TaskRunner(on_progress=self._show_progress, on_error=self._show_error)
        weakref.finalize(self, self._runner.close)  # a dropped explorer's worker thread ends with it
        self._add_asset_traits()
        super().__init__(**kwargs)
        self.on_msg(self._on_frame_message)

    def _add_asset_traits(self) -> None:
        """Add the ``_esm``/``_css`` traits before anywidget's constructor would.

        anywidget connects ``lambda contents: setattr(self, key, contents)`` to the class-wide
        ``changed`` signal of the bundle file, which keeps every instance alive for good. Having the
        traits already makes it skip that; our bound-method listener (psygnal holds those weakly)
        keeps hot reloading (``ANYWIDGET_HMR=1``) working during front-end development."""
        traits = {}
        for key in _ASSETS:
            source = getattr(type(self), key, None)
            if source is None or self.has_trait(key):
                continue
            traits[key] = traitlets.Unicode(str(source)).tag(sync=True)
            changed = getattr(source, "changed", None)
            if changed is not None:
                changed.connect(self._on_esm_changed if key == "_esm" else self._on_css_changed)
        self.add_traits(**traits)

    def _on_esm_changed(self, contents: str) -> None:
        self._esm = contents  # type: ignore[assignment]

    def _on_css_changed(self, contents: str) -> None:
        self._css = contents  # type: ignore[assignment]

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called: the explorer computes nothing more."""
        runner = getattr(self, "_runner", None)
        return runner is None or runner.closed

    # -- the model's weights ---------------------------------------------------------------------
    def _watch_weights(self, model: torch.nn.Module) -> None:
        """Say so (``stale``) when ``model``'s weights change under the results this explorer shows."""
        self._weights = watch_weights(model, self._weights_changed)

    def _weights_changed(self, message: str = STALE_MESSAGE) -> None:
        if not self.stale:
            self.stale = message

    def refresh(self) -> None:
        """Recompute what the explorer shows from the model's weights as they are now (e.g. after more
        training), dropping every result computed from older weights. The front end's Refresh button
        calls this."""
        if self._weights is not None:
            self._weights.seen()
        self.stale = ""
        self._refresh()

    def _refresh(self) -> None:
        """Subclasses: drop cached results and request the current view again."""

    def _on_frame_message(self, widget: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "refresh":
            self.refresh()

    # -- running compute -----------------------------------------------------------------------
    def run(self, key: str, work: Callable[..., Any], done: Callable[[Any], None] | None = None) -> int:
        """Run ``work(progress)`` on the worker thread; ``done(result)`` if still the newest ``key`` request.

        ``progress(fraction, message)`` returns ``False`` once a newer request for ``key`` arrived; pass it
        to nbviz compute functions so stale work stops early. If the watched model's weights change
        while the work runs, ``stale`` says so.

        Parameters
        ----------
        key : str
            What the work computes (e.g. ``"maps"``); a newer request with the same key supersedes it.
        work : callable
            ``work(progress)``, run on the worker thread; its return value goes to ``done``.
        done : callable or None, default None
            ``done(result)``, called with the widget's sync held; ``None``: nothing to show.

        Returns
        -------
        int
            The request's number.
        """
        self.error = ""
        self.progress, self.status = 0.0, "working…"
        watch = self._weights
        if watch is not None:
            watch.check()

        def tracked(progress: Callable[[float, str], bool]) -> tuple[Any, Any]:
            before = None if watch is None else watch.signature()
            return before, work(progress)

        def finish(outcome: tuple[Any, Any]) -> None:
            before, result = outcome
            if watch is not None and watch.signature() != before:
                self._weights_changed(CHANGED_WHILE_COMPUTING)
            if done is not None:
                with self.hold_sync():
                    done(result)
            if not self._runner.queued:
                self.progress, self.status = 1.0, ""

        return self._runner.submit(key, tracked, finish)

    def publish(self, progress: Callable[[float, str], bool], fraction: float, message: str, show: Callable[..., None], *args: Any) -> bool:
        """From inside ``work``: show a partial result only while its request is still the newest.

        Use it for progressive maps, grids and frames.

        Parameters
        ----------
        progress : callable
            The ``progress`` that ``work`` was given.
        fraction : float
            How much of the work is done, in [0, 1].
        message : str
            What is being done.
        show : callable
            ``show(*args)`` puts the partial result on the traits.
        *args : object
            Arguments for ``show``.

        Returns
        -------
        bool
            Whether it was shown (``False``: a newer request superseded this one).
        """
        if progress(fraction, message) is False:
            return False
        with self.hold_sync():
            show(*args)
        return True

    def cancel(self, key: str) -> None:
        """Stop work for ``key`` at its next progress check (e.g. when a cached result answers instead).

        Parameters
        ----------
        key : str
            The key the work was started with (see :meth:`run`).
        """
        self._runner.cancel(key)
        if not self._runner.queued:
            self.progress, self.status = 1.0, ""

    def wait(self, timeout: float | None = 120.0) -> Explorer:
        """Block until pending work is done (useful in scripts, tests and headless notebooks).

        Parameters
        ----------
        timeout : float or None, default 120.0
            Seconds to wait at most; ``None``: no limit.

        Returns
        -------
        Explorer
            ``self``, so that ``Explorer(...).wait()`` chains.

        Raises
        ------
        TimeoutError
            If work is still running after ``timeout`` seconds.
        """
        if not self._runner.wait(timeout):
            raise TimeoutError(f"{type(self).__name__}: work still running after {timeout} s")
        return self

    # -- handouts ----------------------------------------------------------------------------
    def precompute(self, **options: Any) -> None:
        """Fill the traits a handout (a saved page with no kernel) needs to stay interactive.

        Subclasses override this (e.g. occlusion maps for several window sizes); the default has
        nothing to add. Blocks until the work is done.

        Parameters
        ----------
        **options
            Handout options of the explorer; the default takes none and ignores those meant for others.
        """

    def save_html(self, path: str | os.PathLike[str], precompute: bool | Mapping[str, Any] = True) -> pathlib.Path:
        """Write a handout: one self-contained HTML file showing this explorer offline, without a kernel.

        Runs ``self.precompute(**options)`` first, so that what was precomputed stays interactive in the page.

        Parameters
        ----------
        path : str or os.PathLike
            The HTML file to write.
        precompute : bool or mapping of str to object, default True
            ``False`` skips the precompute; a mapping gives its options.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        from ..handout.page import save_html

        return save_html(path, self, precompute=precompute)

    def close(self) -> None:
        """Close the widget (its views disappear), stop running work at its next progress check and drop
        the references to the model and data, so their memory is freed even while ``self`` is kept."""
        runner = getattr(self, "_runner", None)  # absent if the constructor rejected its arguments
        if runner is not None:
            runner.close()
        self._release_compute_state()
        layout = self._trait_values.get("layout")  # the explorer's own Layout widget, which ipywidgets leaves open
        super().close()
        if layout is not None:
            layout.close()

    def _release_compute_state(self) -> None:
        """Set to ``None`` every plain attribute (not a trait) that holds a model, tensor or array,
        directly or in a tuple, list or dict: the model, its inputs and cached results."""
        state = self.__dict__
        for name, value in list(state.items()):
            if not name.startswith("_trait") and _holds_compute_state(value):
                state[name] = None

    # -- callbacks from the worker thread ---------------------------------------------------------
    def _show_progress(self, fraction: float, message: str) -> None:
        with self.hold_sync():
            self.progress = min(fraction, 0.999)
            if message:
                self.status = message

    def _show_error(self, key: str, error: BaseException) -> None:
        with self.hold_sync():
            self.error = f"{type(error).__name__}: {error}"
            self.progress, self.status = 1.0, ""
