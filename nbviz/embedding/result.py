"""Result objects of t-SNE runs: positions, the frames taken while optimising, and the KL curve."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validate import check_labels

__all__ = ["SmallMultiples", "TSNEResult"]


@dataclass
class TSNEResult:
    """One t-SNE run.

    ``embedding`` (N, 2) float32 final positions; ``snapshots`` (S, N, 2) float32 frames taken every
    ``snapshot_every`` iterations (the last frame is the final embedding); ``iterations`` (S,) int
    iteration number of each frame; ``kl`` (S,) float KL divergence of each frame (with respect to
    the un-exaggerated affinities, see :mod:`._kl`); ``converged_at`` the iteration where the run met
    its convergence rule and stopped (``None``: it ran its iterations, see ``stop`` in
    :meth:`TSNESession.run`); ``params`` the settings used, plus ``stopped`` (a callback ended
    the run early) and the engine. As in openTSNE's callbacks, the frame numbered i shows the
    positions at which step i's gradient and KL were evaluated; frames are counted within each phase
    (every ``snapshot_every`` iterations after the start of the early and of the main phase).
    """

    embedding: np.ndarray
    snapshots: np.ndarray
    iterations: np.ndarray
    kl: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)
    converged_at: int | None = None

    @property
    def final_kl(self) -> float:
        """KL divergence of the final embedding."""
        return float(self.kl[-1])

    @property
    def n_points(self) -> int:
        return int(self.embedding.shape[0])

    def frame(self, iteration: int) -> np.ndarray:
        """The snapshot (N, 2) taken at ``iteration`` or, if none was, the last one before it."""
        index = int(np.searchsorted(self.iterations, iteration, side="right")) - 1
        return self.snapshots[max(index, 0)]

    def transform(self, X_new: Any, **options: Any) -> np.ndarray:
        """New points (M, D) placed on this map without moving it: (M, 2) positions (see
        :meth:`nbviz.TSNESession.transform`; ``options``: ``perplexity``, ``n_iter``). Needs a map
        made by openTSNE (``nbviz.tsne`` or a :class:`~nbviz.TSNESession`)."""
        session = getattr(self, "_session", None)
        if session is None:
            raise ValueError("X_new: this map keeps no kNN index to place new points with (made by the scikit-learn engine?)")
        return session.transform(X_new, self, **options)

    def plot(self, labels: Any = None, *, frame: int = -1, class_names: Any = None, point_size: float = 3.0) -> Any:
        """A matplotlib Figure: the embedding (snapshot ``frame``, coloured by ``labels``) beside the KL curve."""
        from .._figures import figure

        labels = check_labels(labels, self.n_points)
        positions = self.snapshots[frame]
        fig = figure(figsize=(10, 4.5))
        ax, ax_kl = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.4, 1]})
        _scatter(ax, positions, labels, class_names, point_size)
        p = self.params
        ax.set_title(f"t-SNE, perplexity {p.get('perplexity', '?')}, iteration {int(self.iterations[frame])}")
        ax_kl.plot(self.iterations, self.kl, color="tab:blue")
        ax_kl.axvline(int(self.iterations[frame]), color="tab:red", lw=1)
        early = p.get("early_iter")
        if early:
            ax_kl.axvspan(0, early, color="0.9", zorder=0, label="early exaggeration")
            ax_kl.legend(loc="upper right", fontsize=8)
        ax_kl.set_xlabel("iteration")
        ax_kl.set_ylabel("KL divergence")
        ax_kl.set_title(f"final KL {self.final_kl:.3f}")
        fig.tight_layout()
        return fig


@dataclass
class SmallMultiples:
    """t-SNE runs of the same points at several perplexities (one kNN graph): ``results[i]`` ran at
    ``perplexities[i]``; ``embeddings`` stacks the final positions as (len(perplexities), N, 2) float32."""

    perplexities: np.ndarray
    results: list[TSNEResult]

    @property
    def embeddings(self) -> np.ndarray:
        return np.stack([r.embedding for r in self.results])

    def plot(self, labels: Any = None, *, class_names: Any = None, point_size: float = 2.0) -> Any:
        """A matplotlib Figure with one panel per perplexity."""
        from .._figures import figure

        n = len(self.results)
        labels = check_labels(labels, self.results[0].n_points) if n else None
        fig = figure(figsize=(3 * max(n, 1), 3.2))
        axes = np.atleast_1d(fig.subplots(1, max(n, 1)))
        for ax, perplexity, result in zip(axes, self.perplexities, self.results):
            _scatter(ax, result.embedding, labels, class_names, point_size, legend=False)
            ax.set_title(f"perplexity {perplexity:g}\nKL {result.final_kl:.3f}", fontsize=9)
        fig.tight_layout()
        return fig


def _scatter(ax: Any, positions: np.ndarray, labels: np.ndarray | None, class_names: Any, size: float, legend: bool = True) -> None:
    if labels is None:
        ax.scatter(positions[:, 0], positions[:, 1], s=size, linewidths=0)
    else:
        classes = np.unique(labels)
        for i, value in enumerate(classes):
            mask = labels == value
            name = class_names[int(value)] if class_names is not None and np.issubdtype(classes.dtype, np.integer) else value
            ax.scatter(positions[mask, 0], positions[mask, 1], s=size, linewidths=0, color=_colour(i, len(classes)), label=str(name))
        if legend and len(classes) <= 20:
            ax.legend(markerscale=3, fontsize=7, loc="best", frameon=False)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal", adjustable="datalim")


def _colour(i: int, n: int) -> Any:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20" if n <= 20 else "turbo"]
    return cmap(i if n <= 20 else i / max(n - 1, 1))
