"""TSNEExplorer's frames on screen: the scrubber (``frame``/``live``), the run's curve and the
frame the page shows, read from the :class:`~nbviz.widgets._frames.FrameBuffer` the worker fills."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import traitlets

from ..embedding._validate import check_points

if TYPE_CHECKING:
    from ._frames import FrameBuffer

__all__ = ["FrameViewMixin"]


class FrameViewMixin(traitlets.HasTraits):
    """Frames for :class:`~nbviz.widgets.tsne.TSNEExplorer`, which declares the traits (``positions``,
    ``frame``, ``live``, ``iterations``, ``kl``, ``early_iter``, ``converged_at``, ``last_iteration``, ``trustworthiness``,
    ``knn_preservation``) and the attributes ``_frames`` (a FrameBuffer) and ``_showing`` (True while
    the explorer itself moves the scrubber)."""

    # provided by TSNEExplorer (declared here, without values, for the type checker only)
    positions: np.ndarray | None
    frame: int
    live: bool
    iterations: np.ndarray | None
    kl: np.ndarray | None
    early_iter: int
    converged_at: int | None
    last_iteration: int | None
    trustworthiness: float | None
    knn_preservation: float | None
    _frames: FrameBuffer
    _showing: bool

    if TYPE_CHECKING:

        def hold_sync(self) -> AbstractContextManager[Any]: ...

    @property
    def snapshots(self) -> np.ndarray:
        """Every frame of the current run so far, (S, N, 2) float32."""
        return self._frames.stack()

    def _show_static(self, embedding: Any) -> None:
        Y = check_points(embedding, argument="embedding")
        if Y.shape[1] != 2:
            raise ValueError(f"embedding: expected shape (N, 2), got {tuple(Y.shape)}")
        self._frames.replace([Y], [0], [float("nan")])
        _, first = cast("tuple[int, np.ndarray]", self._frames.pick(0))  # the frame just stored
        self._showing = True
        try:
            self.positions, self.iterations, self.kl, self.frame = first, np.zeros(1, np.int32), None, 0
            self.converged_at = self.last_iteration = None
        finally:
            self._showing = False

    def _start_frames(self, n_iter: int) -> None:
        self._frames.replace([], [], [])
        with self.hold_sync():
            self.trustworthiness = self.knn_preservation = None
            self.early_iter = 0
            self.converged_at = self.last_iteration = None

    def _send_frames(self) -> None:
        """Send the curve and, when following live, the newest frame (from the worker thread)."""
        iterations, kl, last, newest = self._frames.curve()
        with self.hold_sync():
            self.iterations, self.kl = iterations, kl
            if self.live and newest is not None:
                self._show_frame(last, newest)
            elif self.frame > last >= 0:
                self._show_frame(last, newest)

    def _show_frame(self, index: int, positions: np.ndarray | None) -> None:
        self._showing = True
        try:
            self.positions = positions
            self.frame = index
        finally:
            self._showing = False

    def _on_frame(self, change: Any) -> None:
        if self._showing:
            return
        if change["name"] == "frame" and self.live:
            self._showing = True  # choosing a frame stops following the live run
            try:
                self.live = False
            finally:
                self._showing = False
        picked = self._frames.pick(None if self.live else self.frame)
        if picked is not None:
            self._show_frame(*picked)
