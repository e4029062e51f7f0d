"""A t-SNE map of the probe set's features that follows training: each new map starts from the
previous one, so points move continuously instead of jumping to a new layout."""

from __future__ import annotations

import numpy as np

from .._progress import Progress
from ..embedding import TSNESession

__all__ = ["LiveMap"]

CHECK_EVERY = 10  # iterations between progress checks: the pieces a time-sliced map is cut into


class LiveMap:
    """Successive t-SNE maps of changing features of the same points.

    Parameters
    ----------
    perplexity : float, default 30
        t-SNE perplexity (lowered to what the number of points allows).
    first_iter : int, default 500
        Iterations of the first map (a quarter of them exaggerated), from a PCA start.
    next_iter : int, default 150
        Iterations of every later map, warm-started from the previous map without exaggeration.
    seed : int, default 0
        Seeds the kNN index and the first start (openTSNE's own generators, never the global ones).
    """

    def __init__(self, perplexity: float = 30.0, first_iter: int = 500, next_iter: int = 150, seed: int = 0) -> None:
        for name, value in (("first_iter", first_iter), ("next_iter", next_iter)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: expected a positive number of iterations, got {value!r}")
        if not isinstance(perplexity, (int, float)) or perplexity <= 0:
            raise ValueError(f"perplexity: expected a positive number, got {perplexity!r}")
        self.perplexity, self.first_iter, self.next_iter, self.seed = float(perplexity), first_iter, next_iter, seed
        self.embedding: np.ndarray | None = None

    def update(self, features: np.ndarray, progress: Progress | None = None) -> np.ndarray:
        """The map of ``features`` (N, D), started from the previous map when there is one; (N, 2) float32."""
        n = len(features)
        if not np.ptp(features, axis=0).any():  # all points alike (e.g. a dead network): keep the old map
            return np.zeros((n, 2), np.float32) if self.embedding is None else self.embedding.astype(np.float32)
        warm = self.embedding is not None and len(self.embedding) == n
        session = TSNESession(features, seed=self.seed, init=self.embedding if warm and self.embedding is not None else "pca")
        perplexity = min(self.perplexity, max(1.0, (n - 1) / 3.0 - 1e-6))
        n_iter = self.next_iter if warm else self.first_iter
        result = session.run(
            perplexity, n_iter=n_iter, early_iter=0 if warm else n_iter // 4, warm_start=False, snapshot_every=min(n_iter, CHECK_EVERY),
            stop="fixed", progress=progress,
        )
        self.embedding = np.asarray(result.embedding, dtype=np.float64)
        return self.embedding.astype(np.float32)
