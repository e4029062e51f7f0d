"""Convolution weights arranged for display."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .._guard import model_guard
from .calls import resolve_call

__all__ = ["FilterImages", "filters"]


@dataclass
class FilterImages:
    """Weights of a 2-D convolution ``layer``.

    ``weights`` (C_out, C_in/groups, kh, kw) raw values; ``scaled`` the same divided by each
    filter's largest |weight| (values in [-1, 1], 0 stays 0: show with a diverging colormap);
    ``rgb`` (C_out, kh, kw, 3) in [0, 1] with 0.5 meaning zero weight, when the filters see exactly
    3 input channels (a first layer on RGB images), else ``None``.
    """

    layer: str
    weights: np.ndarray
    scaled: np.ndarray
    rgb: np.ndarray | None

    def plot(self, max_filters: int = 64, max_inputs: int = 8) -> Any:
        """A matplotlib Figure: RGB filter images, or a grid of filters × input channels."""
        from .._figures import figure

        count = min(len(self.weights), max_filters)
        if self.rgb is not None:
            cols = int(np.ceil(np.sqrt(count)))
            rows = -(-count // cols)
            fig = figure(figsize=(1.1 * cols, 1.1 * rows + 0.4), layout="constrained")
            axes = fig.subplots(rows, cols, squeeze=False).ravel()
            for ax in axes:
                ax.axis("off")
            for ax, image in zip(axes, self.rgb[:count]):
                ax.imshow(image, interpolation="nearest")
        else:
            inputs = min(self.scaled.shape[1], max_inputs)
            fig = figure(figsize=(0.9 * inputs + 0.6, 0.9 * count + 0.4), layout="constrained")
            axes = fig.subplots(count, inputs, squeeze=False)
            for o in range(count):
                for i in range(inputs):
                    ax = axes[o, i]
                    ax.imshow(self.scaled[o, i], cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
                    ax.set_xticks([])
                    ax.set_yticks([])
                    if i == 0:
                        ax.set_ylabel(str(o), fontsize=7)
        fig.suptitle(f"{self.layer}: {len(self.weights)} filters")
        return fig


def filters(model: nn.Module, layer: str | nn.Module) -> FilterImages:
    """The weights of the 2-D convolution ``layer`` arranged for display.

    Parameters
    ----------
    model : torch.nn.Module
        The model; never changed.
    layer : str or torch.nn.Module
        A ``nn.Conv2d`` of ``model``, or its name.

    Returns
    -------
    FilterImages
        The filters as images (see :class:`FilterImages`).
    """
    ref = resolve_call(model, layer)
    with model_guard(model):
        module = ref.module
        weight = getattr(module, "weight", None)
        if not isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)) or not isinstance(weight, torch.Tensor) or weight.ndim != 4:
            convs = [name for name, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
            shown = ", ".join(repr(c) for c in convs[:6]) + (", …" if len(convs) > 6 else "")
            hint = f"; convolution layers: {shown}" if convs else "; the model has none"
            raise ValueError(f"layer: {ref.key!r} is a {type(module).__name__}, not a 2-D convolution with weights{hint}")
        w = weight.detach().to("cpu", torch.float64)
        if isinstance(module, nn.ConvTranspose2d):
            w = w.transpose(0, 1)
        weights = w.numpy().copy()
        scaled = _scale(weights)
        rgb = np.moveaxis(0.5 + 0.5 * scaled, 1, -1) if weights.shape[1] == 3 else None
    return FilterImages(layer=ref.module_name, weights=weights, scaled=scaled, rgb=rgb)


def _scale(weights: np.ndarray) -> np.ndarray:
    """Each filter divided by its largest absolute weight (all-zero filters stay zero)."""
    peak = np.abs(weights).reshape(len(weights), -1).max(axis=1)
    return weights / np.where(peak > 0, peak, 1.0)[:, None, None, None]
