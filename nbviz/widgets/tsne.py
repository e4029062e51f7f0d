"""TSNEExplorer: a live t-SNE of points or of a network layer's features, with perplexity,
iteration and seed controls, a scrubber over the frames, and small multiples.

The kNN graph is built once for the slider's largest perplexity (the session's ``max_perplexity``),
so moving the perplexity slider only re-weights it (going back to the previous value not even that)
and warm-starts from the current positions; the new run's first frame goes out after one step and a
newer change stops it within an iteration. Frames stream while the optimisation runs; every snapshot stays in Python and the scrubber asks for the one
it shows (the browser holds one frame, so 70,000 points × many frames never pile up in the page).

The class is the table of contents: every synced trait is declared here, once (the front end's
contract), then the public methods and the runs on the worker. Each concept lives beside it:
input and colouring (``_tsne_points``), new points placed on the map (``_tsne_new_points``), frames
on screen (``_tsne_frames``, on the thread-safe ``_frames.FrameBuffer``), the grid view
(``_tsne_grid``), trait checks (``_tsne_checks``), settings defaults (``_tsne_settings``) and handout
quantisation (``_tsne_handout``). The file is ~500 lines, above the house's ~400, for a stated
reason: ~110 of them are the per-parameter docstrings of 23 arguments and the 44 trait
declarations, which belong together on the class.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
import traitlets
from torch import nn

from .._progress import Cancelled
from ..embedding import SmallMultiples, TSNEResult, TSNESession, extract_features, knn_preservation, trustworthiness
from ..embedding._validate import check_distinct, check_perplexity, check_points
from ..embedding.grid import GridLayout
from ._arrays import Array
from ._base import Explorer
from ._categories import DEFAULT_TOP, Coloring, check_top
from ._frames import FrameBuffer, FrameSender
from ._images import pictures_or_none
from ._tsne_checks import SettingChecks
from ._tsne_frames import FrameViewMixin
from ._tsne_grid import GridViewMixin
from ._tsne_handout import quantise_frames
from ._tsne_new_points import NewPoints, NewPointsMixin
from ._tsne_points import PointsMixin, _thumbnails
from ._tsne_settings import run_settings

__all__ = ["TSNEExplorer", "quantise_frames"]

_thumbnails = _thumbnails  # the old import path of the thumbnail helper (tests, notebooks)


class TSNEExplorer(NewPointsMixin, PointsMixin, FrameViewMixin, GridViewMixin, SettingChecks, Explorer):
    """A live t-SNE of points, or of a network layer's features, with a scrubber and small multiples.

    Traits a person drives (from the page or from Python): ``perplexity``, ``learning_rate``
    (0 = auto), ``exaggeration``, ``n_iter``, ``seed``, ``frame``/``live`` (the scrubber), ``selected``
    (a click selects one point, shift+drag a lasso) and ``view``. :meth:`from_embedding` draws a
    given embedding without optimising.

    Parameters
    ----------
    X : array-like or tuple, optional
        (N, D) points, or ``(model, data, layer)``: the features of ``layer`` for ``data``. ``data``
        may be a tensor or array, an ``(inputs, labels)`` pair, an nbviz ImageDataset, a Dataset of
        inputs or ``(input, label)`` items, or a DataLoader (read once, see
        :func:`nbviz._data.examples`); its labels, class names and N×C×H×W images (thumbnails) are
        used unless given. ``None`` only with ``embedding``.
    labels : array-like, optional
        (N,) categories that colour the points and name them on hover (indices into
        ``class_names``, or any values).
    images : array-like, optional
        N×C×H×W or N×H×W pictures with values in [0, 1], shown as thumbnails on hover and in the
        ``"images"`` and ``"grid"`` views.
    class_names : sequence, optional
        Names of the label indices.
    color_by : {"label", "prediction"} or array-like, default "label"
        What colours the points: the labels, the model's predictions (model form) or an (N,)
        array (floats are continuous).
    perplexity : float, optional
        Default 30, lowered to the largest N allows for a few dozen points.
    max_perplexity : float, optional
        The perplexity the kNN graph is built for, once (default 100, lowered for small N); the
        slider below it only re-weights the graph.
    n_iter : int, default 750
        Iterations of a run.
    early_iter : int, optional
        Iterations of early exaggeration (default: a third of ``n_iter``, at most 250).
    exaggeration : float, default 12.0
        Early exaggeration.
    learning_rate : float or "auto", default "auto"
        ``"auto"`` is N / exaggeration.
    seed : int, default 0
        Seed of the start layout and of the neighbour search.
    perplexities : sequence of float, optional
        The small multiples' perplexities (default: 2, 5, 30, 50, 100 below N's limit).
    snapshot_every : int, default 10
        Iterations between stored frames.
    pool : {"flatten", "avg", "max"}, default "flatten"
        How a feature map becomes a vector (model form).
    batch_size : int, default 256
        Inputs per forward pass when extracting features (model form).
    metrics_max_points : int, default 20000
        Trustworthiness and kNN preservation are computed up to this many points.
    metrics_k : int, optional
        Neighbours in the quality scores (default 10, below N / 2).
    embedding : array-like, optional
        An (N, 2) embedding to draw instead of running t-SNE (see :meth:`from_embedding`).
    run : bool, default True
        ``False`` shows the PCA start without optimising.
    view : {"points", "images", "grid"}, default "points"
        ``"images"``: every thumbnail at its position, as many as fit without overlap, more as you
        zoom in; ``"grid"``: thumbnails snapped to a regular grid (see
        :func:`~nbviz.embedding.snap_to_grid`; at most 3,000 points, a fixed subsample beyond).
    top_classes : int, default 20
        Categories that keep their own colour; with more (a 1,000-class model's predictions) the
        most frequent ones do and the rest share a grey "other" legend entry.
    **kwargs : Any
        Other traits' initial values; an unknown name raises ``TypeError``.
    """

    _bundle = "tsne"

    # optimisation settings
    perplexity = traitlets.Float(30.0).tag(sync=True)
    max_perplexity = traitlets.Float(100.0).tag(sync=True)
    learning_rate = traitlets.Float(0.0).tag(sync=True)  # 0 = "auto" (N / exaggeration)
    exaggeration = traitlets.Float(12.0).tag(sync=True)
    n_iter = traitlets.Int(750).tag(sync=True)
    seed = traitlets.Int(0).tag(sync=True)
    init = traitlets.Unicode("pca").tag(sync=True)
    can_run = traitlets.Bool(True).tag(sync=True)
    # the frame shown and the run's curve
    positions = Array()
    frame = traitlets.Int(0).tag(sync=True)
    live = traitlets.Bool(True).tag(sync=True)
    iterations = Array()
    kl = Array()
    early_iter = traitlets.Int(0).tag(sync=True)
    converged_at = traitlets.Int(None, allow_none=True).tag(sync=True)  # the finished run met its convergence rule here
    last_iteration = traitlets.Int(None, allow_none=True).tag(sync=True)  # the finished run's last iteration (None: running)
    # points: colours, names, thumbnails, selection
    color_by = traitlets.Unicode("label").tag(sync=True)
    color_options = traitlets.List(traitlets.Unicode()).tag(sync=True)
    color_codes = Array()
    palette = Array()
    legend = traitlets.List(traitlets.Unicode()).tag(sync=True)
    continuous = traitlets.Bool(False).tag(sync=True)
    labels = Array()
    predictions = Array()
    class_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    thumbnails = Array()
    selected = traitlets.List(traitlets.Int()).tag(sync=True)
    # new points placed on the map (add_points): (M, 2) positions, legend name, hover names, selection
    new_positions = Array()
    new_name = traitlets.Unicode("").tag(sync=True)
    new_labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    new_thumbnails = Array()
    new_selected = traitlets.List(traitlets.Int()).tag(sync=True)
    # image map and snap to grid
    view = traitlets.Unicode("points").tag(sync=True)
    grid_positions = Array()
    grid_note = traitlets.Unicode("").tag(sync=True)
    # handouts (see precompute): every frame of the run, uint16 per frame over its own extent
    handout_frames = Array()
    handout_extent = Array()
    # quality of the finished run and small multiples
    trustworthiness = traitlets.Float(None, allow_none=True).tag(sync=True)
    knn_preservation = traitlets.Float(None, allow_none=True).tag(sync=True)
    metrics_k = traitlets.Int(10).tag(sync=True)
    perplexities = traitlets.List(traitlets.Float()).tag(sync=True)
    multiples = Array()
    multiple_perplexities = traitlets.List(traitlets.Float()).tag(sync=True)
    multiple_kl = traitlets.List(traitlets.Float()).tag(sync=True)

    def __init__(
        self,
        X: Any = None,
        labels: Any = None,
        images: Any = None,
        class_names: Sequence[Any] | None = None,
        *,
        color_by: Any = "label",
        perplexity: float | None = None,
        max_perplexity: float | None = None,
        n_iter: int = 750,
        early_iter: int | None = None,
        exaggeration: float = 12.0,
        learning_rate: float | str = "auto",
        seed: int = 0,
        perplexities: Sequence[float] | None = None,
        snapshot_every: int = 10,
        pool: str = "flatten",
        batch_size: int = 256,
        metrics_max_points: int = 20_000,
        metrics_k: int | None = None,
        embedding: Any = None,
        run: bool = True,
        view: str = "points",
        top_classes: int = DEFAULT_TOP,
        **kwargs: Any,
    ) -> None:
        # plain attributes the observers read are set before super().__init__ (traits fire from kwargs)
        self._X: np.ndarray | None = None
        self._features: tuple[nn.Module, Any, str, str, int] | None = None
        self._session: TSNESession | None = None
        self._result: TSNEResult | None = None
        self._small: SmallMultiples | None = None
        self._frames = FrameBuffer()
        self._showing = False
        self._colorings: dict[str, Coloring] = {}
        self._top = check_top(top_classes)
        self._class_names = None if class_names is None else [str(c) for c in class_names]
        self._snapshot_every = int(snapshot_every)
        self._early_iter = early_iter
        self._metrics_max_points = int(metrics_max_points)
        self._grid: GridLayout | None = None
        self._grid_points: np.ndarray | None = None
        self._grid_source: np.ndarray | None = None
        self._new: NewPoints | None = None
        # per run: (s from the request to its first frame sent, worker CPU s until then); benchmarks read it
        self._first_frames: list[tuple[float, float]] = []
        self._ready = False

        n, found = self._take_input(X, embedding, pool, batch_size)
        data_images = None if found is None else pictures_or_none(found.inputs)
        if found is not None and labels is None:
            labels = found.labels
            class_names = found.class_names if class_names is None else class_names
            self._class_names = None if class_names is None else [str(c) for c in class_names]
        images = data_images if images is None else images
        settings = run_settings(
            n, checked=X is not None, perplexity=perplexity, max_perplexity=max_perplexity, perplexities=perplexities,
            metrics_k=metrics_k, learning_rate=learning_rate, n_iter=n_iter,
        )
        super().__init__(exaggeration=float(exaggeration), seed=int(seed), can_run=X is not None, **settings, **kwargs)
        if n is not None:
            self._set_points(n, labels, images, color_by)
        if embedding is not None:
            self._show_static(embedding)
        self.observe(self._on_warm_setting, names=["perplexity", "learning_rate"])
        self.observe(self._on_fresh_setting, names=["exaggeration", "n_iter", "seed", "init"])
        self.observe(self._on_frame, names=["frame", "live"])
        self.observe(self._on_color_by, names=["color_by"])
        self.observe(self._on_view, names=["view"])
        self.on_msg(self._on_message)
        self.view = view
        self._ready = True
        if self.can_run:
            if run:
                self._request(warm=False)
            else:
                self._prepare()

    @classmethod
    def from_embedding(
        cls, embedding: Any, labels: Any = None, images: Any = None, class_names: Sequence[Any] | None = None, **kwargs: Any
    ) -> TSNEExplorer:
        """Draw a given (N, 2) embedding (pan, zoom, hover, lasso) without optimising anything.

        Parameters
        ----------
        embedding : array-like
            (N, 2) positions.
        labels, images, class_names : optional
            As for :class:`TSNEExplorer`.
        **kwargs : Any
            Other :class:`TSNEExplorer` arguments (``color_by``, ``view``, ``top_classes``, …).

        Returns
        -------
        TSNEExplorer
        """
        return cls(None, labels, images, class_names, embedding=embedding, **kwargs)

    # -- public ------------------------------------------------------------------------------
    @property
    def n_points(self) -> int:
        """How many points the map shows (N): rows of ``X``, items of ``data`` or rows of the embedding."""
        return self._n_points()

    @property
    def session(self) -> TSNESession | None:
        """The :class:`~nbviz.embedding.TSNESession` (kNN graph, current embedding), once built."""
        return self._session

    @property
    def result(self) -> TSNEResult | None:
        """The last finished run (snapshots, iterations, KL, params)."""
        return self._result

    @property
    def small_multiples(self) -> SmallMultiples | None:
        """The last small-multiples result (see :meth:`show_small_multiples`)."""
        return self._small

    def precompute(  # type: ignore[override]  # keyword-only settings of its own; takes no other explorers' options
        self, *, multiples: bool = True, perplexities: Sequence[float] | None = None, multiples_iter: int | None = None,
        grid: bool = True, timeout: float | None = 600.0,
    ) -> None:
        """Store what a handout (a saved page, no kernel) needs; blocks until done.

        Every snapshot of the current run goes to ``handout_frames`` ((S, N, 2) uint16, each frame
        quantised over its own extent, see :func:`quantise_frames`) and ``handout_extent`` ((S, 2, 2)
        float32 low/high corners).

        Parameters
        ----------
        multiples : bool, default True
            Compute the small multiples (skipped if already shown).
        perplexities : sequence of float, optional
            Their perplexities (default: the ``perplexities`` trait).
        multiples_iter : int, optional
            Iterations of each (default: ``n_iter``).
        grid : bool, default True
            Compute the snap-to-grid layout.
        timeout : float or None, default 600.0
            Seconds to wait for running work (``None``: no limit).
        """
        self.wait(timeout)
        if multiples and self.can_run and self.multiples is None:
            self.show_small_multiples(perplexities, multiples_iter)
        if grid:
            self._snap(self._grid_embedding())
        self.wait(timeout)
        if self.error:
            raise RuntimeError(f"precompute: {self.error}")
        frames, extent = quantise_frames(self.snapshots)
        with self.hold_sync():
            self.handout_frames, self.handout_extent = frames, extent
            self.live = True

    def rerun(self, seed: int | None = None) -> None:
        """Start again from a random layout with another seed, to show run-to-run variance.

        Parameters
        ----------
        seed : int, optional
            The new seed (default: the next one).
        """
        with self.hold_trait_notifications():
            self.init = "random"
            self.seed = self.seed + 1 if seed is None else int(seed)

    def show_small_multiples(self, perplexities: Sequence[float] | None = None, n_iter: int | None = None) -> None:
        """Fresh runs at each of ``perplexities`` from one kNN graph, shown side by side.

        Parameters
        ----------
        perplexities : sequence of float, optional
            Default: the ``perplexities`` trait.
        n_iter : int, optional
            Iterations of each run (default: ``n_iter``).
        """
        if not self.can_run:
            raise ValueError("show_small_multiples: this explorer has no points to embed (made from an embedding)")
        values = [float(p) for p in (self.perplexities if perplexities is None else perplexities)]
        n = self._n_points()
        values = [check_perplexity(p, n, argument="perplexities") for p in values]
        n_iter = self.n_iter if n_iter is None else int(n_iter)
        settings: dict[str, Any] = dict(n_iter=n_iter, early_iter=self._early(n_iter), exaggeration=self.exaggeration,
                        learning_rate=self._lr(), snapshot_every=max(self._snapshot_every, 50))

        def work(progress: Callable[..., Any]) -> SmallMultiples:
            session = self._ensure_session(progress)
            keep = session.embedding
            small = session.small_multiples(values, progress=progress, **settings)
            if keep is not None:
                session.embedding = keep  # the main view warm-starts from what it shows, not the last panel
            return small

        def done(small: SmallMultiples) -> None:
            self._small = small
            self.multiples = small.embeddings
            self.multiple_perplexities = [float(p) for p in small.perplexities]
            self.multiple_kl = [r.final_kl for r in small.results]
            self.max_perplexity = max(self.max_perplexity, self._session.max_perplexity if self._session else 0.0)

        self.run("multiples", work, done)

    # -- the model's weights changed ----------------------------------------------------------
    def _refresh(self) -> None:
        """Features from the model's weights now: a new session (kNN graph), then a fresh run."""
        if self._features is None:
            return
        self._X, self._session = None, None
        self._colorings.pop("prediction", None)
        if self.can_run:
            self._request(warm=False)
        else:
            self._prepare()

    # -- compute through the worker ----------------------------------------------------------
    def _ensure_session(self, progress: Callable[..., Any]) -> TSNESession:
        """Features (model form) and the session with its kNN graph for ``max_perplexity`` — built once."""
        if self._session is None:
            X = self._X
            if X is None:
                assert self._features is not None  # no X: the (model, data, layer) form
                model, data, layer, pool, batch_size = self._features
                X = extract_features(model, data, layer, batch_size=batch_size, pool=pool, progress=progress)
                self._X = check_distinct(check_points(X, argument=f"features of {layer!r}"), argument=f"features of {layer!r}")
                if "prediction" in self.color_options:
                    self._colorings["prediction"] = self._predict(model, data, progress)
            session = TSNESession(self._X, seed=self.seed, max_perplexity=self.max_perplexity)
            session.affinities(self.perplexity, progress)  # the graph for the slider's maximum, P for its value
            self._session = session
        return self._session

    def _prepare(self) -> None:
        """Build features and the kNN graph, show the PCA start (``run=False``)."""

        def work(progress: Callable[..., Any]) -> np.ndarray:
            session = self._ensure_session(progress)
            from openTSNE import initialization

            return initialization.pca(session.X, 2, random_state=self.seed).astype(np.float32)

        def done(start: np.ndarray) -> None:
            self._show_static(start)
            if self.view == "grid":
                self._snap(self._grid_embedding())
            if self.color_by == "prediction":
                self._show_coloring()

        self.run("tsne", work, done)

    def _request(self, warm: bool) -> None:
        """Start a run with the current settings; a newer request stops this one at its next frame."""
        perplexity, n_iter, seed, init = self.perplexity, self.n_iter, self.seed, self.init
        requested = time.perf_counter()
        settings: dict[str, Any] = dict(
            n_iter=n_iter, early_iter=None if warm else self._early(n_iter), exaggeration=self.exaggeration,
            learning_rate=self._lr(), seed=seed, warm_start=warm, init=None if warm else init,
            snapshot_every=self._snapshot_every,
        )
        self.cancel("metrics")
        self.cancel("multiples")
        self.live = True  # a new run is followed as it streams

        def work(progress: Callable[..., Any]) -> TSNEResult:
            cpu = time.thread_time()
            session = self._ensure_session(progress)
            if self.color_by == "prediction" and self.color_codes is None:
                self._show_coloring()
            self._start_frames(n_iter)
            self.new_positions = None  # the map moves: new points are placed again on the finished one
            sender = FrameSender(self._send_frames, self._n_points())

            def callback(iteration: int, kl: float, positions: np.ndarray) -> bool:
                self._frames.add(iteration, kl, positions)
                sender.maybe_send()
                if len(self._frames) == 1:
                    self._first_frames.append((time.perf_counter() - requested, time.thread_time() - cpu))
                return progress(iteration / max(n_iter, 1), f"t-SNE iteration {iteration}/{n_iter}") is not False

            result = session.run(perplexity, callback=callback, progress=progress, **settings)
            if result.params["stopped"]:
                raise Cancelled("a newer request arrived")
            return result

        self.run("tsne", work, self._finish)

    def _finish(self, result: TSNEResult) -> None:
        self._result = result
        self._frames.replace(list(result.snapshots), cast(Sequence[int], result.iterations), cast(Sequence[float], result.kl))
        with self.hold_sync():
            self.early_iter = int(result.params["early_iter"])
            self.converged_at = None if result.converged_at is None else int(result.converged_at)
            self.last_iteration = int(result.iterations[-1])
        self._send_frames()
        self._place_new_points()
        if self.view == "grid":
            self._snap(result.embedding)
        X = self._X
        if X is None or X.shape[0] > self._metrics_max_points:
            self.trustworthiness = self.knn_preservation = None
            return
        Y, k = result.embedding, self.metrics_k

        def work(progress: Callable[..., Any]) -> tuple[float, float]:
            return trustworthiness(X, Y, k, progress=progress), knn_preservation(X, Y, k, progress=progress)

        def done(scores: tuple[float, float]) -> None:
            self.trustworthiness, self.knn_preservation = scores

        self.run("metrics", work, done)

    # -- observers -----------------------------------------------------------------------------
    def _on_warm_setting(self, change: Any) -> None:
        if self.can_run:
            self._check_setting(change)
            self._request(warm=True)

    def _on_fresh_setting(self, change: Any) -> None:
        if self.can_run:
            self._check_setting(change)
            self._request(warm=False)

    def _check_setting(self, change: Any) -> None:
        if change["name"] == "perplexity" and change["new"] > self.max_perplexity:
            self.max_perplexity = change["new"]  # the session rebuilds its kNN graph for it

    def _on_color_by(self, change: Any) -> None:
        if self._ready:
            if change["new"] not in self.color_options:
                raise ValueError(f"color_by: expected one of {self.color_options}, got {change['new']!r}")
            self._show_coloring()

    def _on_message(self, widget: Any, content: Any, buffers: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "new_seed":
            self.rerun()
        elif kind == "multiples":
            self.show_small_multiples()

    # -- settings ------------------------------------------------------------------------------
    def _lr(self) -> float | str:
        return "auto" if self.learning_rate <= 0 else float(self.learning_rate)

    def _early(self, n_iter: int) -> int:
        if self._early_iter is not None:
            return min(int(self._early_iter), n_iter)
        return min(250, int(round(n_iter / 3)))
