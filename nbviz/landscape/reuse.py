"""Reuse of computed plane points across span and resolution changes.

A :class:`PointCache` holds full-data loss (and accuracy) at plane points keyed by ``(α, β)``
rounded to 10 decimals, so points of a new grid that fall on an old one (resolution 11 → 21 at the
same span shares 11×11 points; span 1 → 2 at resolution 21 shares 11×11) are read, not recomputed.
The values are only valid for one model, one pair of directions, one data set and one loss: the
cache fingerprints θ* and the directions itself and empties when they change; the caller keeps
one cache per (data, loss_fn).
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from .params import Params

__all__ = ["PointCache"]


def _fingerprint(*states: Params, extra: tuple = ()) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(extra).encode())
    for state in states:
        for name in sorted(state):
            t = state[name].detach().to("cpu", torch.float32).contiguous()
            digest.update(name.encode())
            digest.update(t.numpy().tobytes())
    return digest.hexdigest()


class PointCache:
    """Full-data ``(loss, accuracy)`` at plane points ``(α, β)`` for one model, directions, data, loss.

    ``max_points`` bounds memory (the oldest points go first)."""

    def __init__(self, max_points: int = 100_000) -> None:
        if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1:
            raise ValueError(f"max_points: expected a positive integer, got {max_points!r}")
        self.max_points = max_points
        self._values: dict[tuple[float, float], tuple[float, float]] = {}
        self._fingerprint: str | None = None
        self.classification: bool | None = None  # whether accuracy is meaningful
        self.samples: int | None = None
        self.hits = 0  # points served from the cache (for tests and progress messages)

    @staticmethod
    def key(alpha: float, beta: float) -> tuple[float, float]:
        return (round(float(alpha), 10) + 0.0, round(float(beta), 10) + 0.0)  # + 0.0: no −0.0 keys

    def bind(self, theta: Params, d1: Params, d2: Params, extra: tuple = ()) -> None:
        """Empty the cache unless it was filled for these trained weights, directions and ``extra``
        settings (e.g. whether BatchNorm statistics are re-estimated)."""
        fingerprint = _fingerprint(theta, d1, d2, extra=extra)
        if fingerprint != self._fingerprint:
            self._values.clear()
            self._fingerprint, self.classification, self.samples = fingerprint, None, None

    def known(self, alphas: np.ndarray, betas: np.ndarray) -> np.ndarray:
        """Boolean (len(betas), len(alphas)) mask of grid points held (rows follow β)."""
        return np.array([[self.key(a, b) in self._values for a in alphas] for b in betas], dtype=bool).reshape(
            len(betas), len(alphas)
        )

    def get(self, alpha: float, beta: float) -> tuple[float, float] | None:
        value = self._values.get(self.key(alpha, beta))
        if value is not None:
            self.hits += 1
        return value

    def put(self, alpha: float, beta: float, loss: float, accuracy: float) -> None:
        key = self.key(alpha, beta)
        self._values.pop(key, None)
        self._values[key] = (float(loss), float(accuracy))
        while len(self._values) > self.max_points:
            self._values.pop(next(iter(self._values)))

    def __len__(self) -> int:
        return len(self._values)
