"""TSNEExplorer's views: points, the image map and the snap-to-grid layout (computed on the
worker once per embedding, at most :data:`GRID_MAX_POINTS` points)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import traitlets

from ..embedding.grid import GridLayout, snap_to_grid

if TYPE_CHECKING:
    from ..embedding.result import TSNEResult

__all__ = ["GRID_MAX_POINTS", "VIEWS", "GridViewMixin"]

GRID_MAX_POINTS = 3_000  # the grid view snaps at most this many points (a fixed random subsample beyond)
VIEWS = ("points", "images", "grid")


class GridViewMixin(traitlets.HasTraits):
    """The ``view`` trait's check and the grid layout for :class:`~nbviz.widgets.tsne.TSNEExplorer`
    (which declares ``view``, ``grid_positions``, ``grid_note``, ``thumbnails``, ``positions`` and
    the attributes ``_grid``, ``_grid_points``, ``_grid_source``, ``_result``)."""

    # provided by TSNEExplorer (declared here, without values, for the type checker only)
    view: str
    grid_positions: np.ndarray | None
    grid_note: str
    thumbnails: np.ndarray | None
    positions: np.ndarray | None
    _grid: GridLayout | None
    _grid_points: np.ndarray | None
    _grid_source: np.ndarray | None
    _result: TSNEResult | None

    if TYPE_CHECKING:

        def run(self, key: str, work: Callable[..., Any], done: Callable[[Any], None] | None = None) -> int: ...

    @property
    def grid(self) -> GridLayout | None:
        """The grid the ``"grid"`` view shows (cells of :attr:`grid_points`), once computed."""
        return self._grid

    @property
    def grid_points(self) -> np.ndarray | None:
        """Indices of the points on the grid (all of them up to 3,000 points, a fixed subsample beyond)."""
        return self._grid_points

    @traitlets.validate("view")
    def _valid_view(self, proposal: Any) -> str:
        value = proposal["value"]
        if value not in VIEWS:
            raise ValueError(f"view: expected one of {VIEWS}, got {value!r}")
        if value == "images" and self.thumbnails is None:
            raise ValueError("view: 'images' needs thumbnails (pass images=… or data with images)")
        return value

    def _on_view(self, change: Any) -> None:
        if change["new"] == "grid":
            self._snap(self._grid_embedding())

    def _grid_embedding(self) -> np.ndarray | None:
        """The embedding the grid shows: the finished run, else the frame on screen."""
        if self._result is not None:
            return self._result.embedding
        return None if self.positions is None else np.asarray(self.positions)

    def _snap(self, embedding: np.ndarray | None) -> None:
        """Snap ``embedding`` to a grid on the worker (once per embedding) and send the cell positions."""
        if embedding is None or (self._grid_source is not None and self._grid_source is embedding):
            return
        n = embedding.shape[0]
        if n > GRID_MAX_POINTS:
            points = np.sort(np.random.default_rng(0).choice(n, GRID_MAX_POINTS, replace=False))
            note = f"grid of {GRID_MAX_POINTS:,} of {n:,} points (a fixed random subsample; the others are hidden)"
        else:
            points, note = np.arange(n), ""

        def work(progress: Callable[..., Any]) -> GridLayout:
            progress(0.0, f"snapping {points.size:,} points to a grid")
            return snap_to_grid(embedding[points])

        def done(layout: GridLayout) -> None:
            self._grid, self._grid_points, self._grid_source = layout, points, embedding
            full = np.full((n, 2), np.nan, dtype=np.float32)
            full[points] = layout.positions
            self.grid_positions, self.grid_note = full, note

        self.run("grid", work, done)
