"""The t-SNE objective KL(P‖Q), evaluated where a frame is reported.

KL(P‖Q) = Σ p_ij log p_ij − Σ p_ij log w_ij + log Z, with w_ij = 1 / (1 + |y_i − y_j|²) and
Z = Σ_{i≠j} w_ij. The first two sums run over the sparse P; the normaliser Z runs over all pairs
and is what an approximation can get wrong.

openTSNE's Barnes-Hut estimate of Z fails on a collapsed map: its quad tree merges a point into any
node whose centre of mass lies within 1e-6 of it in every coordinate (``is_duplicate``), even an
inner node, and such a point never reaches a child. When the traversal opens that node the point's
``w`` is lost, so Z is too small and the KL too low. The PCA start has a spread of 1e-4 and early
exaggeration shrinks structureless data further (to ~1e-5 on 300 random points), so at the end of
exaggeration openTSNE reports 0.0 where the true KL is 2.107, and −1.02 just after; that is the
0.0 and the negative values the KL curve showed. (The exaggeration itself is handled right:
openTSNE's ``error / α − log α`` is exactly the KL of the un-exaggerated P.)

So the KL of a Barnes-Hut run is evaluated here instead: exactly, over all pairs, up to
:data:`EXACT_MAX_POINTS` points, and above that with openTSNE's FFT interpolation of Z (the same
interpolation its FFT gradient uses, 0.1 % from the exact value on 300 points). FFT runs keep
the value their gradient computes with Z, which is that interpolation (:mod:`._fft_gradient`, openTSNE's
method and grid). (On a spread map that interpolation is 3–4 % high;
runs that switch to Barnes-Hut there report its own normaliser instead, see :mod:`._adaptive`.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["EXACT_MAX_POINTS", "kl_divergence", "objective"]

# All-pairs Z costs N² kernel values per frame, the FFT interpolation a near-constant ~17 ms. Measured
# (300 Barnes-Hut iterations, a frame every 10, digits, loaded 2-core machine): on 1,000 points exact Z
# added 70 % to the run and FFT Z 35 %; on 1,797 points 60 % and 17 %. They cost alike near 700 points.
EXACT_MAX_POINTS = 700
_CHUNK = 1_024  # rows of the pairwise block evaluated at once (8 MB at 1,024 × 1,024 float64)
# openTSNE's FFT settings for the gradient (TSNEEmbedding's defaults), reused to interpolate Z
_FFT = dict(n_interpolation_points=3, min_num_intervals=50, ints_in_interval=1)


def kl_divergence(P: Any, Y: np.ndarray, *, exact: bool | None = None) -> float:
    """KL(P‖Q) of affinities ``P`` at positions ``Y``.

    Parameters
    ----------
    P : scipy.sparse.csr_matrix
        Symmetric affinities (N, N); any positive total (an exaggerated P is normalised first).
    Y : numpy.ndarray
        Positions (N, 2).
    exact : bool or None, default None
        Sum Z over all pairs (``True``) or interpolate it by FFT (``False``); ``None`` is exact up
        to :data:`EXACT_MAX_POINTS` points.

    Returns
    -------
    float
        The divergence in nats (≥ 0 up to rounding).
    """
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    n = Y.shape[0]
    total = float(P.data.sum())
    if total <= 0:
        raise ValueError("P: expected affinities with a positive sum")
    if exact is None:
        exact = n <= EXACT_MAX_POINTS
    if not exact:
        from openTSNE.kl_divergence import kl_divergence_approx_fft

        data = np.ascontiguousarray(P.data / total)
        return float(kl_divergence_approx_fft(P.indices, P.indptr, data, Y, dof=1, **_FFT))
    p = P.data / total
    rows = np.repeat(np.arange(n), np.diff(P.indptr))
    d2 = np.square(Y[rows] - Y[P.indices]).sum(axis=1)
    keep = p > 0
    p, d2 = p[keep], d2[keep]
    # −log w_ij = log(1 + d²)
    return float(np.sum(p * np.log(p)) + np.sum(p * np.log1p(d2)) + np.log(normaliser(Y)))


def normaliser(Y: np.ndarray) -> float:
    """Z = Σ_{i≠j} 1 / (1 + |y_i − y_j|²) over all ordered pairs of the (N, 2) positions ``Y``."""
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    n = Y.shape[0]
    Y = Y - Y.mean(axis=0)  # distances from a centred copy lose less to cancellation
    sq = np.einsum("ij,ij->i", Y, Y)
    total = 0.0
    for start in range(0, n, _CHUNK):
        block = Y[start : start + _CHUNK]
        d2 = sq[start : start + _CHUNK, None] + sq[None, :] - 2.0 * (block @ Y.T)
        np.maximum(d2, 0.0, out=d2)
        d2 += 1.0
        total += float(np.reciprocal(d2, out=d2).sum())
    return total - n  # the diagonal (i = j) contributes 1 per point


def objective(method: str, n_points: int) -> Callable[..., tuple[float, np.ndarray]]:
    """What to pass openTSNE as ``negative_gradient_method`` so that its reported KL is the true one.

    Parameters
    ----------
    method : str
        ``"bh"`` (openTSNE's Barnes-Hut gradient) or ``"fft"`` (the FFT interpolation of
        :mod:`._fft_gradient`).
    n_points : int
        Number of points of the map (decides exact or interpolated Z).

    Returns
    -------
    callable
        Above :data:`EXACT_MAX_POINTS` points an FFT objective whose KL is its own interpolation of Z;
        otherwise an objective function that takes the method's gradient and evaluates the KL by
        :func:`kl_divergence`.
    """
    from openTSNE.tsne import kl_divergence_bh

    from ._fft_gradient import kl_divergence_fft

    if method == "fft" and n_points > EXACT_MAX_POINTS:
        return kl_divergence_fft
    gradient_of: Callable[..., tuple[float, np.ndarray]] = kl_divergence_fft if method == "fft" else kl_divergence_bh

    def evaluate(embedding: Any, P: Any, *args: Any, should_eval_error: bool = False, **kwargs: Any) -> tuple[float, np.ndarray]:
        if kwargs.get("reference_embedding") is not None:  # placing new points (transform): openTSNE's own
            return gradient_of(embedding, P, *args, should_eval_error=should_eval_error, **kwargs)
        _, gradient = gradient_of(embedding, P, *args, should_eval_error=False, **kwargs)
        if not should_eval_error:
            return 0.0, gradient
        # openTSNE divides the error of an exaggerated P (total α) by α and subtracts log α;
        # returning α (KL + log α) makes that correction give back the KL itself.
        alpha = float(P.data.sum())
        return alpha * (kl_divergence(P, np.asarray(embedding)) + np.log(alpha)), gradient

    return evaluate
