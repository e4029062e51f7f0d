"""Multifaceted feature visualisation (Nguyen, Yosinski & Clune 2016): a unit responds to several
kinds of input, so cluster the inputs that excite it and run activation maximisation from each
cluster's mean image, with centre-biased regularisation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from .._data import Data
from .._progress import Progress, with_progress_bar
from ..embedding import pca, tsne
from ..layers import activations, top_activating
from .maximize import AMSettings, optimise_units, unit_seed
from .objectives import Unit, parse_units
from .optimise import FrameCallback, span
from .results import Facets
from .transforms import check_transforms

__all__ = ["multifaceted"]


def _positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}: expected an integer ≥ {minimum}, got {value!r}")
    return int(value)


def _pca(X: np.ndarray, k: int) -> np.ndarray:
    """PCA scores (N, k); with fewer points than features (the usual case for the top inputs of a
    conv map) via the SVD of the centred N×D matrix instead of :func:`nbviz.embedding.pca`'s D×D
    eigen-decomposition. Same subspace; signs and order do not matter to t-SNE."""
    if X.shape[0] >= X.shape[1]:
        return pca(X, k)
    centred = X - X.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    return (u[:, :k] * s[:k]).astype(np.float32)


@with_progress_bar("facets")
def multifaceted(
    model: nn.Module,
    layer: str | nn.Module,
    unit: int,
    data: Data,
    k: int = 4,
    n_top: int = 100,
    n_mean: int = 15,
    steps: int = 128,
    seed: int = 0,
    progress: Progress | None = None,
    *,
    feature_layer: str | nn.Module | None = None,
    transforms: Sequence[str] | None = ("jitter",),
    l2: float = 0.0,
    tv: float = 0.0,
    lr: float = 0.05,
    batch_size: int = 64,
    on_frame: FrameCallback | None = None,
    frame_every: int = 8,
) -> Facets:
    """The ``k`` facets of channel ``unit`` of ``layer`` (multifaceted feature visualisation).

    The ``n_top`` inputs of ``data`` that excite the channel most (:func:`nbviz.top_activating`) → their
    outputs at ``feature_layer`` → PCA(50) → t-SNE → k-means(k) → per cluster the mean of its ``n_mean``
    members nearest the centroid → activation maximisation of the channel mean started from that mean
    image (pixel parameterisation, centre-biased: updates confined to a centred window growing to the
    whole image). All ``k`` facets are optimised in one batch.

    Parameters
    ----------
    model : torch.nn.Module
        The model; never changed.
    layer : str or torch.nn.Module
        The layer of the channel.
    unit : int
        The channel index.
    data : torch.Tensor, Dataset or DataLoader
        The inputs to search for top-activating examples.
    k : int, default 4
        Number of facets (clusters).
    n_top : int, default 100
        Top-activating inputs that are clustered.
    n_mean : int, default 15
        Members nearest each centroid averaged into the facet's starting image.
    steps : int, default 128
        Optimisation steps.
    seed : int, default 0
        Seed of t-SNE, k-means and the optimisation.
    progress : callable, False or None, default None
        ``progress(fraction, message)`` after each step; return ``False`` to stop. ``None``: a progress bar
        once the call runs longer than a second; ``False``: none.
    feature_layer : str, torch.nn.Module or None, default None
        The layer whose outputs are clustered; ``None``: ``layer``.
    transforms : sequence of str or None, default ("jitter",)
        Random transforms applied each step (names from ``nbviz.featurevis.transforms.TRANSFORMS``); ``None``: none.
    l2 : float, default 0.0
        Weight of the L2 penalty on the image.
    tv : float, default 0.0
        Weight of the total-variation penalty.
    lr : float, default 0.05
        Adam's learning rate.
    batch_size : int, default 64
        Inputs per forward pass while searching ``data``.
    on_frame : callable or None, default None
        ``on_frame(images, step)`` with the intermediate N×C×H×W float32 images, every ``frame_every``
        steps (for live previews); ``None``: no frames.
    frame_every : int, default 8
        Steps between two calls of ``on_frame``.

    Returns
    -------
    Facets
        The facet images, their starting images, the clusters and the t-SNE embedding.
    """
    from sklearn.cluster import KMeans

    k = _positive_int("k", k)
    n_top = _positive_int("n_top", n_top, 2)
    n_mean = _positive_int("n_mean", n_mean)
    if n_top < max(k, 4):
        raise ValueError(f"n_top: expected at least max(k, 4) = {max(k, 4)} top inputs to cluster, got {n_top}")
    units = parse_units(unit)
    if len(units) != 1 or units[0].position is not None:
        raise TypeError(f"unit: expected one channel (an int), got {unit!r}")
    channel = units[0].channel
    settings = AMSettings(steps, "pixel", check_transforms(transforms), l2, tv, 0, 0.5, lr, center_bias=True)
    settings.check()

    top = top_activating(model, data, layer, channel, k=n_top, batch_size=batch_size, crops=False,
                         progress=span(progress, 0.0, 0.3, "top inputs: "))
    if len(top.indices) < max(k, 4):
        raise ValueError(f"data: only {len(top.indices)} inputs, need at least max(k, 4) = {max(k, 4)}")
    images = torch.from_numpy(top.images)
    key = top.layer if feature_layer is None else feature_layer
    feats = next(iter(activations(model, images, key).values())).flatten(1).double().numpy()
    codes = _pca(feats, min(50, feats.shape[0], feats.shape[1]))
    n = len(codes)
    embedded = tsne(codes, perplexity=min(30.0, 0.95 * (n - 1) / 3.0), n_iter=500, seed=seed, snapshot_every=500,
                    progress=span(progress, 0.3, 0.5, "t-SNE: ")).embedding
    labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(embedded)
    starts, members, member_images = [], [], []
    for j in range(k):
        inside = np.flatnonzero(labels == j)
        centre = embedded[inside].mean(0)
        nearest = inside[np.argsort(np.linalg.norm(embedded[inside] - centre, axis=1), kind="stable")]
        starts.append(top.images[nearest[:n_mean]].mean(0))
        members.append(top.indices[nearest])
        member_images.append(top.images[nearest])
    start = torch.from_numpy(np.stack(starts)).float()
    facet_units = [Unit(channel)] * k
    seeds = [unit_seed(seed, u, j) for j, u in enumerate(facet_units)]
    shape = tuple(start.shape[1:])
    am = optimise_units(model, top.layer, facet_units, seeds, settings, shape,  # type: ignore[arg-type]
                        init=start.clamp(0, 1), progress=span(progress, 0.5, 1.0, "facets: "),
                        on_frame=on_frame, frame_every=frame_every)
    return Facets(
        layer=top.layer, unit=channel, images=am.images, starts=start.numpy(), members=members,
        activations=am.activations, top_indices=top.indices, top_values=top.values,
        embedding=np.asarray(embedded, dtype=np.float32), labels=labels.astype(np.int64), member_images=member_images,
    )
