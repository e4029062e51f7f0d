"""TSNEExplorer's points: what ``X`` is (an array or ``(model, data, layer)``), how many points
there are, and their colours, names and thumbnails."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import numpy as np
import traitlets
from torch import nn

from .._data import Examples, count_items, examples
from .._modules import resolve_layer
from ..embedding._validate import check_distinct, check_points
from ._categories import Coloring, categories, coloring
from ._images import THUMBNAIL_BYTES, thumbnails

__all__ = ["PointsMixin"]


class PointsMixin(traitlets.HasTraits):
    """Input parsing and colouring for :class:`~nbviz.widgets.tsne.TSNEExplorer`, which declares the
    traits (``labels``, ``class_names``, ``thumbnails``, ``color_*``, ``palette``, ``legend``,
    ``continuous``, ``predictions``, ``positions``) and the attributes (``_X``, ``_features``,
    ``_colorings``, ``_class_names``, ``_top``) used here."""

    # provided by TSNEExplorer (declared here, without values, for the type checker only)
    labels: np.ndarray | None
    class_names: list[str]
    thumbnails: np.ndarray | None
    color_by: str
    color_options: list[str]
    color_codes: np.ndarray | None
    palette: np.ndarray | None
    legend: list[str]
    continuous: bool
    predictions: np.ndarray | None
    positions: np.ndarray | None
    _X: np.ndarray | None
    _features: tuple[nn.Module, Any, str, str, int] | None
    _colorings: dict[str, Coloring]
    _class_names: list[str] | None
    _top: int

    if TYPE_CHECKING:

        def hold_sync(self) -> AbstractContextManager[Any]: ...

        def _watch_weights(self, model: nn.Module) -> None: ...

    def _take_input(self, X: Any, embedding: Any, pool: str, batch_size: int) -> tuple[int | None, Examples | None]:
        """Validate ``X`` (array or ``(model, data, layer)``); returns N and, in the model form, what
        ``data`` holds (inputs, labels, class names: read once, so a shuffling DataLoader stays aligned)."""
        if X is None:
            if embedding is None:
                raise ValueError("X: expected an (N, D) array or (model, data, layer); got None (use from_embedding for a ready embedding)")
            return check_points(embedding, argument="embedding").shape[0], None
        if isinstance(X, tuple) and len(X) == 3 and isinstance(X[0], nn.Module):
            model, data, layer = X
            name, _ = resolve_layer(model, layer)
            if pool not in ("flatten", "avg", "max"):
                raise ValueError(f"pool: expected 'flatten', 'avg' or 'max', got {pool!r}")
            found = examples(data, argument="X")
            n = len(found)
            if n < 5:
                raise ValueError(f"X: needs at least 5 points, got {n}")
            self._features = (model, found.inputs, name, pool, int(batch_size))
            self._watch_weights(model)
            return n, found
        if isinstance(X, tuple) and len(X) == 3:
            raise TypeError(f"X: in (model, data, layer) the model must be a torch.nn.Module, got {type(X[0]).__name__}")
        self._X = check_points(X)
        if embedding is not None:
            check_points(embedding, argument="embedding")
        else:  # t-SNE will run on X
            check_distinct(self._X)
        return self._X.shape[0], None

    def _n_points(self) -> int:
        if self._X is not None:
            return int(self._X.shape[0])
        if self._features is not None:
            return int(count_items(self._features[1]) or 0)
        return int(self.positions.shape[0]) if self.positions is not None else 0

    def _set_points(self, n: int, labels: Any, images: Any, color_by: Any) -> None:
        if labels is not None:
            codes, names = categories(labels, n, self._class_names, argument="labels")
            self.labels, self.class_names = codes, names
            self._colorings["label"] = coloring(codes, n, names, argument="labels", top=self._top)
        if images is not None:
            self.thumbnails = _thumbnails(images, n)
        if isinstance(color_by, str):
            if color_by not in ("label", "prediction"):
                raise ValueError(f"color_by: expected 'label', 'prediction' or an array of {n} values, got {color_by!r}")
            if color_by == "prediction" and self._features is None:
                raise ValueError("color_by: 'prediction' needs the (model, data, layer) form")
            name = color_by
        else:
            self._colorings["values"] = coloring(color_by, n, argument="color_by", top=self._top)
            name = "values"
        options: list[str] = [k for k in ("label", "values") if k in self._colorings]
        if self._features is not None:
            options.insert(1 if "label" in options else 0, "prediction")
        self.color_options = options
        self.color_by = name if name in options else (options[0] if options else "")
        self._show_coloring()

    def _show_coloring(self) -> None:
        c = self._colorings.get(self.color_by)
        if c is None:
            self.color_codes, self.palette, self.legend, self.continuous = None, None, [], False
            return
        with self.hold_sync():
            self.color_codes, self.palette, self.legend, self.continuous = c.codes, c.palette, c.names, c.continuous

    def _predict(self, model: nn.Module, data: Any, progress: Callable[..., Any] | None) -> Coloring:
        from ..prediction import predict

        predicted = predict(model, data, progress=progress).predicted
        k = max(len(self.class_names), int(predicted.max()) + 1)
        names = list(self.class_names) + [str(i) for i in range(len(self.class_names), k)]
        self.predictions = predicted.astype(np.int32)
        return coloring(predicted, len(predicted), names, argument="predictions", top=self._top)


def _thumbnails(images: Any, n: int) -> np.ndarray:
    """The explorer's thumbnails of ``images`` for ``n`` points (see :func:`._images.thumbnails`)."""
    return thumbnails(images, n, max_bytes=THUMBNAIL_BYTES)
