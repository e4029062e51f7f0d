"""LandscapeExplorer: the loss along a line, over a plane (heat map / contours / 3-D surface), and
the training path drawn on it.

Orchestration only: ``nbviz.landscape`` computes (coarse to fine, with a preview on a data subset);
this widget streams every partial grid to the browser as a float32 R×R array with NaN where a point
is not computed yet. Colouring, the log scale, contours, the 3-D view and the hover readout are
client-side, so they never wait for the kernel.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import torch
import traitlets
from torch import nn

from ..landscape import line, plane, trajectory
from ..landscape.plane import _check_resolution, _check_span
from ..landscape.results import LineResult, PlaneResult
from ..landscape.reuse import PointCache
from ._arrays import Array
from ._base import Explorer

__all__ = ["LandscapeExplorer"]

MODES = ("line", "plane", "surface")
LINE_ALPHAS = np.linspace(-0.5, 1.5, 41)


class LandscapeExplorer(Explorer):
    """Explore ``loss_fn`` around ``model``'s trained weights on ``data`` (an ``(inputs, targets)``
    pair or an iterable of pairs).

    ``mode``: ``"line"`` (from a random initialisation, α = 0, to the trained weights, α = 1),
    ``"plane"`` (heat map with contours) or ``"surface"`` (3-D, drag to rotate). The plane is
    θ* + α·d1 + β·d2 for α, β in ``[-span, span]`` on a ``resolution`` × ``resolution`` grid; ``directions`` is
    ``"filter_normalized"``, ``"random"`` or, with ``checkpoints`` (state dicts saved while
    training, ≥ 3), ``"pca"`` — then the training path is overlaid. A 9×9 preview on ``preview``
    random samples comes first, then the full-data grid refines level by level. Full-data points
    are kept per direction kind, so after a span or resolution change the points that lie on the
    new grid are shown at once and only the others are computed.

    Parameters
    ----------
    model : torch.nn.Module
        The trained model; never changed.
    loss_fn : callable
        ``loss_fn(outputs, targets)``, the mean loss of a batch (e.g. ``nn.CrossEntropyLoss()``).
    data : (inputs, targets) or iterable of (inputs, targets)
        The data the loss is evaluated on.
    checkpoints : sequence of state dicts or None, default None
        State dicts saved while training (at least 3): enables ``"pca"`` directions and the training path.
    mode : {"line", "plane", "surface"}, default "plane"
        The view first shown.
    directions : {"filter_normalized", "random", "pca"} or None, default None
        How d1 and d2 are made; ``None``: ``"pca"`` with checkpoints, else ``"filter_normalized"``.
    span : float or None, default None
        Half-width of the plane in units of the directions; ``None``: 1, or with PCA directions a span
        that fits the training path.
    resolution : int, default 21
        Points per side of the full grid.
    preview : int or None, default 256
        Random samples of the 9×9 preview computed first; ``None``: no preview.
    seed : int, default 0
        Seed of the random directions, the preview's samples and the line's random start.
    **kwargs
        Initial values of the explorer's traits (e.g. ``layout``); an unknown name raises ``TypeError``.
    """

    _bundle = "landscape"

    mode = traitlets.Enum(MODES, "plane").tag(sync=True)
    directions = traitlets.Unicode("filter_normalized").tag(sync=True)
    direction_kinds = traitlets.List(traitlets.Unicode()).tag(sync=True)
    span = traitlets.Float(1.0).tag(sync=True)
    resolution = traitlets.Int(21).tag(sync=True)
    log_scale = traitlets.Bool(False).tag(sync=True)
    # the plane: loss[i, j] at (alphas[j], betas[i]); NaN where not computed yet
    alphas = Array()
    betas = Array()
    loss = Array()
    accuracy = Array()
    grid_preview = traitlets.Bool(False).tag(sync=True)  # current values come from the data subset
    grid_complete = traitlets.Bool(False).tag(sync=True)
    grid_samples = traitlets.Int(0).tag(sync=True)
    grid_kind = traitlets.Unicode("").tag(sync=True)  # directions of the grid on show
    # the training path in the PCA plane (T×2), shown when directions == "pca"
    path = Array()
    explained_variance = traitlets.List(traitlets.Float()).tag(sync=True)
    # the line from a random initialisation (computed when line mode is first shown)
    line_alphas = Array()
    line_loss = Array()
    line_accuracy = Array()

    def __init__(
        self,
        model: nn.Module,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], Any],
        data: Any,
        checkpoints: Sequence[Any] | None = None,
        *,
        mode: str = "plane",
        directions: str | None = None,
        span: float | None = None,
        resolution: int = 21,
        preview: int | None = 256,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
        if not callable(loss_fn):
            raise TypeError(f"loss_fn: expected a callable (outputs, targets) -> scalar, got {type(loss_fn).__name__}")
        if data is None or isinstance(data, (torch.Tensor, np.ndarray)):
            raise TypeError("data: expected an (inputs, targets) pair or an iterable of pairs")
        if not isinstance(data, tuple) and iter(data) is data:  # a one-shot generator: keep its batches
            data = list(data)
        if mode not in MODES:
            raise ValueError(f"mode: expected one of {MODES}, got {mode!r}")
        if preview is not None and (isinstance(preview, bool) or not isinstance(preview, int) or preview < 1):
            raise ValueError(f"preview: expected a positive number of samples or None, got {preview!r}")
        kinds = ["filter_normalized", "random"]
        self._model, self._loss_fn, self._data = model, loss_fn, data
        self._watch_weights(model)
        self._preview, self._seed = preview, int(seed)
        self._pca: Any = None
        if checkpoints is not None:
            self._pca = trajectory(model, checkpoints)  # validates the checkpoints (≥ 3, model-shaped)
            kinds.append("pca")
        directions = directions or ("pca" if checkpoints is not None else "filter_normalized")
        if directions not in kinds:
            hint = " (pass checkpoints=[state dicts saved while training])" if directions == "pca" else ""
            raise ValueError(f"directions: expected one of {kinds}, got {directions!r}{hint}")
        if span is None:  # the PCA path should fit in the picture
            span = 1.0 if directions != "pca" else _path_span(self._pca.coords)
        span, resolution = _check_span(span), _check_resolution(resolution)
        self._cache: OrderedDict[tuple, Any] = OrderedDict()  # complete grids, newest last
        self._points: dict[str, PointCache] = {}  # full-data points per direction kind, reused across grids
        self._requested: tuple | None = None  # the plane settings last asked for
        self._result: Any = None
        self._line_result: Any = None
        super().__init__(
            mode=mode, directions=directions, direction_kinds=kinds, span=span, resolution=resolution, **kwargs
        )
        if self._pca is not None:
            self.explained_variance = [float(v) for v in self._pca.explained_variance_ratio]
        self.observe(self._request_plane, names=["directions", "span", "resolution"])
        self.observe(self._on_mode, names=["mode"])
        self._on_mode()

    @property
    def result(self) -> Any:
        """The :class:`~nbviz.landscape.PlaneResult` on show (partial while refining; ``.plot()``)."""
        return self._result

    @property
    def line_result(self) -> Any:
        """The :class:`~nbviz.landscape.LineResult` once line mode has been shown (``.plot()``)."""
        return self._line_result

    @property
    def trajectory(self) -> Any:
        """The :class:`~nbviz.landscape.TrajectoryResult` of the checkpoints, or ``None``."""
        return self._pca

    def _on_mode(self, change: Any = None) -> None:
        """Compute only what the view shows: the line in line mode, the plane otherwise."""
        if self.mode == "line":
            self._request_line()
        elif self._requested != self._key():
            self._request_plane()

    def _key(self) -> tuple:
        return (self.directions, float(self.span), int(self.resolution))

    def _refresh(self) -> None:
        self._cache.clear()
        self._points.clear()
        self._requested = None
        self._on_mode()

    # -- the plane ---------------------------------------------------------------------------------
    def _request_plane(self, change: Any = None) -> None:
        if self.mode == "line":  # computed when the plane is shown again
            return
        key = self._requested = self._key()
        directions, span, resolution = key
        self.path = self._pca.coords if (directions == "pca" and self._pca is not None) else None
        if key in self._cache:  # seen before: show it again, nothing to compute
            self._cache.move_to_end(key)
            self.cancel("plane")
            self._show(self._cache[key])
            return
        how: Any = directions
        if directions == "pca" and self._pca is not None:
            how = self._pca.directions  # the trajectory's directions, found once

        def labelled(result: PlaneResult) -> PlaneResult:  # PCA directions go in as a given pair; say what they are
            return replace(result, kind=directions)

        def work(progress: Callable[[float, str], bool]) -> PlaneResult:
            def partial(result: PlaneResult, fraction: float) -> None:
                self.publish(progress, fraction, "loss plane", lambda: self._show(labelled(result)))

            return labelled(plane(
                self._model, self._loss_fn, self._data, directions=how, span=span, resolution=resolution,
                seed=self._seed, preview=self._preview, progress=progress, on_partial=partial,
                reuse=self._points.setdefault(directions, PointCache()),
            ))

        def done(result: PlaneResult) -> None:
            self._cache[key] = result
            while len(self._cache) > 8:
                self._cache.popitem(last=False)
            self._show(result)

        self.run("plane", work, done)

    def _show(self, result: Any) -> None:
        self._result = result
        with self.hold_sync():
            self.alphas, self.betas = result.alphas, result.betas
            self.loss = result.loss
            self.accuracy = result.accuracy
            self.grid_preview, self.grid_complete = bool(result.preview), bool(result.complete)
            self.grid_samples, self.grid_kind = int(result.samples or 0), result.kind

    # -- the line ----------------------------------------------------------------------------------
    def _request_line(self) -> None:
        if self.line_loss is not None:
            return

        def work(progress: Callable[[float, str], bool]) -> LineResult:
            return line(self._model, self._loss_fn, self._data, alphas=LINE_ALPHAS, seed=self._seed, progress=progress)

        def done(result: LineResult) -> None:
            self._line_result = result
            self.line_alphas, self.line_loss, self.line_accuracy = result.alphas, result.loss, result.accuracy

        self.run("line", work, done)


def _path_span(coords: np.ndarray) -> float:
    """A span that shows the whole training path with a margin, rounded up to a friendly number."""
    reach = float(np.abs(coords).max()) * 1.15 if coords.size else 1.0
    return float(np.ceil(max(reach, 0.5) * 4) / 4)
