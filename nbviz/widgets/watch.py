"""WatchExplorer: watch a network learn, live, from inside the user's own training loop.

``watcher = nbviz.watch(model, probe=(x, y))`` before the loop and ``watcher.step(loss=loss.item())``
after each optimiser step (or ``watcher.attach(optimizer)``). At the steps :class:`~nbviz.watching.Schedule`
picks, a :class:`~nbviz.watching.Snapshotter` snapshot is taken in the training thread (one guarded
eval-mode forward of the probe set; training is never changed) and its small parts are sent at once,
so the view moves while the cell runs. The slower views run on the explorer's worker thread, each for
the newest snapshot once the previous one is done: the t-SNE map of the probe features
(:class:`~nbviz.watching.LiveMap`, warm-started) and the weight path over a coarse loss surface
(:mod:`nbviz.watching.path`, on a private copy of the model). During training they run only in time
slices that ``step()`` grants from what the budget has left and waits out
(:class:`~nbviz.watching.slices.TimeSlicer`), so they never compete with training and all their cost
is on the schedule's ledger. ``frame`` replays any snapshot.

Length: ~590 lines, above the house's ~400, for a stated reason: one class, the explorer, whose synced
traits (the front end's contract, ``tests/test_trait_contract.py``) and documented public methods belong
together, with the requests of its background views (one in flight per view, run in granted slices);
the compute, the schedule and the slicer live in :mod:`nbviz.watching`.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import torch
import traitlets
from torch import nn

from ..watching import LiveMap, Schedule, Snapshot, Snapshotter, as_probe
from ..watching.path import WeightPath, coarse_surface, private_copy, project, weight_path
from ..watching.probe import DEFAULT_PROBE_SIZE
from ..watching.slices import TimeSlicer
from ._arrays import Array
from ._base import Explorer
from ._live_controls import LiveControls

__all__ = ["WatchExplorer", "watch"]

MAX_STATES = 64  # weight copies kept for the path; beyond, every other old one is dropped
SURFACE_SAMPLES = 128  # probe inputs the coarse surface is evaluated on
SURFACE_RESOLUTION = 9


class WatchExplorer(Explorer):
    """A live view of ``model`` training: loss and accuracy, first-layer filters, one layer's feature
    maps, sparsity and dead channels per layer, a t-SNE map of the probe features and the weight path
    over a coarse loss surface, on a shared timeline with a scrubber.

    Parameters
    ----------
    model : torch.nn.Module
        The model being trained. It is only read: snapshots run on its shadow in eval mode under
        ``torch.no_grad()``, with every global random state put back, so training is bitwise the same
        with and without the watcher.
    probe : tensor, (inputs, labels) pair, Dataset or DataLoader
        The fixed inputs every snapshot looks at (the first ``probe_size``); labels give the probe
        loss, accuracy, class colours on the map and the loss surface.
    every : int, default 10
        The smallest number of optimiser steps between snapshots.
    budget : float, default 0.1
        The largest share of training time the watcher may cost; the interval widens to keep within it.
    adaptive : bool, default True
        ``False``: a snapshot exactly every ``every`` steps, every background view computed, whatever it costs.
    loss_fn : callable or None, default None
        ``loss_fn(outputs, targets)`` for the loss surface; ``None``: cross-entropy.
    layer : str or None, default None
        The layer whose feature maps are shown (``None``: the first activation with spatial maps).
    probe_size : int, default 128
        How many probe inputs are used.
    tsne : bool, default True
        Compute the t-SNE map of the probe features.
    surface : bool, default True
        Compute the weight path and the loss surface under it.
    show : int, default 8
        How many probe inputs' feature maps are shown.
    **kwargs
        Initial values of the explorer's traits (e.g. ``layout``); an unknown name raises ``TypeError``.
    """

    _bundle = "watch"

    # -- the timeline (whole history: small) --
    steps_done = traitlets.Int(0).tag(sync=True)
    loss_steps = Array()  # (S,) steps with a training loss given to step()
    train_loss = Array()  # (S,)
    snapshot_steps = Array()  # (T,)
    probe_loss = Array()  # (T,) NaN without labels
    probe_accuracy = Array()  # (T,)
    layer_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    sparsity = Array()  # (T, L) fraction of zero outputs per layer
    dead = Array()  # (T, L) dead channels per layer
    interval = traitlets.Int(10).tag(sync=True)
    overhead = traitlets.Float(0.0).tag(sync=True)
    # -- the weight path over the surface --
    path = Array()  # (P, 2)
    path_steps = Array()  # (P,)
    path_variance = traitlets.List(traitlets.Float()).tag(sync=True)
    surface = Array()  # (R, R) loss, rows along β
    surface_axis = Array()  # (R,)
    surface_step = traitlets.Int(-1).tag(sync=True)
    # -- one snapshot (the scrubber's) --
    frame = traitlets.Int(-1).tag(sync=True)  # index into snapshot_steps; set by the scrubber
    live = traitlets.Bool(True).tag(sync=True)  # follow the newest snapshot
    filters = Array()  # (C, kh, kw, 3) uint8
    maps = Array()  # (images, channels, h, w) uint8
    map_layer = traitlets.Unicode("").tag(sync=True)
    probe_images = Array()  # (images, h, w, 3) uint8: the inputs whose maps are shown
    embedding = Array()  # (N, 2)
    embedding_step = traitlets.Int(-1).tag(sync=True)
    labels = Array()  # (N,) int
    class_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    # -- handouts (a page with no kernel): every shown snapshot's panels, made by precompute() --
    handout_frames = Array()  # (K,) int32 snapshot indices with panels
    handout_filters = Array()  # (K, C, kh, kw, 3) uint8
    handout_maps = Array()  # (K, images, channels, h, w) uint8
    handout_embeddings = Array()  # (E, N, 2) float32 t-SNE maps
    handout_embedding_steps = Array()  # (E,) int32 their snapshot steps

    def __init__(
        self,
        model: nn.Module,
        probe: Any,
        every: int = 10,
        *,
        budget: float = 0.1,
        adaptive: bool = True,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], Any] | None = None,
        layer: str | None = None,
        probe_size: int = DEFAULT_PROBE_SIZE,
        tsne: bool = True,
        surface: bool = True,
        show: int = 8,
        **kwargs: Any,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
        if loss_fn is not None and not callable(loss_fn):
            raise TypeError(f"loss_fn: expected a callable (outputs, targets) -> scalar or None, got {type(loss_fn).__name__}")
        self._schedule = Schedule(every, budget, adaptive)
        self._model = model
        self._probe = as_probe(probe, model, probe_size)
        self._snapshotter = Snapshotter(model, self._probe, layer=layer, show=show)
        self._loss_fn = loss_fn or torch.nn.functional.cross_entropy
        self._tsne, self._surface = bool(tsne), bool(surface) and self._probe.labels is not None
        self._map = LiveMap()
        self._copy = private_copy(model) if self._surface else None  # the background's own weights
        self._snapshots: list[Snapshot] = []
        self._embeddings: dict[int, np.ndarray] = {}  # snapshot step -> its map
        self._states: list[tuple[int, dict[str, torch.Tensor]]] = []  # (step, weights) for the path
        self._plane: WeightPath | None = None  # the plane the surface on show lies in
        self._losses: list[tuple[int, float]] = []
        self._step = 0
        self._last: float | None = None  # when the previous step() call returned
        self._lock = threading.Lock()
        self._slicer = TimeSlicer(free=not adaptive)  # background views run in slices step() grants
        self._busy: set[str] = set()  # background views in flight ("map", "surface")
        self._busy_lock = threading.Lock()
        self._hooks: list[Any] = []
        self._controls = LiveControls(self)  # the scrubber acts during training where the kernel allows
        super().__init__(**kwargs)
        self.interval = every
        self.layer_names = list(self._snapshotter.layers)
        self.map_layer = self._snapshotter.map_layer or ""
        self.labels = None if self._probe.labels is None else self._probe.labels.numpy()
        self.class_names = list(self._probe.class_names or [])
        self.probe_images = _probe_pixels(self._probe.inputs[:show])
        self.progress, self.status = 1.0, ""
        self.observe(self._show_frame, names=["frame"])
        # the untrained network, shown before the loop starts: counted, but not averaged into the snapshot
        # cost (its first-time costs would widen the interval for good); its first map is the slow one
        # (from a PCA start, compiling openTSNE's kernels), made here, before training
        start = time.perf_counter()
        self._snapshot(0)
        self._schedule.add_cost(time.perf_counter() - start, typical=False)
        if self._tsne:
            pieces = _Pieces()
            self._embeddings[0] = self._map.update(self._snapshots[0].features, progress=pieces)
            if pieces.steady is not None:  # the margin of the first slices, until one is measured
                self._schedule.note_chunk(pieces.steady)
            self._show_map()
        self._last = time.perf_counter()

    # -- the user's loop -----------------------------------------------------------------------
    def step(self, loss: float | torch.Tensor | None = None) -> None:
        """Call after each optimiser step, with the step's training loss if you have it. Steps count from 1;
        snapshot 0 is the model as it was when the watcher was made.

        Takes a snapshot when the schedule says so (measured in the training thread; the t-SNE map and
        the loss surface follow on the worker thread). After :meth:`close` it does nothing.

        Parameters
        ----------
        loss : float, torch.Tensor or None, default None
            The step's training loss (a scalar tensor is read with ``float``); ``None``: not known, the
            loss curve skips this step.
        """
        if self.closed:
            return
        now = time.perf_counter()
        self._controls.poll()  # apply the controls moved since the last step (counted: watcher work)
        self._slicer.touch(now)
        if self._last is not None:
            self._schedule.add_step_time(now - self._last)
        self._step += 1
        step = self._step
        if loss is not None:
            value = float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)
            self._losses.append((step, value))
        snapshot = 0.0
        if self._schedule.due(step):
            self._snapshot(step)
            snapshot = time.perf_counter() - now
            self._schedule.add_cost(snapshot)
        elif loss is not None and now - getattr(self, "_sent", 0.0) > 0.5:
            self._send_losses()
        granted = self._grant_slice()
        self._last = time.perf_counter()
        self._schedule.add_spent(self._last - now - snapshot - granted)  # sends and bookkeeping

    def finish(self, timeout: float | None = 600.0) -> WatchExplorer:
        """After training: a last snapshot of the final weights (unless the last step has one) with every
        view computed for it, t-SNE map and loss surface included, whatever the budget; waits for them.

        Parameters
        ----------
        timeout : float or None, default 600.0
            Seconds to wait for the background views (``None``: as long as they take).

        Returns
        -------
        WatchExplorer
            ``self``, so that ``watcher.finish()`` as a cell's last expression shows the view.

        Raises
        ------
        TimeoutError
            If the background views are still running after ``timeout`` seconds.
        """
        self._send_losses()
        self.overhead = self._schedule.overhead
        self._schedule.stop()
        self._slicer.set_free(True)  # training is over: the views run freely
        if self._snapshots and self._snapshots[-1].step == self._step:
            if self._tsne:
                self._request_map()
            if self._surface and len(self._states) >= 3:
                self._request_surface()
        elif not self.closed:
            self._snapshot(self._step, force=True)
        return self.wait(timeout)

    def wait(self, timeout: float | None = 120.0) -> WatchExplorer:
        """Send the latest losses and step count, then block until the background views are done.

        Parameters
        ----------
        timeout : float or None, default 120.0
            Seconds to wait at most; ``None``: no limit.

        Returns
        -------
        WatchExplorer
            ``self``, so that ``watcher.wait()`` chains.

        Raises
        ------
        TimeoutError
            If work is still running after ``timeout`` seconds.
        """
        if not self.closed:
            self._send_losses()
        sliced = not self._slicer.free
        self._slicer.set_free(True)  # training waits: the views may run freely meanwhile
        try:
            super().wait(timeout)
        finally:
            if sliced and not self._schedule.stopped:
                self._slicer.set_free(False)
            self._last = time.perf_counter()  # the wait is not training time
        return self

    def attach(self, optimizer: torch.optim.Optimizer) -> WatchExplorer:
        """Call :meth:`step` after every ``optimizer.step()`` (torch's step post-hook; without the loss,
        which the hook cannot see). Undone by :meth:`detach` or :meth:`close`.

        Parameters
        ----------
        optimizer : torch.optim.Optimizer
            The optimiser of the training loop; the watcher holds it only through the hook, and the
            hook holds the watcher weakly.

        Returns
        -------
        WatchExplorer
            ``self``, so that ``watch(model, probe).attach(optimizer)`` chains.
        """
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer: expected a torch.optim.Optimizer, got {type(optimizer).__name__}")
        me = weakref.ref(self)  # the optimiser must not keep a dropped explorer alive

        def after_step(*_: Any) -> None:
            watcher = me()
            if watcher is not None and not watcher.closed:
                watcher.step()

        self._hooks.append(optimizer.register_step_post_hook(after_step))
        return self

    def detach(self) -> None:
        """Stop following the optimisers given to :meth:`attach`."""
        hooks = getattr(self, "_hooks", [])  # absent if the constructor rejected its arguments
        for handle in hooks:
            handle.remove()
        hooks.clear()

    def close(self) -> None:
        """Stop following the optimisers (:meth:`detach`), then close the widget, stop its running work and
        drop its references to the model and data; :meth:`step` does nothing afterwards."""
        self.detach()
        slicer = getattr(self, "_slicer", None)
        if slicer is not None:
            slicer.set_free(True)  # a worker waiting for a turn goes on, to its cancellation
        super().close()

    def precompute(self, max_frames: int | None = None, **options: Any) -> None:  # type: ignore[override]
        """Pack every snapshot's panels (filters, feature maps, t-SNE map) for a handout, so the page's
        scrubber replays them without a kernel (:meth:`save_html` calls this). Waits for running work first.

        Parameters
        ----------
        max_frames : int or None, default None
            At most this many snapshots keep their panels (evenly spread, the first and last always;
            ``None``: 100); the curves, sparsity and weight path keep every snapshot.
        **options : Any
            Meant for other explorers of the same handout; ignored.
        """
        # imported here: the handout package pulls in nbconvert, which a training loop should not pay for
        from ..handout.watch_frames import DEFAULT_MAX_FRAMES, pack_snapshots

        self.wait(None)
        packed = pack_snapshots(self._snapshots, self._embeddings, DEFAULT_MAX_FRAMES if max_frames is None else max_frames)
        with self.hold_sync():
            self.handout_frames, self.handout_filters, self.handout_maps = packed.frames, packed.filters, packed.maps
            self.handout_embeddings, self.handout_embedding_steps = packed.embeddings, packed.embedding_steps

    @property
    def snapshots(self) -> list[Snapshot]:
        """Every :class:`~nbviz.watching.Snapshot` so far, oldest first."""
        return list(self._snapshots)

    @property
    def maps_by_step(self) -> dict[int, np.ndarray]:
        """The t-SNE maps (N, 2) computed so far, by snapshot step (a snapshot whose map was overtaken by
        a newer one before it started has none)."""
        return dict(self._embeddings)

    @property
    def schedule(self) -> Schedule:
        """The :class:`~nbviz.watching.Schedule`: measured step time, snapshot cost, overhead so far."""
        return self._schedule

    # -- snapshots -----------------------------------------------------------------------------
    def _snapshot(self, step: int, force: bool = False) -> None:
        snap = self._snapshotter.take(step)
        self._schedule.taken(step)
        self._snapshots.append(snap)
        self._keep_state(step, snap.state)
        snap.state = {}  # the path keeps its own (thinned) list of weights
        with self.hold_sync():
            self._send_losses()
            self.snapshot_steps = np.array([s.step for s in self._snapshots], np.int32)
            self.probe_loss = np.array([np.nan if s.loss is None else s.loss for s in self._snapshots], np.float32)
            self.probe_accuracy = np.array([np.nan if s.accuracy is None else s.accuracy for s in self._snapshots], np.float32)
            self.sparsity = np.stack([s.sparsity for s in self._snapshots]).astype(np.float32)
            self.dead = np.stack([s.dead for s in self._snapshots]).astype(np.int32)
            self.interval = self._schedule.interval
            self.overhead = self._schedule.overhead
            if self.live:
                self.frame = len(self._snapshots) - 1
        if self._tsne and step > 0 and (force or self._schedule.affords(0.0)):
            self._request_map()
        if self._surface and len(self._states) >= 3:
            self._request_path()
            if force or self._schedule.affords(0.0):
                self._request_surface()

    def _keep_state(self, step: int, state: dict[str, torch.Tensor]) -> None:
        self._states.append((step, state))
        if len(self._states) > MAX_STATES:  # thin the old half, keep the newest ones dense
            half = len(self._states) // 2
            self._states = self._states[:half:2] + self._states[half:]

    def _send_losses(self) -> None:
        self._sent = time.perf_counter()
        if self._losses:
            steps, values = zip(*self._losses)
            with self.hold_sync():
                self.loss_steps = np.array(steps, np.int32)
                self.train_loss = np.array(values, np.float32)
        self.steps_done = self._step

    def _show_frame(self, change: Any = None) -> None:
        """Show the scrubber's snapshot: its filters and maps, and the newest map not after it."""
        if not self._snapshots:
            return
        snap = self._snapshots[min(max(int(self.frame), 0), len(self._snapshots) - 1)]
        with self.hold_sync():
            self.filters, self.maps = snap.filters, snap.maps
            self._show_map()

    def _show_map(self) -> None:
        if not self._snapshots:
            return
        step = self._snapshots[min(max(int(self.frame), 0), len(self._snapshots) - 1)].step
        shown = [s for s in list(self._embeddings) if s <= step]
        if shown and max(shown) != self.embedding_step:
            with self.hold_sync():
                self.embedding_step = max(shown)
                self.embedding = self._embeddings[self.embedding_step]

    # -- background views ------------------------------------------------------------------------
    def _grant_slice(self) -> float:
        """Give waiting background views a slice of what the budget has left (:attr:`Schedule.slice`) and
        wait it out; the seconds it took, counted on the ledger."""
        if self._slicer.free or not self._slicer.pending:
            return 0.0
        seconds = self._schedule.slice
        if seconds <= 0:
            return 0.0
        used = self._slicer.grant(seconds)
        self._schedule.add_background(used)
        if self._slicer.chunk > 0:
            self._schedule.note_chunk(self._slicer.chunk)
        return used

    def _gated(self, key: str, work: Callable[[Any], Any], done: Callable[[Any], None]) -> Callable[[Any], None]:
        """``work`` then ``done`` (which sends the view, if the request is still the newest) in the slicer's
        turns, checking at each progress report; ``key`` is free for a new request afterwards, whatever
        happened. Not adaptive (work beside training, ungated): its time is counted as it runs."""

        def run(progress: Any) -> None:
            def checked(fraction: float, message: str = "") -> bool:
                self._slicer.checkpoint()
                return bool(progress(fraction, message))

            start = time.perf_counter()
            self._slicer.enter()
            try:
                result = work(checked)
                current = progress(1.0, "")
                self._release(key)
                if current:
                    with self.hold_sync():
                        done(result)
            finally:
                self._release(key)
                self._slicer.leave()
                if not self._schedule.adaptive:
                    self._schedule.add_background(time.perf_counter() - start)

        return run

    def _claim(self, key: str) -> bool:
        """Whether a request for ``key`` may start now (none in flight), marking it in flight."""
        with self._busy_lock:
            if key in self._busy:
                return False
            self._busy.add(key)
            return True

    def _release(self, key: str) -> None:
        with self._busy_lock:
            self._busy.discard(key)

    def _follow_up(self) -> bool:
        """Whether a finished view should be redone at once for a newer snapshot."""
        return not self.closed and (self._schedule.stopped or self._schedule.affords(0.0))

    def _request_map(self) -> None:
        """The t-SNE map of the newest snapshot, unless it has one or a map is in flight (when that one
        is done, the then newest snapshot gets its map: work already paid for is never thrown away)."""
        snap = self._snapshots[-1]
        if snap.step in self._embeddings or not self._claim("map"):
            return
        features, step = snap.features, snap.step

        def work(progress: Any) -> np.ndarray:
            with self._lock:
                return self._map.update(features, progress=progress)

        def done(embedding: np.ndarray) -> None:
            self._embeddings[step] = embedding
            self._show_map()
            if self._snapshots[-1].step != step and self._follow_up():
                self._request_map()

        self.run("map", self._gated("map", work, done))

    def _request_path(self) -> None:
        """The weight path projected on the plane of the surface on show (cheap: one dot product per
        snapshot), or before any surface, on its own principal plane."""
        steps = np.array([s for s, _ in self._states], np.int32)
        states = [state for _, state in self._states]
        copy = cast(nn.Module, self._copy)  # made whenever there is a surface

        def work(progress: Any) -> tuple[np.ndarray, np.ndarray]:
            plane = self._plane
            if plane is not None:
                return steps, np.stack([project(plane, s) for s in states])
            return steps, weight_path(copy, states).coords

        self.run("path", self._gated("path", work, self._show_path))

    def _show_path(self, outcome: tuple[np.ndarray, np.ndarray]) -> None:
        steps, coords = outcome
        shown = self.path_steps
        if shown is None or not len(shown) or int(steps[-1]) >= int(shown[-1]):
            self.path, self.path_steps = coords, steps

    def _request_surface(self) -> None:
        """A new principal plane through the snapshots so far and the coarse loss surface over it, unless
        one is in flight (when it is done, it is redone for the newer snapshots)."""
        if not self._claim("surface"):
            return
        steps = np.array([s for s, _ in self._states], np.int32)
        states = [state for _, state in self._states]
        probe = self._probe
        labels = cast(torch.Tensor, probe.labels)  # a surface needs labels (see __init__)
        data = (probe.inputs[:SURFACE_SAMPLES], labels[:SURFACE_SAMPLES])
        copy = cast(nn.Module, self._copy)

        def work(progress: Any) -> tuple[WeightPath, Any]:
            plane = weight_path(copy, states)
            return plane, coarse_surface(copy, plane, self._loss_fn, data, SURFACE_RESOLUTION, progress=progress)

        def done(outcome: tuple[WeightPath, Any]) -> None:
            plane, result = outcome
            self._plane = plane
            self.surface, self.surface_axis = result.loss, result.alphas
            self.surface_step = int(steps[-1])
            self.path_variance = [float(v) for v in plane.explained_variance_ratio]
            self._show_path((steps, plane.coords))
            if self._states[-1][0] != int(steps[-1]) and self._follow_up():
                self._request_surface()

        self.run("surface", self._gated("surface", work, done))


class _Pieces:
    """A progress callback timing the pieces of work between its calls; ``steady``: the longest after
    the first two (the kNN graph and the first iterations, which pay one-time costs: compiling)."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.lengths: list[float] = []

    def __call__(self, fraction: float, message: str = "") -> bool:
        now = time.perf_counter()
        self.lengths.append(now - self.last)
        self.last = now
        return True

    @property
    def steady(self) -> float | None:
        return max(self.lengths[2:]) if len(self.lengths) > 2 else None


def _probe_pixels(images: torch.Tensor) -> np.ndarray | None:
    """The probe inputs as display pixels (images, h, w, 3) uint8, or ``None`` when they are not images."""
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        return None
    from .. import render

    outside = bool(images.min() < 0 or images.max() > 1)
    return render.to_rgb_uint8(images.detach().cpu(), scale="each" if outside else None)


def watch(model: nn.Module, probe: Any, every: int = 10, **options: Any) -> WatchExplorer:
    """A live training view of ``model`` (a :class:`WatchExplorer`; see it for ``options``).

    Create it before the training loop and call ``watcher.step(loss=loss.item())`` after each optimiser
    step (or ``watcher.attach(optimizer)``); show it by leaving it as a cell's last expression (or
    ``display(watcher)``). After the loop, ``watcher.finish()`` adds a snapshot of the final weights with
    its t-SNE map and loss surface. It never changes training.

    Parameters
    ----------
    model : torch.nn.Module
        The model being trained.
    probe : tensor, (inputs, labels) pair, Dataset or DataLoader
        Fixed inputs every snapshot looks at.
    every : int, default 10
        The smallest number of optimiser steps between snapshots (widened to keep within ``budget``).
    **options : Any
        Passed to :class:`WatchExplorer` (``budget``, ``adaptive``, ``loss_fn``, ``layer``, ``probe_size``,
        ``tsne``, ``surface``, ``show``) and its traits.

    Returns
    -------
    WatchExplorer
        The live view; its first snapshot (the untrained model) is already taken.
    """
    return WatchExplorer(model, probe, every, **options)
