"""Points renumbered for the optimisation so that neighbours in P sit near each other in memory.

openTSNE's attractive forces visit every stored affinity p_ij and read the positions of i and j. When
the points come in the order of the data (often shuffled or grouped by something unrelated to their
neighbourhoods) the reads of j jump across the whole position array; numbered by the reverse
Cuthill–McKee order of P's graph (``scipy.sparse.csgraph``), a point's neighbours have nearby numbers.
Measured on 70,000 points of a 50-D gaussian mixture (10.1 M affinities, nbviz's objective, 1
thread): early exaggeration 10.2 → 8.2 s CPU, the next 150 iterations 12.2 → 10.0 s, for 0.39 s of
ordering and permuting once per run. The attractive gradient alone, per evaluation: 10,000 points
5.5 → 4.5 ms, 5,000 points 2.37 → 2.18 ms, but 2,000 points 0.73 → 0.72 and 1,000 points 0.46 → 0.47
(their positions are a few cache lines). So runs renumber from :data:`MIN_POINTS`; smaller ones keep the
data's order and match openTSNE's own run step for step (``tests/test_embedding_tsne.py``).

The renumbering is internal to a run: the affinities and starting positions are permuted on the way
in and every position handed out (frames, callbacks, the result) is put back in the user's order.
The optimisation itself is the same up to the order of floating-point sums.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["MIN_POINTS", "LocalOrder", "local_order"]

MIN_POINTS = 5_000  # below, no measurable gain (see above)


class LocalOrder:
    """A renumbering of the points of ``P`` that keeps graph neighbours close (reverse Cuthill–McKee).

    Parameters
    ----------
    P : scipy.sparse.csr_matrix
        The affinities (N × N), symmetric as t-SNE's are.
    """

    def __init__(self, P: Any) -> None:
        import scipy.sparse
        from scipy.sparse.csgraph import reverse_cuthill_mckee

        P = scipy.sparse.csr_matrix(P)
        # any permutation is correct; this one is good when P is symmetric, as t-SNE's affinities are
        self.order = np.asarray(reverse_cuthill_mckee(P, symmetric_mode=True), dtype=np.int64)  # new → old
        self.inverse = np.empty_like(self.order)  # old → new
        self.inverse[self.order] = np.arange(len(self.order))
        self._P = P

    def affinities(self) -> Any:
        """An openTSNE ``Affinities`` holding P renumbered (P[order][:, order])."""
        from openTSNE.affinity import Affinities

        local = self._P[self.order][:, self.order].tocsr()
        local.sort_indices()
        renumbered = Affinities()
        renumbered.P = local
        return renumbered

    def to_local(self, positions: np.ndarray) -> np.ndarray:
        """``positions`` (user's order) in the run's order."""
        return np.ascontiguousarray(np.asarray(positions)[self.order])

    def to_user(self, positions: np.ndarray) -> np.ndarray:
        """``positions`` (run's order) back in the user's order."""
        return np.asarray(positions)[self.inverse]


def local_order(P: Any) -> LocalOrder | None:
    """The renumbering for a run on affinities ``P``: a :class:`LocalOrder` from :data:`MIN_POINTS` points, else ``None``."""
    return LocalOrder(P) if P.shape[0] >= MIN_POINTS else None
