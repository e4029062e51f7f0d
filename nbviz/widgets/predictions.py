"""PredictionExplorer: a few images, the model's predictions, and sliders that transform the images.

The smallest explorer that runs the whole pipe — slider → compute on the worker thread → pixels —
and a first lesson: CNNs are fairly robust to shifts but not to rotations.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
import traitlets
from torch import nn

from .. import render
from .._data import as_tensor
from ..prediction import predict
from ..transforms import affine
from ._arrays import Array
from ._base import Explorer

__all__ = ["PredictionExplorer"]


class PredictionExplorer(Explorer):
    """Show ``images`` (N×C×H×W, up to ``max_images``) with ``model``'s top prediction for each,
    under a rotation, shift and zoom that a person drives with sliders (or sets from Python)."""

    _bundle = "predictions"

    angle = traitlets.Float(0.0).tag(sync=True)
    shift_x = traitlets.Float(0.0).tag(sync=True)
    shift_y = traitlets.Float(0.0).tag(sync=True)
    zoom = traitlets.Float(1.0).tag(sync=True)
    class_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    labels = traitlets.List(traitlets.Int()).tag(sync=True)
    images = Array()
    probabilities = Array()
    accuracy = traitlets.Float(allow_none=True, default_value=None).tag(sync=True)

    def __init__(
        self,
        model: nn.Module,
        images: torch.Tensor,
        labels: Sequence[int] | torch.Tensor | None = None,
        class_names: Sequence[str] | None = None,
        *,
        max_images: int = 16,
        **kwargs: Any,
    ) -> None:
        x = as_tensor(images, argument="images")
        if x.ndim != 4 or x.shape[1] not in (1, 3):
            raise ValueError(f"images: expected N×C×H×W with C = 1 or 3, got shape {tuple(x.shape)}")
        self._model = model
        self._inputs = x[:max_images]
        n = self._inputs.shape[0]
        label_list = [] if labels is None else [int(v) for v in list(labels)[:max_images]]
        if label_list and len(label_list) != n:
            raise ValueError(f"labels: expected {n} labels for {n} images, got {len(label_list)}")
        super().__init__(labels=label_list, class_names=[str(c) for c in (class_names or [])], **kwargs)
        self.observe(self._request, names=["angle", "shift_x", "shift_y", "zoom"])
        self._request()

    def _request(self, change: Any = None) -> None:
        angle, shift, zoom = self.angle, (self.shift_x, self.shift_y), self.zoom

        def work(progress):
            moved = affine(self._inputs, angle=angle, shift=shift, scale=zoom)
            return moved, predict(self._model, moved, progress=progress)

        self.run("predict", work, self._show)

    def _show(self, result: Any) -> None:
        moved, predictions = result
        if not self.class_names:
            self.class_names = [str(i) for i in range(predictions.probabilities.shape[1])]
        self.images = render.to_rgb_uint8(moved)
        self.probabilities = predictions.probabilities
        if self.labels:
            self.accuracy = float((predictions.predicted == torch.tensor(self.labels).numpy()).mean())
