"""The points of a plane, θ* + α·d1 + β·d2, built fresh or written into reused buffers.

A plane point of a large model is as many numbers as the model has weights, and building it is not
free next to a forward: torchvision resnet18 (11.2M parameters) on one CPU thread took 80 ms CPU a
point to build fresh (``θ + α·d1`` allocated, ``+ β·d2`` in place, then a channels-last copy of the conv
weights), against ~260 ms for the forward over 256 32×32 images. :meth:`PlanePoints.laid_out` lays
θ*, d1 and d2 out once (channels-last for an evaluator that runs NHWC) and :meth:`PlanePoints.write`
then builds each point in two buffers reused point after point: the row ``θ* + β·d2`` is computed once
per β (the evaluator meets a stage's points in row order), each point is ``row + α·d1``, one pass over
the weights, as loss-landscapes' in-place step (23 ms with fresh allocations avoided but two passes a
point; measured with ``benchmarks/landscape.py``). The row-first sum differs from ``(θ* + α·d1) + β·d2``
by float rounding only; a fresh point (``points(k)``) is summed in the same order.

Calling a :class:`PlanePoints` (``points(k)``) returns fresh tensors (what Ray workers and streamed
groups, which hold several points at once, need); :meth:`write` returns buffers that the next call
overwrites.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from .params import Params

__all__ = ["PlanePoints"]


class PlanePoints:
    """Point ``k = row · R + col`` of the grid θ* + α·d1 + β·d2, α = ``axis[col]``, β = ``axis[row]``.

    Parameters
    ----------
    theta : dict of str to torch.Tensor
        The centre θ*, keyed like ``model.named_parameters()``.
    d1, d2 : dict of str to torch.Tensor
        The two directions, with the same keys and shapes as ``theta``.
    axis : numpy.ndarray
        The R coordinates along each direction.
    """

    def __init__(self, theta: Params, d1: Params, d2: Params, axis: np.ndarray) -> None:
        if not (theta.keys() == d1.keys() == d2.keys()):
            raise ValueError("d1, d2: expected the same parameter names as theta")
        self.theta, self.d1, self.d2 = theta, d1, d2
        self.axis = np.asarray(axis, dtype=np.float64)
        self._row: Params | None = None  # θ* + β·d2 for the β in _row_beta
        self._row_beta: float | None = None
        self._out: Params | None = None

    def coords(self, k: int) -> tuple[float, float]:
        """``(α, β)`` of point ``k``."""
        i, j = divmod(int(k), self.axis.size)
        return float(self.axis[j]), float(self.axis[i])

    def __call__(self, k: int) -> Params:
        """Point ``k`` as fresh tensors (owned by the caller)."""
        a, b = self.coords(k)  # the order of :meth:`write`, so both give the same floats
        return {n: torch.add(w, self.d2[n], alpha=b).add_(self.d1[n], alpha=a) for n, w in self.theta.items()}

    def laid_out(self, layout: Callable[[Params], Params]) -> PlanePoints:
        """The same points with θ*, d1 and d2 passed through ``layout`` (e.g. a channels-last copy of
        4-D tensors; tensors it returns unchanged are shared, not copied)."""
        return PlanePoints(layout(self.theta), layout(self.d1), layout(self.d2), self.axis)

    def write(self, k: int) -> Params:
        """Point ``k`` in this object's own buffers (laid out like θ*): valid until the next call.

        The row ``θ* + β·d2`` is kept between calls, so points met row by row cost one pass over the
        weights each."""
        a, b = self.coords(k)
        if self._row is None or self._out is None:
            self._row = {n: torch.empty_like(w) for n, w in self.theta.items()}
            self._out = {n: torch.empty_like(w) for n, w in self.theta.items()}
        if self._row_beta != b:
            for n, w in self.theta.items():
                torch.add(w, self.d2[n], alpha=b, out=self._row[n])
            self._row_beta = b
        for n, row in self._row.items():
            torch.add(row, self.d1[n], alpha=a, out=self._out[n])
        return self._out
