"""Inputs an item explorer shows after its own: how :func:`nbviz.link` shows a t-SNE map's new points
(:meth:`~nbviz.widgets.tsne.TSNEExplorer.add_points`) in the saliency, occlusion and layer explorers.

Added inputs are appended, never replaced, so the indices of everything cached stay valid."""

from __future__ import annotations

from typing import Any

import torch

from .._data import as_tensor

__all__ = ["with_added"]


def with_added(own: torch.Tensor, inputs: Any, argument: str = "inputs") -> tuple[torch.Tensor, torch.Tensor]:
    """The explorer's ``own`` N×… inputs followed by ``inputs`` (shaped, typed and placed like them), and those alone.

    Parameters
    ----------
    own : torch.Tensor
        The explorer's inputs.
    inputs : array-like
        M inputs (tensor or array), each shaped like one of ``own``.
    argument : str, default "inputs"
        The argument's name in error messages.

    Returns
    -------
    tuple of torch.Tensor
        (N + M, …) all inputs and (M, …) the added ones, with ``own``'s dtype and device.
    """
    x = as_tensor(inputs, argument=argument)
    if x.ndim == own.ndim - 1 and tuple(x.shape) == tuple(own.shape[1:]):
        x = x[None]  # one input
    elif x.ndim == own.ndim - 1 and own.ndim == 4 and own.shape[1] == 1 and tuple(x.shape[1:]) == tuple(own.shape[2:]):
        x = x[:, None]  # M×H×W pictures of one-channel inputs
    if tuple(x.shape[1:]) != tuple(own.shape[1:]) or x.shape[0] == 0:
        raise ValueError(
            f"{argument}: expected one or more inputs shaped like the explorer's own {tuple(own.shape[1:])}, got shape {tuple(x.shape)}"
        )
    x = x.to(dtype=own.dtype, device=own.device)
    return torch.cat([own, x]), x
