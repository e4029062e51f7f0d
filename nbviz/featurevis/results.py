"""Result objects of feature visualisation: small dataclasses of numpy arrays with ``.plot()``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .objectives import Unit

__all__ = ["FeatureVis", "Inversion", "Facets"]


def _picture(image: np.ndarray) -> tuple[np.ndarray, str | None]:
    """C×H×W → something imshow draws: H×W (gray) or H×W×3, scaled to [0, 1] when outside it."""
    image = np.asarray(image, dtype=np.float64)
    low, high = image.min(), image.max()
    if low < 0 or high > 1:
        image = (image - low) / (high - low) if high > low else np.zeros_like(image)
    if image.shape[0] == 1:
        return image[0], "gray"
    return np.moveaxis(image[:3], 0, -1), None


def _grid(rows: list[list[tuple[np.ndarray, str]]], title: str) -> Any:
    from .._figures import figure

    cols = max(len(r) for r in rows)
    fig = figure(figsize=(1.8 * cols, 1.9 * len(rows)), layout="constrained")
    axes = fig.subplots(len(rows), cols, squeeze=False)
    for r, row in enumerate(rows):
        for c in range(cols):
            ax = axes[r][c]
            ax.axis("off")
            if c < len(row):
                picture, cmap = _picture(row[c][0])
                ax.imshow(picture, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
                ax.set_title(row[c][1], fontsize=8)
    fig.suptitle(title)
    return fig


@dataclass
class FeatureVis:
    """Activation maximisation of ``units`` in ``layer``, one image per unit.

    Parameters
    ----------
    layer : str
        The layer's name.
    units : list of Unit
        The maximised units.
    images : numpy.ndarray
        (N, C, H, W) float32, one image per unit.
    activations : numpy.ndarray
        (N,) each unit's value on its final image (no transforms).
    history : numpy.ndarray
        (steps, N) the objective at every step (on transformed images).
    """

    layer: str
    units: list[Unit]
    images: np.ndarray
    activations: np.ndarray
    history: np.ndarray

    def plot(self) -> Any:
        """A matplotlib Figure: one panel per unit, titled by unit and final activation.

        Returns
        -------
        matplotlib.figure.Figure
            The figure.
        """
        cells = [(img, f"{u}: {a:.3g}") for img, u, a in zip(self.images, self.units, self.activations)]
        per_row = 8
        return _grid([cells[i : i + per_row] for i in range(0, len(cells), per_row)], f"{self.layer}: activation maximisation")


@dataclass
class Inversion:
    """Images reconstructed from their representation at ``layer``.

    ``relative_error`` (N,) is ‖x−x0‖/‖x0‖ of the final images.

    Parameters
    ----------
    layer : str
        The layer's name.
    images : numpy.ndarray
        (N, C, H, W) float32 reconstructions.
    originals : numpy.ndarray
        (N, C, H, W) the inputs x0.
    loss : numpy.ndarray
        (steps, N) the normalised representation error ‖Φ(x)−Φ(x0)‖²/‖Φ(x0)‖² per step.
    """

    layer: str
    images: np.ndarray
    originals: np.ndarray
    loss: np.ndarray

    @property
    def relative_error(self) -> np.ndarray:
        diff = (self.images - self.originals).reshape(len(self.images), -1)
        norm = np.linalg.norm(self.originals.reshape(len(self.originals), -1), axis=1)
        return np.linalg.norm(diff, axis=1) / np.maximum(norm, 1e-12)

    def plot(self) -> Any:
        """A matplotlib Figure: each original beside its reconstruction.

        Returns
        -------
        matplotlib.figure.Figure
            The figure.
        """
        rows = [[(o, "x0"), (x, f"from {self.layer}\nrel. err {e:.2f}")]
                for o, x, e in zip(self.originals, self.images, self.relative_error)]
        return _grid(rows, f"inversion from {self.layer}")


@dataclass
class Facets:
    """Multifaceted feature visualisation of ``unit`` (a channel) in ``layer``.

    Parameters
    ----------
    layer : str
        The layer's name.
    unit : int
        The channel.
    images : numpy.ndarray
        (k, C, H, W) one activation-maximisation image per facet.
    starts : numpy.ndarray
        (k, C, H, W) the mean images they started from.
    members : list of numpy.ndarray
        k arrays of dataset indices, each cluster of top-activating inputs (nearest the centroid first).
    activations : numpy.ndarray
        (k,) the unit's value on each facet image.
    top_indices : numpy.ndarray
        (n_top,) the top-activating inputs' indices in the dataset.
    top_values : numpy.ndarray
        (n_top,) their activations.
    embedding : numpy.ndarray
        (n_top, 2) their t-SNE positions.
    labels : numpy.ndarray
        (n_top,) their cluster.
    member_images : list of numpy.ndarray
        k arrays of the members' images, in the order of ``members``.
    """

    layer: str
    unit: int
    images: np.ndarray
    starts: np.ndarray
    members: list[np.ndarray]
    activations: np.ndarray
    top_indices: np.ndarray
    top_values: np.ndarray
    embedding: np.ndarray
    labels: np.ndarray
    member_images: list[np.ndarray]

    def plot(self, n_members: int = 4) -> Any:
        """A matplotlib Figure: per facet, its AM image, its start (cluster mean) and some members.

        Parameters
        ----------
        n_members : int, default 4
            Members shown per facet.

        Returns
        -------
        matplotlib.figure.Figure
            The figure.
        """
        rows = []
        for j, (img, start, idx, imgs) in enumerate(zip(self.images, self.starts, self.members, self.member_images)):
            row = [(img, f"facet {j}: {self.activations[j]:.3g}"), (start, f"mean of cluster ({len(idx)})")]
            row += [(m, f"#{i}") for m, i in zip(imgs[:n_members], idx[:n_members])]
            rows.append(row)
        return _grid(rows, f"{self.layer} channel {self.unit}: facets")
