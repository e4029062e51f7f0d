"""LayerExplorer's detail view of one channel: its filter (RGB or signed) and the top-9 dataset
images with their receptive-field boxes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import traitlets

from .. import render
from ..layers import filters, top_activating
from ._images import display_rgb

__all__ = ["ChannelDetailMixin"]


class ChannelDetailMixin(traitlets.HasTraits):
    """For :class:`~nbviz.widgets.layers.LayerExplorer`, which declares the traits (``channel``,
    ``detail_channel``, ``filter_kind``, ``filter_image``, ``top_*``) and the attributes ``_model``,
    ``_dataset`` and ``_shown``."""

    # provided by LayerExplorer (declared here, without values, for the type checker only)
    layer: str
    channel: int
    detail_channel: int
    filter_kind: str
    filter_image: np.ndarray | None
    top_images: np.ndarray | None
    top_boxes: np.ndarray | None
    top_indices: list[int]
    top_values: list[float]
    _model: torch.nn.Module
    _dataset: Any
    _shown: dict[str, Any]

    if TYPE_CHECKING:

        def run(self, key: str, work: Callable[..., Any], done: Callable[[Any], None] | None = None) -> int: ...

    def _request_detail(self, change: Any = None) -> None:
        layer, channel = self.layer, self.channel
        if channel < 0:
            self.run("detail", lambda progress: None, lambda _: self._clear_detail())
            return
        module = self._shown[layer]
        is_conv = module.type in ("Conv2d", "ConvTranspose2d")

        def work(progress: Callable[..., Any]) -> tuple[int, Any, Any]:
            top = top_activating(self._model, self._dataset, layer, channel, k=9, progress=progress)
            weights = filters(self._model, layer) if is_conv else None
            return channel, top, weights

        self.run("detail", work, self._show_detail)

    def _clear_detail(self) -> None:
        self.detail_channel = -1
        self.filter_kind = ""
        self.filter_image = self.top_images = self.top_boxes = None
        self.top_indices, self.top_values = [], []

    def _show_detail(self, result: Any) -> None:
        channel, top, weights = result
        if weights is None:
            self.filter_kind, self.filter_image = "", None
        elif weights.rgb is not None:
            self.filter_kind, self.filter_image = "rgb", np.round(weights.rgb[channel] * 255).astype(np.uint8)
        else:
            self.filter_kind = "signed"
            self.filter_image = render.to_uint8(weights.scaled[channel], scale="shared", symmetric=True)
        images = torch.as_tensor(top.images)
        self.top_images = display_rgb(images) if images.ndim == 4 else None
        self.top_boxes = None if top.boxes is None else np.asarray(top.boxes, dtype=np.int32)
        self.top_indices = [int(i) for i in top.indices]
        self.top_values = [float(v) for v in top.values]
        self.detail_channel = channel
