"""An interactive t-SNE session: one kNN graph re-weighted per perplexity, warm starts, small multiples.

The expensive part of t-SNE (nearest neighbours) is built once for the largest perplexity asked so
far, with 3 × perplexity neighbours as openTSNE does; a smaller perplexity only re-weights that graph
(openTSNE's ``PerplexityBasedNN.set_perplexity``), and the previous perplexity's P is kept, so going
back costs nothing. Runs can warm-start from the current positions so points move continuously when
perplexity changes; a warm run's first frame comes after one step. All methods take ``progress``
(return ``False`` to cancel; a run asks before every iteration) and hold a lock, so a widget can
cancel a stale run and start the newest one.

Length: ~480 lines, above the house's ~400, for a stated reason: one class, :class:`TSNESession`,
most of it the per-parameter documentation of ``run``, ``transform`` and ``small_multiples``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._progress import Progress, report
from ._adaptive import AdaptiveGradient
from ._cancel import Asker, cancellable
from ._convergence import DEFAULT_TOL, Convergence, check_stop
from ._kl import objective
from ._knn import knn_method
from ._locality import local_order
from ._optimize import Phase, TSNECallback, gradient_method, run_phases
from ._validate import check_distinct, check_perplexity, check_points
from .result import SmallMultiples, TSNEResult

__all__ = ["TSNESession"]

INITIAL_MOMENTUM = 0.8  # openTSNE's defaults for both phases
FINAL_MOMENTUM = 0.8
DEFAULT_N_ITER = 750  # at most: runs stop at convergence (see _convergence.py)
# Early exaggeration: openTSNE's 250 iterations are more than the clusters need to form. Measured on
# 10,000 points (50-D gaussian mixture, benchmarks/tsne.py): after 125 the KL first comes within 1 % of
# openTSNE's 250 + 500 result at iteration 465 (CPU 0.48× openTSNE's run), with trustworthiness 0.0006
# below it; after 250 only at iteration 600.
DEFAULT_EARLY_ITER = 125
DEFAULT_WARM_ITER = 500  # at most, for a warm start (no exaggeration)
# A warm start's first frame comes at iteration 2, not after snapshot_every: openTSNE calls back before
# it applies that iteration's step, so iteration 2 is the first with moved positions (and the KL of the
# new P). On 10,000 points an iteration costs ~85 ms of CPU, so the first frame no longer waits for ten.
FIRST_WARM_FRAME = 2


class TSNESession:
    """t-SNE on fixed points ``X`` (N, D) for interactive use.

    Parameters
    ----------
    X : array-like or torch.Tensor
        The (N, D) points (at least 5, finite, not all identical); kept as a float64 copy.
    seed : int, default 0
        Seeds the kNN index and the initialisation (a non-negative integer).
    init : {"pca", "random", "spectral"} or numpy.ndarray, default "pca"
        Start of a fresh run, or a finite (N, 2) array of positions (use ``"random"`` to show
        run-to-run variance across seeds).
    neighbors : str, default "auto"
        openTSNE's kNN method (``"auto"``: exact up to 150,000 points, Annoy above, see ``_knn.py``; ``"exact"``,
        ``"annoy"``, ``"pynndescent"``...).
    negative_gradient_method : {"auto", "fft", "bh"}, default "auto"
        ``"auto"`` picks Barnes-Hut below 5,000 points (measured crossover) and from 5,000 starts with FFT,
        moving to Barnes-Hut while it is the cheaper on the spreading map (timed, see ``_adaptive.py``;
        so such runs with one seed can differ slightly: ``"fft"`` or ``"bh"`` repeat exactly).
    n_jobs : int, default 1
        Threads openTSNE may use for the kNN graph and the gradients.
    theta : float, default 0.5
        Barnes-Hut's accuracy trade-off (0: exact, larger: faster and coarser); unused by FFT.
    max_perplexity : float or None, default None
        Build the kNN graph once, at its first use, for this perplexity (3 × it neighbours), so every
        perplexity up to it only re-weights the graph (a slider's maximum); ``None``: for the largest
        perplexity asked so far, rebuilt when a larger one comes.
    """

    def __init__(
        self,
        X: Any,
        seed: int = 0,
        *,
        init: str | np.ndarray = "pca",
        neighbors: str = "auto",
        negative_gradient_method: str = "auto",
        n_jobs: int = 1,
        theta: float = 0.5,
        max_perplexity: float | None = None,
    ) -> None:
        self.X = check_distinct(check_points(X))
        self.seed = _check_seed(seed)
        self.init = _check_init(init, self.n_points)
        self.neighbors = neighbors
        self.method = gradient_method(self.n_points, negative_gradient_method)
        # "auto" on FFT's side of the crossover: FFT or Barnes-Hut, whichever is cheaper on the map as it spreads
        self.adaptive = negative_gradient_method == "auto" and self.method == "fft"
        self.n_jobs = int(n_jobs)
        self.theta = float(theta)
        self.embedding: np.ndarray | None = None  # current positions (N, 2) float64
        self.result: TSNEResult | None = None  # the last completed or stopped run
        self._affinities: Any = None  # openTSNE PerplexityBasedNN
        # P of the perplexity shown before, kept so that going back (30 → 50 → 30) skips the re-weighting
        # (~0.4 s of CPU on 10,000 points); perplexity → (effective perplexity, P)
        self._previous: dict[float, tuple[float, Any]] = {}
        self._max_perplexity = 0.0
        self._planned_max = 0.0 if max_perplexity is None else check_perplexity(max_perplexity, self.n_points, argument="max_perplexity")
        self._embedding_seed: int | None = None
        self._settled = False  # the current positions went through early exaggeration
        self._chooser: AdaptiveGradient | None = None  # FFT or Barnes-Hut as the last run ended (adaptive only)
        self._lock = threading.RLock()

    @property
    def n_points(self) -> int:
        return int(self.X.shape[0])

    @property
    def max_perplexity(self) -> float:
        """The largest perplexity the stored kNN graph serves (0 before the first run)."""
        return self._max_perplexity

    @property
    def n_neighbors(self) -> int:
        """Neighbours per point in the stored kNN graph (0 before the first run)."""
        return int(self._affinities.knn_index.k) if self._affinities is not None else 0

    # -- affinities ------------------------------------------------------------------------
    def affinities(self, perplexity: float, progress: Progress | None = None) -> Any:
        """The symmetric affinity matrix P (scipy CSR, N×N, sums to 1) at ``perplexity``.

        Builds the kNN graph (3 × perplexity neighbours) only when ``perplexity`` exceeds every
        perplexity asked before; otherwise re-weights the stored graph.

        Parameters
        ----------
        perplexity : float
            Effective number of neighbours: at least 1 and below (N − 1) / 3.
        progress : callable or None, default None
            ``progress(fraction, message)``; returning ``False`` raises :class:`~nbviz._progress.Cancelled`.

        Returns
        -------
        scipy.sparse.csr_matrix
            P, (N, N), symmetric, summing to 1.
        """
        with self._lock:
            return self._affinities_at(perplexity, progress).P

    def _affinities_at(self, perplexity: float, progress: Progress | None) -> Any:
        from openTSNE.affinity import PerplexityBasedNN

        perplexity = check_perplexity(perplexity, self.n_points)
        if self._affinities is None or perplexity > self._max_perplexity:
            top = max(perplexity, self._planned_max)
            report(progress, 0.0, f"finding {int(3 * top)} nearest neighbours of {self.n_points} points")
            self._affinities = PerplexityBasedNN(
                self.X,
                perplexity=top,
                method=knn_method(self.neighbors, self.X, top, self.n_jobs, self.seed),
                n_jobs=self.n_jobs,
                random_state=self.seed,
            )
            self._max_perplexity = top
            self._previous = {}
        if perplexity != self._affinities.perplexity:
            shown = self._affinities
            kept = self._previous.get(perplexity)
            self._previous = {shown.perplexity: (shown.effective_perplexity_, shown.P)}
            if kept is not None:  # the same values openTSNE's set_perplexity would compute again
                shown.perplexity, (shown.effective_perplexity_, shown.P) = perplexity, kept
            else:
                report(progress, 0.0, f"re-weighting the kNN graph for perplexity {perplexity:g}")
                shown.set_perplexity(perplexity)
        return self._affinities

    # -- runs ------------------------------------------------------------------------------
    def run(
        self,
        perplexity: float = 30,
        *,
        n_iter: int | None = None,
        early_iter: int | None = None,
        exaggeration: float = 12,
        final_exaggeration: float = 1,
        learning_rate: float | str = "auto",
        seed: int | None = None,
        warm_start: bool = True,
        init: str | np.ndarray | None = None,
        snapshot_every: int = 10,
        callback: TSNECallback | None = None,
        progress: Progress | None = None,
        stop: str = "converged",
        tol: float = DEFAULT_TOL,
    ) -> TSNEResult:
        """Optimise an embedding at ``perplexity``; returns a :class:`TSNEResult` with frames.

        A fresh run starts from ``init`` (default the session's) with early exaggeration. With
        ``warm_start`` and a settled current embedding of the same ``seed``, the run continues from the
        current positions instead (no early exaggeration unless asked), so points move continuously.
        A different ``seed`` (or an explicit ``init``) always starts fresh. The session's
        ``embedding`` follows every frame, so a cancelled run leaves the points where they were drawn.

        Parameters
        ----------
        perplexity : float, default 30
            Effective number of neighbours; the kNN graph is rebuilt only above its maximum.
        n_iter : int or None, default None
            Most iterations in all (with ``stop="fixed"``: exactly this many). ``None``: 750 for a
            fresh run, 500 for a warm start.
        early_iter : int or None, default None
            The first iterations, run with ``exaggeration``. ``None``: 125 (at most ``n_iter``) for a
            fresh run, 0 for a warm start.
        exaggeration : float, default 12
            Early exaggeration of the attraction.
        final_exaggeration : float, default 1
            Exaggeration after the early phase.
        learning_rate : float or "auto", default "auto"
            ``"auto"`` is N / exaggeration in each phase (openTSNE's rule).
        seed : int or None, default None
            Seed of the initialisation (``None``: the session's).
        warm_start : bool, default True
            Continue from the current positions when they are settled and of the same seed.
        init : str, numpy.ndarray or None, default None
            Start of a fresh run (``None``: the session's ``init``); forces a fresh run.
        snapshot_every : int, default 10
            Iterations between frames (positions and the true KL(P‖Q) of the un-exaggerated P).
        callback : callable or None, default None
            ``callback(iteration, kl, positions)`` at every frame; returning ``False`` stops the run
            and returns the frames so far.
        progress : callable or None, default None
            ``progress(fraction, message)``, asked again before every iteration; returning ``False``
            raises :class:`~nbviz._progress.Cancelled` within one iteration.
        stop : {"converged", "fixed"}, default "converged"
            ``"converged"`` ends the run at the first frame after exaggeration where the KL fell by
            less than ``tol`` of itself over the last 50 iterations (or at ``n_iter``), and records that
            iteration in ``result.converged_at``; ``"fixed"`` runs all ``n_iter`` iterations.
        tol : float, default 4e-3
            Relative KL decrease over 50 iterations below which the map counts as converged.

        Returns
        -------
        TSNEResult
            Frames, KL curve, ``converged_at`` (or ``None``) and the settings used.
        """
        from openTSNE import TSNEEmbedding

        seed = self.seed if seed is None else _check_seed(seed)
        stop, tol = check_stop(stop, tol)
        with self._lock:
            affinities = self._affinities_at(perplexity, progress)
            warm = (
                warm_start
                and init is None
                and self.embedding is not None
                and self._settled
                and seed == self._embedding_seed
            )
            n_iter = (DEFAULT_WARM_ITER if warm else DEFAULT_N_ITER) if n_iter is None else n_iter
            if early_iter is None:
                early_iter = 0 if warm else min(DEFAULT_EARLY_ITER, n_iter) if isinstance(n_iter, int) else DEFAULT_EARLY_ITER
            phases = _phases(n_iter, early_iter, exaggeration, final_exaggeration, learning_rate)
            if warm:
                start, init_name = np.array(self.embedding, dtype=np.float64), "warm"
            else:
                start, init_name = self._initial(init if init is not None else self.init, seed, affinities)
            chooser = AdaptiveGradient(self.n_points, self.method) if self.adaptive else None
            if chooser is not None and warm and self._chooser is not None:
                chooser.continue_from(self._chooser)  # the map it spread on is the one this run continues
            self._chooser = chooser
            method = chooser if chooser is not None else objective(self.method, self.n_points)
            if progress is not None:  # a newer request stops the run within one iteration, not at its next frame
                progress = Asker(progress)
                method = cancellable(method, progress)
            order = local_order(affinities.P)  # neighbours numbered close together: faster attraction (see _locality)
            embedding = TSNEEmbedding(
                order.to_local(start) if order is not None else start,
                order.affinities() if order is not None else affinities,
                negative_gradient_method=method,
                n_jobs=self.n_jobs,
                theta=self.theta,
                random_state=seed,
            )

            def follow(iteration: int, frame: np.ndarray) -> None:
                self.embedding = frame.astype(np.float64)
                self._embedding_seed = seed
                self._settled = warm or iteration >= early_iter

            convergence = Convergence(tol=tol, after=int(early_iter)) if stop == "converged" else None
            frames = run_phases(
                embedding, phases, snapshot_every=snapshot_every, callback=callback, progress=progress, on_frame=follow,
                convergence=convergence, first_frame=FIRST_WARM_FRAME if warm else 0, order=order,
            )
            result = TSNEResult(
                embedding=frames.snapshots[-1],
                snapshots=np.stack(frames.snapshots),
                iterations=np.asarray(frames.iterations, dtype=np.int64),
                kl=np.asarray(frames.kl, dtype=np.float64),
                converged_at=frames.converged_at,
                params=dict(
                    perplexity=float(perplexity),
                    n_iter=int(n_iter),
                    early_iter=int(early_iter),
                    exaggeration=float(exaggeration),
                    final_exaggeration=float(final_exaggeration),
                    learning_rate=learning_rate,
                    init=init_name,
                    seed=seed,
                    snapshot_every=int(snapshot_every),
                    engine="openTSNE",
                    negative_gradient_method=self.method,
                    gradient_switches=list(chooser.switches) if chooser is not None else [(0, self.method)],
                    n_neighbors=self.n_neighbors,
                    stopped=frames.stopped,
                    stop=stop,
                    tol=tol,
                ),
            )
            self.result = result
            result._session = self  # type: ignore[attr-defined]  # so that result.transform can place new points on this map
            return result

    def transform(self, X_new: Any, result: TSNEResult | None = None, *, perplexity: float = 5.0, n_iter: int = 250) -> np.ndarray:
        """Place new points on a finished map without moving it (openTSNE's ``transform``).

        Each new point starts at the median position of its nearest points in the map and is then
        optimised against the fixed map (the map's points do not move).

        Parameters
        ----------
        X_new : array-like or torch.Tensor
            (M, D) new points in the space of the session's ``X`` (the same features).
        result : TSNEResult or None, default None
            The map to place them on, a run of this session (``None``: the session's last run).
        perplexity : float, default 5.0
            Of the new points' affinities to the map's points (openTSNE's default 5: a new point
            should land among its nearest neighbours, not between clusters).
        n_iter : int, default 250
            Optimisation steps of the new points.

        Returns
        -------
        numpy.ndarray
            (M, 2) float32 positions in the map's coordinates.
        """
        from openTSNE import TSNEEmbedding

        result = self.result if result is None else result
        if result is None:
            raise ValueError("result: no map yet; run the session (or pass a TSNEResult of it) first")
        if result.embedding.shape[0] != self.n_points:
            raise ValueError(f"result: a map of {result.embedding.shape[0]} points, but this session has {self.n_points}")
        X_new = check_points(X_new, argument="X_new", min_points=1)
        if X_new.shape[1] != self.X.shape[1]:
            raise ValueError(f"X_new: expected points with {self.X.shape[1]} features (as the map's), got {X_new.shape[1]}")
        with self._lock:
            affinities = self._affinities_at(float(result.params.get("perplexity", self._max_perplexity)), None)
            embedding = TSNEEmbedding(
                np.array(result.embedding, dtype=np.float64), affinities, negative_gradient_method=self.method,
                n_jobs=self.n_jobs, theta=self.theta, random_state=self.seed,
            )  # fmt: skip
            placed = embedding.transform(X_new, perplexity=float(perplexity), n_iter=int(n_iter))
        return np.asarray(placed, dtype=np.float32)

    def small_multiples(
        self,
        perplexities: Sequence[float] = (2, 5, 30, 50, 100),
        *,
        n_iter: int = DEFAULT_N_ITER,
        early_iter: int = DEFAULT_EARLY_ITER,
        exaggeration: float = 12,
        learning_rate: float | str = "auto",
        snapshot_every: int = 50,
        progress: Progress | None = None,
    ) -> SmallMultiples:
        """Fresh runs at each perplexity (same seed and init) from one kNN graph built for the largest.

        Perplexities not below (N − 1) / 3 raise ``ValueError`` before any work starts.

        Parameters
        ----------
        perplexities : sequence of float, default (2, 5, 30, 50, 100)
            The perplexities, one run each, in this order (at least one).
        n_iter : int, default 750
            Iterations of each run, at most (each stops at convergence, as :meth:`run`).
        early_iter : int, default 125
            Early-exaggeration iterations of each run.
        exaggeration : float, default 12
            Early exaggeration of the attraction.
        learning_rate : float or "auto", default "auto"
            ``"auto"`` is N / exaggeration in each phase (openTSNE's rule).
        snapshot_every : int, default 50
            Iterations between the frames each run keeps.
        progress : callable or None, default None
            ``progress(fraction, message)`` over all the runs; returning ``False`` raises
            :class:`~nbviz._progress.Cancelled`.

        Returns
        -------
        SmallMultiples
            The runs, ``results[i]`` at ``perplexities[i]``.
        """
        values = [check_perplexity(p, self.n_points, argument="perplexities") for p in perplexities]
        if not values:
            raise ValueError("perplexities: expected at least one perplexity")
        with self._lock:
            self._affinities_at(max(values), progress)  # the one kNN graph
            results = []
            for i, p in enumerate(values):
                part = _sub_progress(progress, i / len(values), 1 / len(values), f"perplexity {p:g}: ")
                results.append(
                    self.run(
                        p,
                        n_iter=n_iter,
                        early_iter=early_iter,
                        exaggeration=exaggeration,
                        learning_rate=learning_rate,
                        warm_start=False,
                        snapshot_every=snapshot_every,
                        progress=part,
                    )
                )
            return SmallMultiples(perplexities=np.asarray(values, dtype=np.float64), results=results)

    # -- helpers ---------------------------------------------------------------------------
    def _initial(self, init: str | np.ndarray, seed: int, affinities: Any) -> tuple[np.ndarray, str]:
        from openTSNE import initialization

        init = _check_init(init, self.n_points)
        if isinstance(init, np.ndarray):
            return np.array(init, dtype=np.float64), "array"
        if init == "pca":
            return initialization.pca(self.X, 2, random_state=seed), init
        if init == "random":
            return initialization.random(self.n_points, 2, random_state=seed), init
        return initialization.spectral(affinities.P, 2, random_state=seed), init


def _phases(n_iter: int, early_iter: int, exaggeration: float, final_exaggeration: float, learning_rate: Any) -> list[Phase]:
    for name, value in (("n_iter", n_iter), ("early_iter", early_iter)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{name}: expected a non-negative integer, got {value!r}")
    if n_iter < 1:
        raise ValueError(f"n_iter: expected at least 1 iteration, got {n_iter}")
    if early_iter > n_iter:
        raise ValueError(f"early_iter: must not exceed n_iter ({n_iter}), got {early_iter}")
    for name, number in (("exaggeration", exaggeration), ("final_exaggeration", final_exaggeration)):
        if not isinstance(number, (int, float, np.number)) or not np.isfinite(number) or number <= 0:
            raise ValueError(f"{name}: expected a positive number, got {number!r}")
    if not (learning_rate == "auto" or (isinstance(learning_rate, (int, float)) and learning_rate > 0)):
        raise ValueError(f"learning_rate: expected 'auto' or a positive number, got {learning_rate!r}")
    return [
        Phase(int(early_iter), float(exaggeration), INITIAL_MOMENTUM, learning_rate),
        Phase(int(n_iter - early_iter), float(final_exaggeration), FINAL_MOMENTUM, learning_rate),
    ]


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    return int(seed)


def _check_init(init: Any, n_points: int) -> str | np.ndarray:
    if isinstance(init, str):
        if init not in ("pca", "random", "spectral"):
            raise ValueError(f"init: expected 'pca', 'random', 'spectral' or an (N, 2) array, got {init!r}")
        return init
    array = np.asarray(init, dtype=np.float64)
    if array.shape != (n_points, 2) or not np.isfinite(array).all():
        raise ValueError(f"init: expected a finite ({n_points}, 2) array, got shape {array.shape}")
    return array


def _sub_progress(progress: Progress | None, start: float, width: float, prefix: str) -> Progress | None:
    if progress is None:
        return None

    def part(fraction: float, message: str) -> bool | None:
        return progress(start + width * fraction, prefix + message)

    return part
