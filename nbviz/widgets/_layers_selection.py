"""LayerExplorer's selection: which channels of the layer respond to the selected dataset inputs
(a lasso in a linked t-SNE) more than to the rest (:func:`nbviz.layers.channel_contrast`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import traitlets

from ..layers import channel_contrast, channel_means

if TYPE_CHECKING:
    from ..layers.contrast import ChannelContrast

__all__ = ["CONTRAST_TOP", "STRIP", "SelectionContrastMixin"]

CONTRAST_TOP = 12  # channels listed for a selection
STRIP = 32  # inputs shown in the strip at most (a selection fills it)


class SelectionContrastMixin(traitlets.HasTraits):
    """For :class:`~nbviz.widgets.layers.LayerExplorer`, which declares the traits (``selection``,
    ``strip``, ``layer``, ``contrast_*``) and the attributes ``_model``, ``_dataset``, ``_inputs``,
    ``_means`` and ``_contrast``. Per-input channel means are computed once per layer, so a new
    selection costs only two means."""

    # provided by LayerExplorer (declared here, without values, for the type checker only)
    selection: list[int]
    strip: list[int]
    layer: str
    contrast_channels: list[int]
    contrast_scores: list[float]
    contrast_size: int
    contrast_layer: str
    _model: torch.nn.Module
    _dataset: Any
    _inputs: torch.Tensor
    _means: dict[str, np.ndarray]
    _contrast: ChannelContrast | None

    if TYPE_CHECKING:

        @property
        def n_inputs(self) -> int: ...

        @property
        def n_dataset(self) -> int | None: ...

        def run(self, key: str, work: Callable[..., Any], done: Callable[[Any], None] | None = None) -> int: ...

        def cancel(self, key: str) -> None: ...

    def _selection_in_inputs(self) -> bool:
        d, x = self._dataset, self._inputs  # the same tensor, or a view of the same memory and shape
        return d is x or (isinstance(d, torch.Tensor) and d.shape == x.shape and d.data_ptr() == x.data_ptr())

    def _on_selection(self, change: Any) -> None:
        chosen = list(dict.fromkeys(self.selection))
        if len(chosen) >= 2 and self._selection_in_inputs():
            self.strip = [i for i in chosen if i < self.n_inputs][:STRIP]

    def _request_contrast(self, change: Any = None) -> None:
        layer, chosen = self.layer, sorted(set(self.selection))
        if len(chosen) < 2 or (self.n_dataset is not None and len(chosen) >= self.n_dataset):
            self.cancel("contrast")
            self._show_contrast(None)
            return

        def work(progress: Callable[..., Any]) -> ChannelContrast:
            means = self._means.get(layer)
            if means is None:
                means = channel_means(self._model, self._dataset, layer, progress=progress)[layer]
                self._means[layer] = means
            return channel_contrast(means, chosen, layer)

        self.run("contrast", work, self._show_contrast)

    def _show_contrast(self, result: Any) -> None:
        self._contrast = result
        top = [] if result is None else result.top(CONTRAST_TOP)
        self.contrast_channels = [c for c, _ in top]
        self.contrast_scores = [s for _, s in top]
        self.contrast_size = 0 if result is None else result.selected
        self.contrast_layer = "" if result is None else result.layer

    def contrast(self) -> Any:
        """Every channel's contrast for the current selection, not only the top 12 the page shows.

        Returns
        -------
        ChannelContrast or None
            See :class:`~nbviz.layers.ChannelContrast`; ``None`` without a selection of two or more.
        """
        return self._contrast
