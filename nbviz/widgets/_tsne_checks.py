"""TSNEExplorer's checks of settings a person (or the page) changes: each trait validator names
the trait and what it expects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import traitlets
from torch import nn

from ..embedding._validate import check_perplexity
from ._tsne_settings import check_metrics_k

__all__ = ["SettingChecks"]


class SettingChecks(traitlets.HasTraits):
    """Trait validators of :class:`~nbviz.widgets.tsne.TSNEExplorer` (which declares the traits and
    ``_n_points``)."""

    # provided by TSNEExplorer (declared here, without values, for the type checker only)
    positions: np.ndarray | None
    new_positions: np.ndarray | None
    _X: np.ndarray | None
    _features: tuple[nn.Module, Any, str, str, int] | None

    if TYPE_CHECKING:

        def _n_points(self) -> int: ...

    @traitlets.validate("perplexity")
    def _valid_perplexity(self, proposal: Any) -> float:
        value = proposal["value"]
        return check_perplexity(value, self._n_points()) if self._X is not None or self._features else value

    @traitlets.validate("metrics_k")
    def _valid_metrics_k(self, proposal: Any) -> int:
        known = self._X is not None or self._features is not None or self.positions is not None
        return check_metrics_k(proposal["value"], self._n_points() if known else None)

    @traitlets.validate("n_iter")
    def _valid_n_iter(self, proposal: Any) -> int:
        if proposal["value"] < 1:
            raise ValueError(f"n_iter: expected a positive integer, got {proposal['value']}")
        return proposal["value"]

    @traitlets.validate("seed")
    def _valid_seed(self, proposal: Any) -> int:
        if proposal["value"] < 0:
            raise ValueError(f"seed: expected a non-negative integer, got {proposal['value']}")
        return proposal["value"]

    @traitlets.validate("exaggeration", "learning_rate")
    def _valid_positive(self, proposal: Any) -> float:
        value, name = proposal["value"], proposal["trait"].name
        if not np.isfinite(value) or value < (0 if name == "learning_rate" else 1e-9):
            raise ValueError(f"{name}: expected a positive number, got {value}")
        return value

    @traitlets.validate("selected")
    def _valid_selected(self, proposal: Any) -> list[int]:
        n, values = self._n_points(), list(proposal["value"])
        bad = [i for i in values if not 0 <= i < n]
        if bad:
            raise ValueError(f"selected: indices must be in 0 … {n - 1}, got {bad[:5]}")
        return values

    @traitlets.validate("new_selected")
    def _valid_new_selected(self, proposal: Any) -> list[int]:
        m = 0 if self.new_positions is None else int(self.new_positions.shape[0])
        values = list(proposal["value"])
        bad = [i for i in values if not 0 <= i < m]
        if bad:
            raise ValueError(f"new_selected: indices must be in 0 … {m - 1} (the added points), got {bad[:5]}")
        return values

    @traitlets.validate("init")
    def _valid_init(self, proposal: Any) -> str:
        if proposal["value"] not in ("pca", "random", "spectral"):
            raise ValueError(f"init: expected 'pca', 'random' or 'spectral', got {proposal['value']!r}")
        return proposal["value"]
