"""TSNEExplorer's new points: points placed on the finished map with the session's ``transform``
(openTSNE's: optimised against the fixed map, which does not move), drawn with their own marker, and
placed again whenever a run finishes (a perplexity change moves the map)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import traitlets

from ..embedding import extract_features
from ..embedding._validate import check_points
from ._images import pictures_or_none
from ._tsne_points import _thumbnails

if TYPE_CHECKING:
    from torch import nn

    from ..embedding import TSNEResult, TSNESession

__all__ = ["NewPointsMixin"]


@dataclass(frozen=True)
class NewPoints:
    """A set of new points: features in the map's input space, their hover names, thumbnails and legend
    name, and (model form) the inputs, whose features are taken again when the model's weights change."""

    X: np.ndarray
    names: list[str]
    thumbnails: np.ndarray | None
    name: str
    inputs: Any = None
    source: Any = None  # the map's feature array X was taken beside (model form)
    pictures: Any = None  # what linked item explorers show for these points (images, else model inputs)
    label_values: Any = None  # the labels as given (linked explorers name them their own way)


class NewPointsMixin(traitlets.HasTraits):
    """New points for :class:`~nbviz.widgets.tsne.TSNEExplorer`, which declares the traits
    (``new_positions``, ``new_name``, ``new_labels``, ``new_thumbnails``, ``new_selected``) and the
    attributes (``_X``, ``_features``, ``_result``, ``_session``, ``_new``) used here."""

    # provided by TSNEExplorer (declared here, without values, for the type checker only)
    can_run: bool
    class_names: list[str]
    new_positions: np.ndarray | None
    new_name: str
    new_labels: list[str]
    new_thumbnails: np.ndarray | None
    new_selected: list[int]
    _X: np.ndarray | None
    _features: tuple[nn.Module, Any, str, str, int] | None
    _result: TSNEResult | None
    _session: TSNESession | None
    _new: NewPoints | None

    if TYPE_CHECKING:

        def hold_sync(self) -> AbstractContextManager[Any]: ...

        def run(self, key: str, work: Callable[..., Any], done: Callable[[Any], None] | None = None) -> int: ...

        def cancel(self, key: str) -> None: ...

        def _ensure_session(self, progress: Callable[..., Any]) -> TSNESession: ...

    def add_points(self, X_new: Any, labels: Any = None, images: Any = None, name: str = "new") -> None:
        """Place new points on the map on screen without moving it, drawn with a ring marker.

        Each point starts at the median of its nearest map points and is optimised against the fixed
        map (:meth:`nbviz.TSNESession.transform`). The points are placed again after every finished
        run (a perplexity change moves the map). They have their own legend entry, hover names and
        thumbnails; a click or lasso on them sets ``new_selected`` (indices into ``X_new``), which
        :func:`nbviz.link` follows: one selected new point is shown in the linked item explorers. Placement
        runs on the worker: :meth:`wait` for ``new_positions``. A second call replaces the first set.

        Parameters
        ----------
        X_new : array-like
            (M, D) points in the space of the map's inputs (D as the explorer's ``X``). In the
            ``(model, data, layer)`` form: M inputs for the model (tensor or array), whose features of
            ``layer`` are taken as for the map.
        labels : array-like, optional
            (M,) categories named on hover (indices into ``class_names``, or any values).
        images : array-like, optional
            M×C×H×W or M×H×W pictures in [0, 1], shown on hover (default: ``X_new`` itself in the
            model form, when it holds images), and by linked explorers (:func:`nbviz.link`).
        name : str, default "new"
            The legend entry of these points.
        """
        if not self.can_run:
            raise ValueError("X_new: new points need a map made here by t-SNE (the explorer's X), not a given embedding")
        if not isinstance(name, str) or not name:
            raise ValueError(f"name: expected a non-empty string, got {name!r}")
        features = self._new_features(X_new)
        m = features.shape[0]
        names = self._new_names(labels, m)
        pictures = images if images is not None else (pictures_or_none(X_new) if self._features is not None else None)
        thumbs = None if pictures is None else _thumbnails(pictures, m)
        model_form = self._features is not None
        shown = images if images is not None else (X_new if model_form else None)
        self._new = NewPoints(
            features, names, thumbs, name, X_new if model_form else None, self._X if model_form else None, shown, labels
        )
        with self.hold_sync():
            self.new_selected = []
            self.new_name, self.new_labels, self.new_thumbnails = name, names, thumbs
        self._place_new_points()

    def clear_points(self) -> None:
        """Remove the points :meth:`add_points` placed (and their selection)."""
        self._new = None
        self.cancel("new_points")
        with self.hold_sync():
            self.new_selected = []
            self.new_positions, self.new_name, self.new_labels, self.new_thumbnails = None, "", [], None

    def _new_features(self, X_new: Any) -> np.ndarray:
        """``X_new`` as (M, D) float32 points in the map's input space; errors name ``X_new``."""
        if self._features is not None:
            model, _, layer, pool, batch_size = self._features
            try:
                X_new = extract_features(model, X_new, layer, batch_size=batch_size, pool=pool, progress=False)
            except (RuntimeError, TypeError, ValueError) as error:
                shape = tuple(getattr(X_new, "shape", ()))
                raise ValueError(f"X_new: expected inputs the model takes (as the map's data), got shape {shape}: {error}") from error
        points = check_points(X_new, argument="X_new", min_points=1)
        d = self._input_dim()
        if d is not None and points.shape[1] != d:
            raise ValueError(f"X_new: expected points with {d} features (as the map's inputs), got shape {tuple(points.shape)}")
        return points

    def _input_dim(self) -> int | None:
        X = self._X if self._X is not None else (self._session.X if self._session is not None else None)
        return None if X is None else int(X.shape[1])

    def _new_names(self, labels: Any, m: int) -> list[str]:
        """Hover names of ``labels`` (class names for integer indices), or "" per point without them."""
        if labels is None:
            return [""] * m
        values = np.asarray(labels.cpu() if hasattr(labels, "cpu") else labels).reshape(-1)
        if values.shape[0] != m:
            raise ValueError(f"labels: expected {m} values (one per row of X_new), got {values.shape[0]}")
        names = list(self.class_names)
        integral = np.issubdtype(values.dtype, np.integer)
        return [names[int(v)] if integral and 0 <= int(v) < len(names) else str(v) for v in values.tolist()]

    def _place_new_points(self) -> None:
        """Place the new points on the finished map (after add_points and after every finished run)."""
        new, result = self._new, self._result
        if new is None or result is None:
            return

        def work(progress: Callable[..., Any]) -> tuple[np.ndarray, np.ndarray]:
            session = self._ensure_session(progress)
            X = new.X
            if new.inputs is not None and new.source is not None and self._X is not new.source:
                X = self._new_features(new.inputs)  # the model's weights changed: the features of the weights now
            if X.shape[1] != session.X.shape[1]:
                raise ValueError(f"X_new: expected points with {session.X.shape[1]} features, got {X.shape[1]}")
            return X, session.transform(X, result)

        def done(placed: tuple[np.ndarray, np.ndarray]) -> None:
            if self._new is new:
                X, positions = placed
                self._new = replace(new, X=X, source=self._X if new.inputs is not None else None)
                self.new_positions = positions

        self.run("new_points", work, done)
