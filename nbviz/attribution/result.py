"""The result of :func:`nbviz.saliency`: maps, raw values and what was explained."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Attribution"]


@dataclass
class Attribution:
    """Attribution maps for N inputs.

    - ``maps``: N×H×W float32, one map per input at input resolution, reduced over channels
      (max of ``|raw|`` for gradient-like methods, the signed channel sum for
      ``gradient_x_input`` / ``integrated_gradients`` so the map keeps IG's completeness,
      the ReLU'd, upsampled CAM for the CAM methods).
    - ``raw``: N×C×H×W float32 per-channel values before the reduction (signed); for
      ``gradcam`` / ``gradcam++`` the N×1×h×w CAM at the layer's resolution before ReLU.
    - ``method``: the method name; ``target``: the class explained per input (N ints) or ``None``
      for a callable target; ``delta``: IG's completeness gap per input (else ``None``);
      ``layer``: the CAM layer's name (else ``None``).
    - ``notes``: what the map cannot mean on this model, in words (e.g. guided backprop on a model
      without ``nn.ReLU`` modules equals the plain gradient; see :mod:`nbviz.attribution.meaning`).
    - ``all_zero``: per input, ``True`` where the map is numerical noise (its effect on the output is
      below the output's floating-point resolution); :meth:`normalized` shows those maps as zeros
      instead of stretching rounding errors to full contrast. ``None`` when not judged.
    """

    maps: np.ndarray
    raw: np.ndarray
    method: str
    target: np.ndarray | None
    delta: np.ndarray | None = None
    layer: str | None = None
    notes: list[str] = field(default_factory=list)
    all_zero: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.maps.shape[0])

    def normalized(self) -> np.ndarray:
        """``maps`` scaled to [0, 1] per input (N×H×W float32; a constant map and a map that is
        numerical noise (``all_zero``) become zeros)."""
        flat = self.maps.reshape(len(self), -1).astype(np.float64)
        expand = (slice(None),) + (None,) * (self.maps.ndim - 1)  # per input, over its positions
        low = flat.min(axis=1)[expand]
        span = (flat.max(axis=1) - flat.min(axis=1))[expand]
        if self.all_zero is not None:
            span = np.where(np.asarray(self.all_zero, dtype=bool)[expand], 0.0, span)
        return np.where(span > 0, (self.maps - low) / np.where(span > 0, span, 1), 0).astype(np.float32)

    def plot(self, images: Any = None, *, max_items: int = 8, cmap: str = "inferno", alpha: float = 0.6) -> Any:
        """A matplotlib Figure with one panel per input (up to ``max_items``); ``images``
        (N×C×H×W or N×H×W, tensor or array) are drawn in grey underneath the map."""
        from .._figures import figure

        n = min(len(self), max_items)
        fig = figure(figsize=(2.2 * n, 2.4))
        axes = fig.subplots(1, n, squeeze=False)[0]
        maps = self.normalized()
        if maps.ndim == 2:  # sequences (per step) and tables (per feature): bars
            for i, ax in enumerate(axes):
                ax.bar(np.arange(maps.shape[1]), self.maps[i], color="#c2410c")
                ax.set_title(self.method if self.target is None else f"{self.method} · {int(self.target[i])}", fontsize=8)
                ax.set_xlabel("feature" if self.raw.ndim == 2 else "step", fontsize=7)
            return fig
        under = None if images is None else _grey(images)
        for i, ax in enumerate(axes):
            if under is not None:
                ax.imshow(under[i], cmap="gray")
            ax.imshow(maps[i], cmap=cmap, alpha=alpha if under is not None else 1.0)
            title = self.method if self.target is None else f"{self.method} · {int(self.target[i])}"
            if self.all_zero is not None and self.all_zero[i]:
                title += " · all zero"
            ax.set_title(title, fontsize=8)
            ax.axis("off")
        return fig


def _grey(images: Any) -> np.ndarray:
    array = images.detach().cpu().numpy() if hasattr(images, "detach") else np.asarray(images)
    array = array.astype(np.float32)
    if array.ndim == 4:
        array = array.mean(axis=1)
    low = array.min(axis=(1, 2), keepdims=True)
    span = np.maximum(array.max(axis=(1, 2), keepdims=True) - low, 1e-12)
    return (array - low) / span
