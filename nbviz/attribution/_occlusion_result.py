"""The result of :func:`nbviz.occlusion`: per-window probabilities, drops and the drop map."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["OcclusionResult"]


@dataclass
class OcclusionResult:
    """Occlusion of one image.

    In partial results (``final`` False) the positions not yet evaluated hold the value of the
    nearest coarse position above-left, so the map is always complete; in approximate results they
    are interpolated.

    Parameters
    ----------
    probability : numpy.ndarray
        rows×cols float32: the target's softmax probability with the window at each grid position
        (a callable target's value instead, for callable targets).
    drop : numpy.ndarray
        rows×cols float32: unoccluded minus occluded.
    drop_map : numpy.ndarray
        H×W float32: ``drop`` averaged over the windows covering each pixel (Captum's ``Occlusion``
        attribution of the target probability).
    origins_y, origins_x : numpy.ndarray
        Window top-left corners per grid row / column.
    window : tuple of int
        (height, width) of the window.
    stride : tuple of int
        (vertical, horizontal) step between windows.
    baseline : str
        What replaced the window: ``"zero"``, ``"mean"``, ``"blur"``, ``"constant 0.5"`` or ``"tensor"``.
    target : int or None
        The class scored (``None`` for a callable target).
    base_probability : float
        The target's score for the unoccluded image.
    probabilities : numpy.ndarray
        (K,) unoccluded class probabilities.
    computed : numpy.ndarray
        rows×cols bool: the positions evaluated by the model.
    mode : str
        ``"exact"``, ``"approximate"`` or ``"plain"`` (what actually ran).
    final : bool, default True
        False for the partial maps sent to ``on_partial``.
    """

    probability: np.ndarray
    drop: np.ndarray
    drop_map: np.ndarray
    origins_y: np.ndarray
    origins_x: np.ndarray
    window: tuple[int, int]
    stride: tuple[int, int]
    baseline: str
    target: int | None
    base_probability: float
    probabilities: np.ndarray
    computed: np.ndarray
    mode: str
    final: bool = True

    def top(self, k: int = 5) -> list[tuple[int, float]]:
        """The ``k`` most probable classes of the unoccluded image as ``(class, probability)``.

        Parameters
        ----------
        k : int, default 5
            How many classes.

        Returns
        -------
        list of tuple
            ``(class index, probability)``, most probable first.
        """
        order = np.argsort(-self.probabilities)[:k]
        return [(int(i), float(self.probabilities[i])) for i in order]

    def plot(self, image: np.ndarray | torch.Tensor | None = None) -> Figure:
        """The image (if given), the per-window probability grid and the drop map, side by side.

        Parameters
        ----------
        image : numpy.ndarray or torch.Tensor or None, default None
            The occluded image (C×H×W or 1×C×H×W), shown min–max scaled.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from .._figures import figure

        panels = [("probability per window", self.probability, "viridis"), ("drop in probability", self.drop_map, "RdBu_r")]
        if image is not None:
            img = torch.as_tensor(image).detach().cpu().float().squeeze(0)
            img = img.permute(1, 2, 0) if img.dim() == 3 else img
            img = (img - img.min()) / (img.max() - img.min() + 1e-12)
            panels.insert(0, ("image", img.squeeze(-1).numpy(), "gray"))
        fig = figure(figsize=(3.2 * len(panels), 3.2))
        for i, (title, data, cmap) in enumerate(panels):
            ax = fig.add_subplot(1, len(panels), i + 1)
            if title.startswith("drop"):
                lim = float(np.abs(data).max()) or 1.0
                im = ax.imshow(data, cmap=cmap, vmin=-lim, vmax=lim)
            else:
                im = ax.imshow(data, cmap=cmap)
            if title != "image":
                fig.colorbar(im, ax=ax, fraction=0.046)
            ax.set_title(title)
            ax.axis("off")
        fig.suptitle(f"occlusion, class {self.target}, window {self.window}, stride {self.stride}, {self.baseline}")
        return fig
