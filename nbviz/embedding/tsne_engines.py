"""One-call t-SNE with frames streamed while it optimises, on openTSNE or (fallback) scikit-learn.

Named ``tsne_engines`` so that the module does not shadow the ``nbviz.embedding.tsne`` function.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from .._progress import Progress, report, with_progress_bar
from ._convergence import DEFAULT_TOL, check_stop
from ._optimize import TSNECallback
from ._validate import check_distinct, check_perplexity, check_points
from .result import TSNEResult

__all__ = ["tsne"]

SKLEARN_EARLY_ITER = 250  # fixed inside scikit-learn's TSNE


@with_progress_bar("t-SNE")
def tsne(
    X: Any,
    perplexity: float = 30,
    n_iter: int = 750,
    exaggeration: float = 12,
    early_iter: int | None = None,
    learning_rate: float | str = "auto",
    init: str | np.ndarray = "pca",
    seed: int = 0,
    snapshot_every: int = 10,
    callback: TSNECallback | None = None,
    engine: str = "auto",
    progress: Progress | None = None,
    *,
    final_exaggeration: float = 1,
    neighbors: str = "auto",
    negative_gradient_method: str = "auto",
    n_jobs: int = 1,
    stop: str = "converged",
    tol: float = DEFAULT_TOL,
) -> TSNEResult:
    """Embed ``X`` (N, D) in 2-D with t-SNE, streaming frames while it optimises.

    Every KL reported (frames, callback, result) is the true KL(P‖Q) of the un-exaggerated P at that
    frame's positions (exact up to 700 points; above, with an FFT-interpolated normaliser, or Barnes-Hut's
    when a spread map is optimised by Barnes-Hut, see ``_adaptive.py``).

    Parameters
    ----------
    X : array_like
        (N, D) finite points that differ (all-identical points are an error, see
        :func:`._validate.check_distinct`).
    perplexity : float, default 30
        Effective number of neighbours, at least 1 and below (N − 1) / 3.
    n_iter : int, default 750
        Most iterations in all (exactly this many with ``stop="fixed"``).
    exaggeration : float, default 12
        Early exaggeration of the attraction.
    early_iter : int or None, default None
        Iterations run with ``exaggeration``; ``None``: 125 (at most ``n_iter``), 250 with scikit-learn.
    learning_rate : float or "auto", default "auto"
        ``"auto"`` is N / exaggeration per phase (scikit-learn: max(N / exaggeration / 4, 50)).
    init : str or numpy.ndarray, default "pca"
        ``"pca"``, ``"random"``, ``"spectral"`` or an (N, 2) array.
    seed : int, default 0
        Seeds the kNN index and the initialisation (a run repeats exactly, except from 5,000 points
        with ``negative_gradient_method="auto"``, see there).
    snapshot_every : int, default 10
        Iterations between frames (positions and KL, which is evaluated only then).
    callback : callable or None, default None
        ``callback(iteration, kl, positions)`` at every frame; returning ``False`` stops and returns
        the frames so far.
    engine : str, default "auto"
        ``"opentsne"`` (the default when installed) or ``"sklearn"`` (scikit-learn's Barnes-Hut TSNE:
        only the final frame, ``early_iter`` must be 250, ``stop``/``tol`` do not apply as it has its
        own rule on the gradient norm).
    progress : callable or None, default None
        ``progress(fraction, message)``; returning ``False`` raises :class:`~nbviz._progress.Cancelled`.
    final_exaggeration : float, default 1
        Exaggeration after the early phase.
    neighbors : str, default "auto"
        openTSNE's kNN method; "auto" is exact up to 150,000 points, Annoy above (see ``_knn.py``).
    negative_gradient_method : str, default "auto"
        ``"bh"`` (Barnes-Hut), ``"fft"`` (interpolation) or ``"auto"``: Barnes-Hut below 5,000 points; from
        5,000 FFT, switching to Barnes-Hut while that is the cheaper on the spreading map (timed on it).
        The switches follow measured times, so from 5,000 points two ``"auto"`` runs with the same
        ``seed`` can take different paths and end on slightly different maps (the path taken is in
        ``result.params["gradient_switches"]``); pass ``"fft"`` or ``"bh"`` for a run that repeats exactly.
    n_jobs : int, default 1
        Threads of openTSNE (scikit-learn: of its neighbour search).
    stop : {"converged", "fixed"}, default "converged"
        ``"converged"`` ends the run at the first frame after exaggeration where the KL fell by less
        than ``tol`` of itself over the last 50 iterations (``result.converged_at`` is that
        iteration); ``"fixed"`` runs exactly ``n_iter`` iterations (``converged_at`` is ``None``).
    tol : float, default 4e-3
        Relative KL decrease over 50 iterations below which the map counts as converged.

    Returns
    -------
    TSNEResult
        Final positions, frames, KL curve, ``converged_at`` and the settings used.
    """
    X = check_distinct(check_points(X))
    perplexity = check_perplexity(perplexity, X.shape[0])
    stop, tol = check_stop(stop, tol)
    engine = _engine(engine)
    if engine == "sklearn":
        early_iter = SKLEARN_EARLY_ITER if early_iter is None else early_iter
        return _sklearn_tsne(
            X, perplexity, n_iter, exaggeration, early_iter, final_exaggeration, learning_rate, init, seed, callback, progress, n_jobs
        )
    from .session import TSNESession

    session = TSNESession(X, seed, init=init, neighbors=neighbors, negative_gradient_method=negative_gradient_method, n_jobs=n_jobs)
    return session.run(
        perplexity,
        n_iter=n_iter,
        early_iter=early_iter,
        exaggeration=exaggeration,
        final_exaggeration=final_exaggeration,
        learning_rate=learning_rate,
        warm_start=False,
        snapshot_every=snapshot_every,
        callback=callback,
        progress=progress,
        stop=stop,
        tol=tol,
    )


def _engine(engine: str) -> str:
    name = str(engine).lower()
    if name == "auto":
        return "opentsne" if importlib.util.find_spec("openTSNE") is not None else "sklearn"
    if name not in ("opentsne", "sklearn"):
        raise ValueError(f"engine: expected 'auto', 'openTSNE' or 'sklearn', got {engine!r}")
    return name


def _sklearn_tsne(
    X: np.ndarray,
    perplexity: float,
    n_iter: int,
    exaggeration: float,
    early_iter: int,
    final_exaggeration: float,
    learning_rate: float | str,
    init: Any,
    seed: int,
    callback: TSNECallback | None,
    progress: Progress | None,
    n_jobs: int,
) -> TSNEResult:
    from sklearn.manifold import TSNE

    if early_iter != SKLEARN_EARLY_ITER:
        raise ValueError(f"early_iter: scikit-learn's TSNE always uses {SKLEARN_EARLY_ITER} exaggerated iterations, got {early_iter}")
    if final_exaggeration != 1:
        raise ValueError("final_exaggeration: scikit-learn's TSNE has no late exaggeration; use engine='openTSNE'")
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < SKLEARN_EARLY_ITER:
        raise ValueError(f"n_iter: scikit-learn's TSNE needs at least {SKLEARN_EARLY_ITER} iterations, got {n_iter!r}")
    if isinstance(init, str) and init not in ("pca", "random"):
        raise ValueError(f"init: scikit-learn's TSNE takes 'pca', 'random' or an (N, 2) array, got {init!r}")
    report(progress, 0.0, f"scikit-learn t-SNE of {X.shape[0]} points (no intermediate frames)")
    model = TSNE(
        n_components=2,
        perplexity=perplexity,
        early_exaggeration=exaggeration,
        learning_rate=learning_rate,
        max_iter=int(n_iter),
        init=init,
        random_state=seed,
        method="barnes_hut",
        n_jobs=n_jobs,
    )
    positions = model.fit_transform(X).astype(np.float32)
    kl = float(model.kl_divergence_)
    iteration = int(model.n_iter_)
    stopped = False
    if callback is not None:
        stopped = callback(iteration, kl, positions) is False
    report(progress, 1.0, f"t-SNE done, KL {kl:.4f}")
    return TSNEResult(
        embedding=positions,
        snapshots=positions[None],
        iterations=np.array([iteration], dtype=np.int64),
        kl=np.array([kl]),
        params=dict(
            perplexity=perplexity,
            n_iter=int(n_iter),
            early_iter=SKLEARN_EARLY_ITER,
            exaggeration=float(exaggeration),
            final_exaggeration=1.0,
            learning_rate=learning_rate,
            init=init if isinstance(init, str) else "array",
            seed=seed,
            snapshot_every=None,
            engine="sklearn",
            negative_gradient_method="bh",
            stopped=stopped,
        ),
    )
