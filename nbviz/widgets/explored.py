"""``nbviz.explore``: a linked t-SNE map, saliency, occlusion and layer explorers in one line.

The map shows the network's features of every image (the penultimate layer by default); clicking a
point shows that image's saliency maps, occlusion map and feature maps, and a shift+drag lasso over a group lists
the channels that respond to the group more than to the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets
import numpy as np
import torch
from torch import nn

from .._data import as_tensor, examples
from ..layers import layer_tree
from ._base import Explorer
from .layers import LayerExplorer
from .linking import Link
from .occlusion import OcclusionExplorer, default_window
from .saliency import SaliencyExplorer
from .tsne import TSNEExplorer

__all__ = ["Explored", "explore", "default_feature_layer", "default_maps_layer"]


class Explored(ipywidgets.GridBox):
    """The explorers :func:`explore` built, laid out side by side where the width allows.

    Each constructor argument is kept as the attribute of the same name.

    Parameters
    ----------
    tsne : TSNEExplorer
        The t-SNE map of the dataset.
    saliency : SaliencyExplorer
        Saliency maps of the selected item.
    occlusion : OcclusionExplorer
        The occlusion map of the selected item.
    layers : LayerExplorer
        Feature maps of the selected item (and channel rankings of a selection).
    link : Link
        The link between them.
    images : torch.Tensor
        The dataset's images, N×C×H×W.
    labels : torch.Tensor or None
        The dataset's labels, or ``None`` when it has none.
    """

    def __init__(self, tsne: TSNEExplorer, saliency: SaliencyExplorer, occlusion: OcclusionExplorer,
                 layers: LayerExplorer, link: Link, images: torch.Tensor, labels: torch.Tensor | None) -> None:
        self.tsne, self.saliency, self.occlusion, self.layers = tsne, saliency, occlusion, layers
        self.link, self.images, self.labels = link, images, labels
        hint = ipywidgets.HTML(
            "<b>Linked views.</b> Click a point in the map to see that image's saliency, occlusion and feature "
            "maps; shift+drag around a group to list the channels that respond to it most."
        )
        for widget in (hint, layers):
            widget.layout.grid_column = "1 / -1"  # full width; the map, saliency and occlusion share rows
        super().__init__(
            children=[hint, tsne, saliency, occlusion, layers],
            layout=ipywidgets.Layout(grid_template_columns="repeat(auto-fit, minmax(460px, 1fr))", grid_gap="8px", width="100%"),
        )

    @property
    def explorers(self) -> tuple[Explorer, ...]:
        """The linked explorers, in the order they are shown."""
        return (self.tsne, self.saliency, self.occlusion, self.layers)

    def wait(self, timeout: float | None = 300.0) -> Explored:
        """Block until every explorer's pending work is done.

        Parameters
        ----------
        timeout : float or None, default 300.0
            Seconds to wait for each explorer at most; ``None``: no limit.

        Returns
        -------
        Explored
            ``self``.
        """
        for explorer in self.explorers:
            explorer.wait(timeout)
        return self

    def precompute(self, **options: Any) -> None:
        """Prepare every explorer for a handout (see :meth:`~nbviz.widgets._base.Explorer.precompute`).

        Parameters
        ----------
        **options
            Handout options, passed to every explorer's ``precompute``.
        """
        for explorer in self.explorers:
            explorer.precompute(**options)

    def save_html(self, path: Any, precompute: bool | dict[str, Any] = True) -> Any:
        """Write a handout of the linked views: one self-contained HTML file that works offline.

        See :func:`nbviz.save_html`. Each explorer precomputes what it can first, so the map, the layer
        picker and the inputs stored for the layer explorer stay interactive without a kernel.

        Parameters
        ----------
        path : str or os.PathLike
            The HTML file to write.
        precompute : bool or dict of str to object, default True
            ``False`` skips the precompute; a dict passes options to every explorer's ``precompute``.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        from ..handout import save_html

        return save_html(path, self, precompute=precompute)

    def close(self) -> None:
        """Unlink the explorers and close them and this layout (their views disappear, their work stops).
        """
        self.link.unlink()
        for explorer in self.explorers:
            explorer.close()
        # the hint and the layouts and styles ipywidgets made for it and for this box stay open otherwise
        hints = [c for c in self.children if not isinstance(c, Explorer)]
        parts = [self.layout, *hints, *(getattr(h, name, None) for h in hints for name in ("layout", "style"))]
        super().close()
        for part in parts:
            if part is not None:
                part.close()


def default_feature_layer(model: nn.Module, example: torch.Tensor) -> str:
    """The penultimate leaf layer call (the features the last layer reads), for a t-SNE of features."""
    leaves = [info.name for info in layer_tree(model, example[:1]) if info.is_leaf and info.output_shape is not None]
    if not leaves:
        raise ValueError("model: found no layer to take features from; pass layer=")
    return leaves[-2] if len(leaves) >= 2 else leaves[-1]


def default_maps_layer(model: nn.Module, example: torch.Tensor) -> str | None:
    """The deepest leaf layer whose feature maps are still at least 4×4 (where channels tend to stand
    for parts of objects and a selection's channels are telling), or ``None`` if there is none."""
    found = None
    for info in layer_tree(model, example[:1]):
        shape = info.output_shape
        if info.is_leaf and shape is not None and len(shape) == 4 and min(shape[2], shape[3]) >= 4:
            found = info.name
    return found


def _materialize(dataset: Any) -> tuple[torch.Tensor, torch.Tensor | None, Any, Any]:
    """Images (N×C×H×W float), labels, class names and masks from any container :func:`nbviz._data.examples` reads."""
    if isinstance(dataset, (str, bytes, dict)) or isinstance(dataset, nn.Module):
        raise TypeError(
            f"dataset: expected an nbviz ImageDataset, an N×C×H×W tensor or array, an (images, labels) pair, "
            f"a torch Dataset or a DataLoader, got {type(dataset).__name__}"
        )
    found = examples(dataset, argument="dataset")
    images, labels, names, masks = found.inputs, found.labels, found.class_names, found.masks
    images = as_tensor(images, argument="dataset").detach().cpu()
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"dataset: expected images N×C×H×W with C = 1 or 3, got shape {tuple(images.shape)}")
    if images.shape[0] < 5:
        raise ValueError(f"dataset: needs at least 5 images for a map, got {images.shape[0]}")
    if labels is not None:
        labels = torch.as_tensor(np.asarray(labels)).long().reshape(-1)
        if labels.shape[0] != images.shape[0]:
            raise ValueError(f"labels: expected {images.shape[0]} labels, got {labels.shape[0]}")
    return images, labels, names, masks


def explore(
    model: nn.Module,
    dataset: Any,
    layer: str | None = None,
    labels: Sequence[int] | torch.Tensor | None = None,
    class_names: Sequence[str] | None = None,
    *,
    methods: Sequence[str] | None = None,
    n_iter: int = 500,
    **tsne_options: Any,
) -> Explored:
    """Build linked explorers of ``model`` over ``dataset`` in one line and return them laid out.

    Clicking a point of the t-SNE map shows that image everywhere; a lasso ranks channels in the
    layer explorer. The saliency explorer uses ``methods``; the occlusion explorer a window of about a
    quarter of the image side (see :func:`~nbviz.widgets.occlusion.default_window`).

    Parameters
    ----------
    model : torch.nn.Module
        The model; never changed.
    dataset : ImageDataset, tensor, array, (images, labels), Dataset or DataLoader
        The images: an nbviz ImageDataset, an N×C×H×W tensor or array, an ``(images, labels)`` pair,
        a torch Dataset of images (or ``(image, label)`` items) or a DataLoader (read once). Labels and
        class names (``.class_names`` or torchvision's ``.classes``) are taken from it where present.
    layer : str or None, default None
        The layer whose features the t-SNE map embeds; ``None``: the penultimate layer.
    labels : sequence of int, torch.Tensor or None, default None
        Labels overriding the dataset's.
    class_names : sequence of str or None, default None
        Class names overriding the dataset's.
    methods : sequence of str or None, default None
        The saliency explorer's methods; ``None``: its default.
    n_iter : int, default 500
        t-SNE iterations.
    **tsne_options
        Further keyword arguments for :class:`TSNEExplorer`.

    Returns
    -------
    Explored
        The four explorers and their link, laid out as one widget.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    images, found_labels, found_names, masks = _materialize(dataset)
    if labels is not None:
        found_labels = torch.as_tensor(np.asarray(labels)).long().reshape(-1)
        if found_labels.shape[0] != images.shape[0]:
            raise ValueError(f"labels: expected {images.shape[0]} labels, got {found_labels.shape[0]}")
    names = class_names if class_names is not None else found_names
    n = int(images.shape[0])
    tsne_options.setdefault("perplexity", float(min(30.0, max(1.0, np.floor((n - 1) / 3 - 1)))))
    tsne_options.setdefault("metrics_k", int(min(10, max(1, (n - 1) // 2))))  # quality scores need k < N / 2
    feature_layer = default_feature_layer(model, images) if layer is None else layer
    # in an ImageDataset the class names may cover more classes than the model outputs: check first
    tsne = TSNEExplorer((model, images, feature_layer), found_labels, images, names, n_iter=n_iter, **tsne_options)
    extra = {} if methods is None else {"methods": methods}
    saliency = SaliencyExplorer(model, images, found_labels, masks, names, max_inputs=n, **extra)
    window, stride = default_window(*images.shape[-2:])  # the map itself runs on the explorer's worker
    occlusion = OcclusionExplorer(model, images, saliency.class_names, window=window, stride=stride)
    maps_layer = default_maps_layer(model, images)
    layers = LayerExplorer(model, images, found_labels, class_names=names, max_inputs=n, layer=maps_layer)
    link = Link(tsne, saliency, occlusion, layers)
    return Explored(tsne, saliency, occlusion, layers, link, images, found_labels)
