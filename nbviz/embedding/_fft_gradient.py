"""t-SNE's repulsive forces by FFT interpolation: openTSNE's method and grid, at less cost on a spread map.

The repulsion on point i, Σ_j w_ij² (y_i − y_j) with w_ij = 1 / (1 + |y_i − y_j|²), and the normaliser
Z = Σ_{i≠j} w_ij come from four sums Σ_j w_ij² q_j over the charges q = 1, y¹, y², |y|² (Linderman et al.
2019, "Fast interpolation-based t-SNE", the method of FIt-SNE and openTSNE). Each is interpolated: the
charges are spread onto a regular grid by Lagrange polynomials (``n_interpolation_points`` nodes per
interval), the grid is convolved with the kernel w² by FFT, and the result is read back at the points.

openTSNE's grid has one interval per unit of the map's extent (at least 50 per side), so on a spread map
the convolution dominates: on a 10,000-point map 105 units wide, ~25 of its 37 ms per repulsion. This
module computes the same interpolation on the same grid (its geometry is openTSNE's to the digit: one
square grid from the map's smallest to its largest coordinate, the interval count rounded up to a size
FFTW transforms fast), so in double precision it agrees with openTSNE's to 1e-13. The grid's placement
matters more than its fineness suggests: a grid whose start moved by a fraction of an interval from
step to step, or intervals of exactly one unit, spread a 10,000-point map less (extent 63–65 against 68 at
iteration 275, KL 0.5–0.8 % higher) although each gradient was as accurate, so nothing here departs from it.
What is cheaper:

- **the convolution runs in single precision** (spreading the charges and reading the potentials back
  stay in double precision, on coordinates centred on the map): the repulsion then differs from
  openTSNE's by ~1e-5 of itself, a thousandth of the interpolation's own error (~1e-2 against all pairs);
- **the transforms skip known zeros**: the charges fill a quarter of the zero-padded grid and only that
  quarter of the result is read, so the first pass of the forward transform runs over the filled rows
  only and the last pass of the inverse over the wanted rows only, at a length with small prime factors
  (``scipy.fft.next_fast_len``) rather than 2 × 3 × intervals.

The charges are spread and read back through one sparse interpolation matrix (scipy's compiled
products). Measured (paired, minimum of 12 calls, 1 thread): 10,000 points 105 units wide 15.9 against
37.3 ms per repulsion; 70,000 points 120 units wide 58 against 79 ms. In ``benchmarks/tsne.py`` the
10,000-point run went from 0.70× to 0.46× openTSNE's time at the same KL (0.42× with the renumbering of
:mod:`._locality`). On a compact map (the
smallest grid) it costs half of openTSNE's on 5,000–10,000 points (2.7 against 6.2 ms) and ~10 % more
on 70,000 (12.5 against 11.6 ms), so it is used throughout. Only the ordinary t-SNE kernel (``dof`` = 1) of a 2-D map is computed here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["SINGLE_PRECISION", "FFTRepulsion", "grid_boxes", "kl_divergence_fft"]

_EPSILON = np.finfo(np.float64).eps  # openTSNE's guard inside log(Z)
SINGLE_PRECISION = True  # how kl_divergence_fft convolves (False: openTSNE's repulsion to 1e-13, for checks)


class FFTRepulsion:
    """Repulsive forces and normaliser of a 2-D t-SNE map by FFT interpolation on openTSNE's grid.

    Parameters
    ----------
    n_interpolation_points : int, default 3
        Lagrange nodes per interval and direction.
    min_num_intervals : int, default 50
        Intervals per side at least (a compact map gets narrower intervals).
    ints_in_interval : float, default 1
        Map units per interval once the map is wider than ``min_num_intervals`` of them (before rounding
        the count up, see :func:`grid_boxes`).
    single_precision : bool, default True
        Convolve in single precision (the spreading and reading back stay in double).
    workers : int, default 1
        Threads for the four grids' transforms (``scipy.fft``'s ``workers``: −1 for every core); openTSNE's
        ``n_jobs``.
    """

    def __init__(
        self, n_interpolation_points: int = 3, min_num_intervals: int = 50, ints_in_interval: float = 1.0, single_precision: bool = True,
        workers: int = 1,
    ) -> None:
        if int(n_interpolation_points) < 1:
            raise ValueError(f"n_interpolation_points: expected at least 1, got {n_interpolation_points!r}")
        if int(min_num_intervals) < 1:
            raise ValueError(f"min_num_intervals: expected at least 1, got {min_num_intervals!r}")
        if not float(ints_in_interval) > 0:
            raise ValueError(f"ints_in_interval: expected a positive width, got {ints_in_interval!r}")
        if int(workers) == 0:
            raise ValueError("workers: expected a thread count ≥ 1 or a negative one (−1: every core), got 0")
        self.p = int(n_interpolation_points)
        self.min_intervals = int(min_num_intervals)
        self.width = float(ints_in_interval)
        self.dtype = np.float32 if single_precision else np.float64
        self.workers = int(workers)
        nodes = (np.arange(self.p) + 0.5) / self.p  # node positions inside an interval, in interval widths
        self._nodes = nodes
        self._denominators = np.array([np.prod([nodes[k] - nodes[m] for m in range(self.p) if m != k]) for k in range(self.p)])

    def __call__(self, embedding: np.ndarray) -> tuple[float, np.ndarray]:
        """(Z, repulsive forces): Z = Σ_{i≠j} w_ij and row i of the forces Σ_j w_ij² (y_i − y_j) / Z.

        Parameters
        ----------
        embedding : numpy.ndarray
            The map, N × 2.
        """
        import scipy.sparse

        Y = np.asarray(embedding, dtype=np.float64)
        low, high = float(Y.min()), float(Y.max())  # one square grid over both directions, as openTSNE's
        boxes = grid_boxes(high - low, self.min_intervals, self.width)
        width = (high - low) / boxes if high > low else 1.0
        centre = (low + high) / 2
        # each direction as its own contiguous array, centred: the charges y and |y|² stay small, and so
        # does the single-precision rounding
        x, y = Y[:, 0] - centre, Y[:, 1] - centre
        squared = x * x + y * y
        nodes = boxes * self.p
        kernel_hat, length = self._kernel(nodes, width / self.p)

        # the interpolation matrix: row i holds point i's p² Lagrange weights at the grid nodes around it
        near_rows, row_weights = self._nodes_around(x, low - centre, width, boxes)  # p × N each
        near_cols, col_weights = self._nodes_around(y, low - centre, width, boxes)
        # point i's p² cells and weights, built as p² long vectors, then laid out point by point
        flat = np.stack([near_rows[k] * nodes + near_cols[m] for k in range(self.p) for m in range(self.p)]).T.ravel()
        spread = np.stack([row_weights[k] * col_weights[m] for k in range(self.p) for m in range(self.p)]).T.ravel()
        n, per_point = len(Y), self.p * self.p
        interpolation = scipy.sparse.csr_matrix(
            (spread, flat, np.arange(0, n * per_point + 1, per_point, dtype=flat.dtype)), shape=(n, nodes * nodes)
        )
        charges = np.empty((n, 4))
        charges[:, 0], charges[:, 1], charges[:, 2], charges[:, 3] = 1.0, x, y, squared

        grid = np.ascontiguousarray((interpolation.T @ charges).T, dtype=self.dtype).reshape(4, nodes, nodes)
        potential = _convolve(grid, kernel_hat, length, self.workers)
        phi = np.ascontiguousarray((interpolation @ np.ascontiguousarray(potential.reshape(4, -1).T, dtype=np.float64)).T)

        # (einsum, not np.dot: a BLAS dot may start threads, which a loaded machine makes slow)
        z = float(np.einsum("i,i->", 1.0 + squared, phi[0]) - 2.0 * (np.einsum("i,i->", x, phi[1]) + np.einsum("i,i->", y, phi[2])))
        z += float(phi[3].sum()) - n
        forces = np.empty((n, 2))
        forces[:, 0] = (x * phi[0] - phi[1]) / (z + _EPSILON)
        forces[:, 1] = (y * phi[0] - phi[2]) / (z + _EPSILON)
        return z, forces

    def _nodes_around(self, coordinate: np.ndarray, low: float, width: float, boxes: int) -> tuple[np.ndarray, np.ndarray]:
        """For points at ``coordinate`` on a grid of ``boxes`` intervals ``width`` wide from ``low``: the
        indices of the ``p`` nodes of each point's interval and their Lagrange weights, both p × N."""
        offset = (coordinate - low) / width
        box = np.minimum(offset.astype(np.int32), boxes - 1)
        u = offset - box  # position inside the interval, 0 … 1
        factors = [u - node for node in self._nodes]
        weights = np.empty((self.p, len(u)))
        before = np.ones_like(u)  # product of the factors of the nodes before k
        for k in range(self.p):
            np.multiply(before, 1.0 / self._denominators[k], out=weights[k])
            before = before * factors[k]
        after = np.ones_like(u)  # product of the factors of the nodes after k
        for k in range(self.p - 1, -1, -1):
            weights[k] *= after
            after = after * factors[k]
        first = box * self.p
        return np.stack([first + k for k in range(self.p)]), weights

    def _kernel(self, nodes: int, spacing: float) -> tuple[np.ndarray, int]:
        """The transform of w² on a ``nodes`` × ``nodes`` grid ``spacing`` apart, laid out for a circular
        convolution (offsets −(n−1) … n−1 fit a length of at least 2n − 1), and that length."""
        import scipy.fft

        length = scipy.fft.next_fast_len(2 * nodes - 1, real=True)
        offsets = _circular_offsets(nodes, length) * spacing
        squared = (offsets * offsets).astype(self.dtype)
        kernel = np.reciprocal(1.0 + squared[:, None] + squared[None, :])
        return scipy.fft.rfft2(kernel * kernel), length


def _convolve(grid: np.ndarray, kernel_hat: np.ndarray, length: int, workers: int = 1) -> np.ndarray:
    """The circular convolution of each n × n ``grid`` (zero-padded to ``length``) with the kernel whose
    transform is ``kernel_hat``, cut back to n × n. The transforms skip the rows that are known to be zero
    on the way in and the rows that are not wanted on the way out (about a quarter less work than two
    full 2-D transforms), on ``workers`` threads."""
    import scipy.fft

    n = grid.shape[-1]
    spectrum = scipy.fft.fft(scipy.fft.rfft(grid, n=length, axis=-1, workers=workers), n=length, axis=-2, workers=workers)
    spectrum *= kernel_hat
    inverse = scipy.fft.ifft(spectrum, axis=-2, workers=workers)[..., :n, :]
    return scipy.fft.irfft(inverse, n=length, axis=-1, workers=workers)[..., :n]


def grid_boxes(extent: float, min_num_intervals: int, ints_in_interval: float) -> int:
    """Intervals per side of openTSNE's grid over a map ``extent`` wide: one per ``ints_in_interval`` units, at
    least ``min_num_intervals``, rounded up to a product of primes up to 13 with at most one 11 or 13 (its
    list of sizes FFTW transforms fast, 20 … 1,000), and at most 1,000."""
    boxes = int(max(min_num_intervals, extent / ints_in_interval))
    if boxes >= _MAX_BOXES:
        return _MAX_BOXES
    return next(size for size in _FFT_FRIENDLY if size >= boxes)


def _friendly(n: int) -> bool:
    for prime in (2, 3, 5, 7):
        while n % prime == 0:
            n //= prime
    return n in (1, 11, 13)


_MAX_BOXES = 1_000
_FFT_FRIENDLY = [n for n in range(20, _MAX_BOXES + 1) if _friendly(n)]


def _circular_offsets(n: int, length: int) -> np.ndarray:
    """Offsets of a length-``length`` circular layout: 0 … n−1, then −(n−1) … −1 at the end (0 between)."""
    offsets = np.zeros(length)
    offsets[:n] = np.arange(n)
    offsets[length - n + 1 :] = np.arange(-(n - 1), 0)
    return offsets


def kl_divergence_fft(
    embedding: Any, P: Any, dof: float, fft_params: dict[str, Any], reference_embedding: Any = None,
    should_eval_error: bool = False, n_jobs: int = 1, **kwargs: Any,
) -> tuple[float, np.ndarray]:
    """openTSNE's FFT objective (``negative_gradient_method``): the gradient, and the KL when asked, with the
    repulsion of :class:`FFTRepulsion`.

    The attractive forces and the KL's sum over P are openTSNE's own (``estimate_positive_gradient_nn``).
    openTSNE's ``kl_divergence_fft`` itself serves ``dof`` ≠ 1, maps that are not 2-D, and
    ``reference_embedding`` (new points placed against a fixed map).
    """
    from openTSNE import _tsne
    from openTSNE.tsne import kl_divergence_fft as opentsne_fft

    Y = np.asarray(embedding)
    if reference_embedding is not None or dof != 1 or Y.ndim != 2 or Y.shape[1] != 2:
        return opentsne_fft(embedding, P, dof, fft_params, reference_embedding=reference_embedding,
                            should_eval_error=should_eval_error, n_jobs=n_jobs, **kwargs)
    workers = n_jobs if n_jobs else 1  # openTSNE's n_jobs: −1 and other negatives count back from every core, as workers do
    z, forces = FFTRepulsion(**fft_params, single_precision=SINGLE_PRECISION, workers=workers)(Y)
    gradient = np.ascontiguousarray(-forces)
    sum_P, kl = _tsne.estimate_positive_gradient_nn(
        P.indices, P.indptr, P.data, embedding, embedding, gradient, dof, num_threads=n_jobs, should_eval_error=should_eval_error,
    )
    if should_eval_error:
        kl += sum_P * np.log(z + _EPSILON)
    return kl, gradient
