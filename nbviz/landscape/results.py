"""Result objects of the loss-landscape functions: numpy arrays plus a ``.plot()``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["LineResult", "PlaneResult", "TrajectoryResult"]

Direction = dict[str, np.ndarray]


@dataclass
class LineResult:
    """Loss along θ(α) = (1 − α)·θ_start + α·θ* (α = 0 is the start, α = 1 the trained model).

    Parameters
    ----------
    alphas : numpy.ndarray
        (K,) the points along the line.
    loss : numpy.ndarray
        (K,) the mean loss at each.
    accuracy : numpy.ndarray or None
        (K,) the fraction correct at each, or ``None`` when the model is not a classifier.
    """

    alphas: np.ndarray  # (K,)
    loss: np.ndarray  # (K,)
    accuracy: np.ndarray | None  # (K,) fraction correct, or None when not a classification

    def plot(self) -> Figure:
        """Loss (and accuracy on a second axis) against α, with the two ends marked.

        Returns
        -------
        matplotlib.figure.Figure
            The figure.
        """
        from .._figures import figure

        fig = figure(figsize=(6, 4))
        ax = fig.add_subplot()
        ax.plot(self.alphas, self.loss, color="C0", label="loss")
        ax.axvline(0.0, color="0.6", lw=0.8, ls=":")
        ax.axvline(1.0, color="0.6", lw=0.8, ls=":")
        ax.set_xlabel("α  (0 = start, 1 = trained)")
        ax.set_ylabel("loss", color="C0")
        if self.accuracy is not None:
            ax2 = ax.twinx()
            ax2.plot(self.alphas, self.accuracy, color="C1", label="accuracy")
            ax2.set_ylabel("accuracy", color="C1")
            ax2.set_ylim(0, 1)
        ax.set_title("Loss along the line from start to trained weights")
        fig.tight_layout()
        return fig


@dataclass
class TrajectoryResult:
    """A training path projected onto its two PCA directions (θ* at the origin).

    Parameters
    ----------
    coords : numpy.ndarray
        (T, 2) each checkpoint's (checkpoint − θ*)·d1 and (checkpoint − θ*)·d2.
    explained_variance_ratio : numpy.ndarray
        (2,) the share of the path's variance along each direction.
    directions : tuple of (dict of str to numpy.ndarray, dict of str to numpy.ndarray)
        The two unit directions, ``{parameter name: array}`` shaped like the model's parameters.
    """

    coords: np.ndarray  # (T, 2): (checkpoint − θ*)·d1, (checkpoint − θ*)·d2, one row per checkpoint
    explained_variance_ratio: np.ndarray  # (2,)
    directions: tuple[Direction, Direction]  # unit vectors, shaped like the model's parameters

    def plot(self) -> Figure:
        """The projected path, start to end.

        Returns
        -------
        matplotlib.figure.Figure
            The figure.
        """
        from .._figures import figure

        fig = figure(figsize=(5, 5))
        ax = fig.add_subplot()
        self.draw(ax)
        ax.set_xlabel(f"PC1 ({100 * self.explained_variance_ratio[0]:.1f}%)")
        ax.set_ylabel(f"PC2 ({100 * self.explained_variance_ratio[1]:.1f}%)")
        ax.set_aspect("equal", adjustable="datalim")
        fig.tight_layout()
        return fig

    def draw(self, ax: Axes) -> None:
        """Draw the path on an existing matplotlib axes (used for overlays).

        Parameters
        ----------
        ax : matplotlib.axes.Axes
            The axes to draw on.
        """
        ax.plot(self.coords[:, 0], self.coords[:, 1], "-o", color="C3", ms=3, lw=1.2, label="trajectory")
        ax.plot(self.coords[0, 0], self.coords[0, 1], "s", color="C3", ms=6)
        ax.plot(0.0, 0.0, "*", color="k", ms=10, label="θ*")


@dataclass
class PlaneResult:
    """Loss over the plane θ* + α·d1 + β·d2.

    ``loss[i, j]`` is at ``(alphas[j], betas[i])`` — rows follow β, columns follow α, as
    ``contour(alphas, betas, loss)`` expects. While a grid is being refined (``on_partial``), points
    not yet computed are NaN; :meth:`coarse` gives the complete sub-grid computed so far.

    Parameters
    ----------
    alphas : numpy.ndarray
        (R,) the steps along d1.
    betas : numpy.ndarray
        (R,) the steps along d2.
    loss : numpy.ndarray
        (R, R) the mean loss.
    accuracy : numpy.ndarray or None
        (R, R) the fraction correct, or ``None`` when the model is not a classifier.
    directions : tuple of (dict of str to numpy.ndarray, dict of str to numpy.ndarray)
        d1 and d2, ``{parameter name: array}`` shaped like the model's parameters.
    kind : str, default "custom"
        How the directions were made: ``"filter_normalized"``, ``"random"``, ``"pca"`` or ``"custom"``.
    samples : int or None, default None
        Data samples behind every value.
    preview : bool, default False
        Computed on a random subset of the data.
    complete : bool, default True
        Every point of the grid computed (``False`` while refining).
    """

    alphas: np.ndarray  # (R,)
    betas: np.ndarray  # (R,)
    loss: np.ndarray  # (R, R)
    accuracy: np.ndarray | None  # (R, R) or None when not a classification
    directions: tuple[Direction, Direction]
    kind: str = "custom"  # "filter_normalized", "random", "pca" or "custom"
    samples: int | None = None  # data samples behind every value
    preview: bool = False  # True when computed on a random subset of the data
    complete: bool = True

    @property
    def computed(self) -> np.ndarray:
        """(R, R) bool mask of the points that have a value."""
        return ~np.isnan(self.loss)

    def coarse(self) -> PlaneResult:
        """The complete sub-grid: the rows and columns whose every point is computed so far.

        Returns
        -------
        PlaneResult
            A result over those rows and columns, without NaN.
        """
        mask = self.computed
        rows = np.flatnonzero(mask.any(1))
        cols = np.flatnonzero(mask.any(0))
        while rows.size and cols.size and not mask[np.ix_(rows, cols)].all():
            # drop the row or column with the most gaps until the block is complete
            sub = mask[np.ix_(rows, cols)]
            r_gaps, c_gaps = (~sub).sum(1), (~sub).sum(0)
            if r_gaps.max() >= c_gaps.max():
                rows = np.delete(rows, r_gaps.argmax())
            else:
                cols = np.delete(cols, c_gaps.argmax())
        acc = None if self.accuracy is None else self.accuracy[np.ix_(rows, cols)]
        return replace(
            self, alphas=self.alphas[cols], betas=self.betas[rows], loss=self.loss[np.ix_(rows, cols)], accuracy=acc
        )

    def plot(self, trajectory: TrajectoryResult | None = None, *, log: bool = False, levels: int = 30) -> Figure:
        """Filled contours of the loss (log₁₀ with ``log=True``), θ* starred, the trajectory overlaid.

        Parameters
        ----------
        trajectory : TrajectoryResult or None, default None
            A training path to overlay (computed with the same PCA directions); ``None``: none.
        log : bool, default False
            Contour log₁₀ of the loss.
        levels : int, default 30
            Number of contour levels.

        Returns
        -------
        matplotlib.figure.Figure
            The figure.
        """
        from .._figures import figure

        grid = self if self.complete else self.coarse()
        z = np.log10(np.maximum(grid.loss, 1e-12)) if log else grid.loss
        fig = figure(figsize=(6, 5))
        ax = fig.add_subplot()
        filled = ax.contourf(grid.alphas, grid.betas, z, levels=levels, cmap="viridis")
        ax.contour(grid.alphas, grid.betas, z, levels=levels, colors="k", linewidths=0.3, alpha=0.5)
        fig.colorbar(filled, ax=ax, label="log₁₀ loss" if log else "loss")
        ax.plot(0.0, 0.0, "*", color="w", mec="k", ms=12)
        if trajectory is not None:
            trajectory.draw(ax)
        ax.set_xlabel("α (direction 1)")
        ax.set_ylabel("β (direction 2)")
        title = f"Loss plane ({self.kind.replace('_', '-')} directions)"
        ax.set_title(title + (" — preview" if self.preview else ""))
        fig.tight_layout()
        return fig
