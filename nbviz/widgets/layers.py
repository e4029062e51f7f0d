"""LayerExplorer: what each layer of a CNN sees.

A layer picker (the module tree with output shapes), the chosen layer's feature maps for the chosen
input as a channel grid, sliders that shift/rotate/scale the input (equivariance, live), per-channel
statistics on hover, a detail view per channel (large map, filter, top-9 dataset images with their
receptive-field crops), and sparsity / dead channels by layer.

One forward pass captures every layer for the current input and transform; results are cached per
(input, transform), so switching layers (or back to an earlier input) is a cache lookup.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Sequence

import numpy as np
import torch
import traitlets
from torch import nn

from .. import render
from .._data import as_tensor
from ..layers import activation_stats, activations, filters, top_activating
from ..transforms import affine
from ._arrays import Array
from ._base import Explorer
from ._layer_tree import picker_tree

__all__ = ["LayerExplorer"]

_COLORMAPS = ("viridis", "magma", "inferno", "coolwarm", "gray")
_TRANSFORMS = ("shift_x", "shift_y", "angle", "scale")


def _pictures(images: torch.Tensor) -> np.ndarray:
    """N×C×H×W → N×H×W×3 uint8: as is when values lie in [0, 1], else each image stretched."""
    low, high = float(images.min()), float(images.max())
    scale = None if low >= 0.0 and high <= 1.0 else "each"
    return render.to_rgb_uint8(images[:, :3] if images.shape[1] >= 3 else images[:, :1], scale=scale)


class LayerExplorer(Explorer):
    """Explore the feature maps of ``model`` for ``inputs`` (N×C×H×W, up to ``max_inputs``).

    ``labels`` (one per input; ints, optionally named through ``class_names``, or strings) caption
    the input strip. ``dataset`` (tensor, Dataset or DataLoader; default: ``inputs``) is what channel
    statistics, dead channels and top-activating images are computed over.

    Traits a notebook can read or set: ``layer``, ``channel`` (-1 = none), ``input_index``,
    ``shift_x``/``shift_y`` (fractions of the size), ``angle`` (degrees), ``scale``; ``stats`` holds
    the :class:`~nbviz.layers.ActivationStats` once computed.
    """

    _bundle = "layers"

    # what a person picks
    layer = traitlets.Unicode("").tag(sync=True)
    channel = traitlets.Int(-1).tag(sync=True)
    input_index = traitlets.Int(0).tag(sync=True)
    shift_x = traitlets.Float(0.0).tag(sync=True)
    shift_y = traitlets.Float(0.0).tag(sync=True)
    angle = traitlets.Float(0.0).tag(sync=True)
    scale = traitlets.Float(1.0).tag(sync=True)
    normalize = traitlets.Enum(("each", "shared"), "each").tag(sync=True)
    colormap = traitlets.Enum(_COLORMAPS, "viridis").tag(sync=True)
    # what the front end draws
    tree = traitlets.List(traitlets.Dict()).tag(sync=True)
    labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    thumbnails = Array()  # N×h×w×3 uint8
    input_image = Array()  # h×w×3 uint8, the current input after the transform
    maps = Array()  # C×H×W uint8, the chosen layer's feature maps
    maps_layer = traitlets.Unicode("").tag(sync=True)  # the layer ``maps`` belong to
    map_range = Array()  # C×2 float32: each channel's raw min and max for this input
    channel_stats = Array()  # C×4 float32: mean, max, sparsity, dead over the dataset (None until computed)
    layer_summary = traitlets.List(traitlets.Dict()).tag(sync=True)  # per leaf layer: sparsity, dead, channels
    filter_image = Array()  # kh×kw×3 uint8 (RGB first layer) or C_in×kh×kw uint8 (128 = zero weight)
    filter_kind = traitlets.Unicode("").tag(sync=True)  # "rgb", "signed" or "" (no filter)
    top_images = Array()  # k×H×W×3 uint8
    top_boxes = Array()  # k×4 int32 (row_start, row_stop, col_start, col_stop) or None
    top_indices = traitlets.List(traitlets.Int()).tag(sync=True)
    top_values = traitlets.List(traitlets.Float()).tag(sync=True)
    detail_channel = traitlets.Int(-1).tag(sync=True)  # the channel the detail arrays belong to

    def __init__(
        self,
        model: nn.Module,
        inputs: Any,
        labels: Sequence[Any] | torch.Tensor | None = None,
        dataset: Any = None,
        *,
        class_names: Sequence[str] | None = None,
        layer: str | None = None,
        max_inputs: int = 32,
        cache_size: int = 32,
        **kwargs: Any,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
        x = as_tensor(inputs, argument="inputs")
        if x.ndim != 4:
            raise ValueError(f"inputs: expected N×C×H×W images, got shape {tuple(x.shape)}")
        if x.shape[0] == 0:
            raise ValueError("inputs: got no images")
        if isinstance(max_inputs, bool) or not isinstance(max_inputs, int) or max_inputs < 1:
            raise ValueError(f"max_inputs: expected a positive integer, got {max_inputs!r}")
        self._model = model
        self._inputs = x[:max_inputs]
        n = self._inputs.shape[0]
        self._dataset = self._inputs if dataset is None else dataset
        if isinstance(self._dataset, (str, bytes, dict)) or not hasattr(self._dataset, "__iter__") and not hasattr(self._dataset, "__getitem__"):
            raise TypeError(f"dataset: expected a tensor, array, Dataset or DataLoader, got {type(dataset).__name__}")
        label_text = self._label_text(labels, class_names, n)
        picker = picker_tree(model, self._inputs[:1])
        self._picker = picker
        self._shown = picker.shown
        rows = picker.rows
        first = layer if layer is not None else picker.default
        self._check_layer(first)
        self._cache: OrderedDict[tuple, dict[str, torch.Tensor]] = OrderedDict()
        self._cache_size = cache_size
        self._stats = None
        self.forwards = 0  # how many forward passes the explorer ran (stale requests never run one)
        super().__init__(
            tree=rows, labels=label_text, thumbnails=_pictures(self._inputs), layer=first, **kwargs
        )
        self.observe(self._request_maps, names=["layer", "input_index", "normalize", *_TRANSFORMS])
        self.observe(self._on_layer, names=["layer"])
        self.observe(self._request_detail, names=["channel"])
        self._request_maps()
        self.run("stats", self._compute_stats, self._show_stats)

    # -- validation -------------------------------------------------------------------------------
    @staticmethod
    def _label_text(labels: Any, class_names: Sequence[str] | None, n: int) -> list[str]:
        if labels is None:
            return []
        values = labels.tolist() if hasattr(labels, "tolist") else list(labels)
        values = values[:n]
        if len(values) != n:
            raise ValueError(f"labels: expected {n} labels for {n} inputs, got {len(values)}")
        names = list(class_names or [])
        out = []
        for v in values:
            if names and isinstance(v, (int, np.integer)) and 0 <= int(v) < len(names):
                out.append(str(names[int(v)]))
            else:
                out.append(str(v))
        return out

    def _check_layer(self, name: str) -> None:
        self._picker.check(name)

    @traitlets.validate("layer")
    def _valid_layer(self, proposal: Any) -> str:
        self._check_layer(proposal["value"])
        return proposal["value"]

    @traitlets.validate("input_index")
    def _valid_index(self, proposal: Any) -> int:
        n = self._inputs.shape[0]
        if not 0 <= proposal["value"] < n:
            raise traitlets.TraitError(f"input_index: expected 0 … {n - 1}, got {proposal['value']}")
        return proposal["value"]

    @traitlets.validate("scale")
    def _valid_scale(self, proposal: Any) -> float:
        if not proposal["value"] > 0:
            raise traitlets.TraitError(f"scale: expected a positive number, got {proposal['value']}")
        return proposal["value"]

    @traitlets.validate("channel")
    def _valid_channel(self, proposal: Any) -> int:
        count = self._channels(self.layer)
        if not -1 <= proposal["value"] < count:
            raise traitlets.TraitError(f"channel: {self.layer!r} has {count} channels, got {proposal['value']}")
        return proposal["value"]

    def _channels(self, name: str) -> int:
        return int(self._shown[name].output_shape[1])

    # -- feature maps -----------------------------------------------------------------------------
    def _on_layer(self, change: Any) -> None:
        self.channel = -1

    def _request_maps(self, change: Any = None) -> None:
        key = (self.input_index, self.shift_x, self.shift_y, self.angle, self.scale)
        layer, normalize = self.layer, self.normalize

        def work(progress):
            captured = self._cache.get(key)
            if captured is None:
                x = self._inputs[key[0] : key[0] + 1]
                moved = affine(x, shift=(key[1], key[2]), angle=key[3], scale=key[4])
                self.forwards += 1
                outputs = activations(self._model, moved, list(self._shown))
                captured = {name: value[0].float() for name, value in outputs.items()}
                captured[""] = moved[0]
                self._cache[key] = captured
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            self._cache.move_to_end(key)
            maps = captured[layer]
            maps = maps.reshape(maps.shape[0], 1, 1) if maps.ndim == 1 else maps
            flat = maps.reshape(maps.shape[0], -1)
            return dict(
                maps=render.to_uint8(maps, scale=normalize),
                map_range=torch.stack([flat.min(dim=1).values, flat.max(dim=1).values], dim=1),
                input_image=_pictures(captured[""][None])[0],
                layer=layer,
            )

        self.run("maps", work, self._show_maps)

    def _show_maps(self, result: dict[str, Any]) -> None:
        self.input_image = result["input_image"]
        self.map_range = result["map_range"]
        self.channel_stats = self._stats_of(result["layer"])
        self.maps = result["maps"]
        self.maps_layer = result["layer"]

    def feature_maps(self) -> torch.Tensor | None:
        """The raw feature maps (C×H×W) of the current layer, input and transform, if computed."""
        key = (self.input_index, self.shift_x, self.shift_y, self.angle, self.scale)
        captured = self._cache.get(key)
        return None if captured is None else captured[self.layer]

    # -- statistics over the dataset ---------------------------------------------------------------
    def _compute_stats(self, progress):
        return activation_stats(self._model, self._dataset, layers=list(self._shown), progress=progress)

    def _show_stats(self, stats: Any) -> None:
        self._stats = stats
        leaves = [name for name in stats.layers if self._shown[name].is_leaf]
        self.layer_summary = [row for row in stats.summary() if row["layer"] in leaves]
        if self.maps_layer:
            self.channel_stats = self._stats_of(self.maps_layer)

    def _stats_of(self, name: str) -> np.ndarray | None:
        s = self._stats
        if s is None or name not in s.mean:
            return None
        return np.stack([s.mean[name], s.max[name], s.sparsity[name], s.dead[name]], axis=1).astype(np.float32)

    @property
    def stats(self) -> Any:
        """The :class:`~nbviz.layers.ActivationStats` over the dataset (``None`` until computed)."""
        return self._stats

    # -- one channel in detail ----------------------------------------------------------------------
    def _request_detail(self, change: Any = None) -> None:
        layer, channel = self.layer, self.channel
        if channel < 0:
            self.run("detail", lambda progress: None, lambda _: self._clear_detail())
            return
        module = self._shown[layer]
        is_conv = module.type in ("Conv2d", "ConvTranspose2d")

        def work(progress):
            top = top_activating(self._model, self._dataset, layer, channel, k=9, progress=progress)
            weights = filters(self._model, layer) if is_conv else None
            return channel, top, weights

        self.run("detail", work, self._show_detail)

    def _clear_detail(self) -> None:
        self.detail_channel = -1
        self.filter_kind = ""
        self.filter_image = self.top_images = self.top_boxes = None
        self.top_indices, self.top_values = [], []

    def _show_detail(self, result: Any) -> None:
        channel, top, weights = result
        if weights is None:
            self.filter_kind, self.filter_image = "", None
        elif weights.rgb is not None:
            self.filter_kind, self.filter_image = "rgb", np.round(weights.rgb[channel] * 255).astype(np.uint8)
        else:
            self.filter_kind = "signed"
            self.filter_image = render.to_uint8(weights.scaled[channel], scale="shared", symmetric=True)
        images = torch.as_tensor(top.images)
        self.top_images = _pictures(images) if images.ndim == 4 else None
        self.top_boxes = None if top.boxes is None else np.asarray(top.boxes, dtype=np.int32)
        self.top_indices = [int(i) for i in top.indices]
        self.top_values = [float(v) for v in top.values]
        self.detail_channel = channel
