"""Class probabilities of a model on a batch, under the model guard."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ._data import as_tensor, iter_inputs
from ._guard import model_device, model_guard
from ._inputs import check_model, model_input
from ._progress import Progress, report, with_progress_bar

__all__ = ["Predictions", "predict"]


@dataclass
class Predictions:
    """``probabilities``: N×K float32 softmax outputs; ``predicted``: N ints (argmax)."""

    probabilities: np.ndarray

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    def top(self, index: int, k: int = 5) -> list[tuple[int, float]]:
        """The ``k`` most probable classes of input ``index`` as ``(class, probability)``."""
        p = self.probabilities[index]
        order = np.argsort(-p, kind="stable")[:k]
        return [(int(c), float(p[c])) for c in order]


@with_progress_bar("predictions")
def predict(model: nn.Module, x: torch.Tensor, *, batch_size: int = 256, progress: Progress | None = None) -> Predictions:
    """Softmax probabilities of ``model`` on ``x``, evaluated in eval mode in batches.

    ``x`` is checked and converted by :func:`nbviz._inputs.model_input` (dtype of the model's
    parameters; errors for an empty batch, NaN/inf or the wrong channel count).

    Parameters
    ----------
    model : torch.nn.Module
        A classifier returning N×K logits (or an output :func:`nbviz.adapt` picks from); never changed.
    x : torch.Tensor
        The input batch, N×….
    batch_size : int, default 256
        Inputs per forward pass.
    progress : callable, False or None, default None
        ``progress(fraction, message)`` after each step; return ``False`` to stop. ``None``: a progress bar
        once the call runs longer than a second; ``False``: none.

    Returns
    -------
    Predictions
        ``probabilities`` (N×K float32 softmax outputs), with ``predicted`` (argmax) and ``top(index, k)``.
    """
    check_model(model)
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"x: expected a batch N×C×H×W (or N×D), got shape {tuple(x.shape)}")
    x = model_input(x, model)
    device = model_device(model)
    chunks = []
    with model_guard(model) as guard, torch.no_grad():
        for i, batch in enumerate(iter_inputs(x, batch_size, argument="x")):
            out = guard.model(batch.to(device))
            if not isinstance(out, torch.Tensor) or out.ndim != 2:
                raise ValueError(f"model: expected N×K logits from the forward pass, got {getattr(out, 'shape', type(out))}")
            chunks.append(torch.softmax(out.float(), dim=1).cpu())
            report(progress, (i + 1) * batch_size / max(1, x.shape[0]), "predicting")
    return Predictions(torch.cat(chunks).numpy())
