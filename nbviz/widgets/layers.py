"""LayerExplorer: what each layer of a CNN sees.

A layer picker (the module tree with output shapes), the chosen layer's feature maps for the chosen
input as a channel grid, sliders that shift/rotate/scale the input (equivariance, live), per-channel
statistics on hover, a detail view per channel (large map, filter, top-9 dataset images with their
receptive-field crops), and sparsity / dead channels by layer. Given a ``selection`` of dataset
inputs (e.g. a lasso in a linked t-SNE), it ranks the channels that respond to them more than to the
rest; :meth:`LayerExplorer.precompute` stores every layer's maps for a few inputs for handouts.

One forward pass captures every layer for the current input and transform; results are cached per
(input, transform), so switching layers (or back to an earlier input) is a cache lookup.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch
import traitlets
from torch import nn

from .. import render
from .._data import as_tensor, count_items, examples
from .._progress import Progress
from ..layers import activation_stats, activations
from ..transforms import affine
from ._added_inputs import with_added
from ._arrays import Array
from ._base import Explorer
from ._images import display_rgb
from ._layer_tree import picker_tree
from ._layers_detail import ChannelDetailMixin
from ._layers_selection import STRIP, SelectionContrastMixin
from ._packed import pack_arrays

__all__ = ["LayerExplorer"]

_COLORMAPS = ("viridis", "magma", "inferno", "coolwarm", "gray")
_TRANSFORMS = ("shift_x", "shift_y", "angle", "scale")


class LayerExplorer(SelectionContrastMixin, ChannelDetailMixin, Explorer):
    """Explore the feature maps of ``model`` for a few inputs, layer by layer.

    Traits a notebook can read or set: ``layer``, ``channel`` (-1 = none), ``input_index``,
    ``shift_x``/``shift_y`` (fractions of the size), ``angle`` (degrees), ``scale``; ``strip`` lists
    the inputs shown as thumbnails (at most 32; it follows ``input_index`` and ``selection``).
    :meth:`stats` returns the :class:`~nbviz.layers.ActivationStats` once computed.

    ``selection`` (indices into ``dataset``; two or more) ranks the layer's channels by how much more
    they respond to the selected inputs than to the rest (difference of per-input channel means, in
    units of the channel's standard deviation over the dataset): ``contrast_channels`` and
    ``contrast_scores`` (best first, top 12) for ``contrast_layer``; :meth:`contrast` has them all.

    Parameters
    ----------
    model : torch.nn.Module
        The network; it runs under the model guard.
    inputs : tensor, array, (inputs, labels) pair, Dataset or DataLoader
        N×C×H×W images (the first ``max_inputs`` are read); labels and class names found beside
        them are used unless given.
    labels : sequence or torch.Tensor, optional
        One per input, captioning the strip: ints (named through ``class_names``) or strings.
    dataset : tensor, Dataset or DataLoader, optional
        What channel statistics, dead channels, top-activating images and selections are computed
        over (default: ``inputs``).
    class_names : sequence of str, optional
        Names of integer labels.
    layer : str, optional
        The layer shown first (default: the first leaf layer with maps).
    max_inputs : int, default 32
        Inputs read from ``inputs`` at most.
    cache_size : int, default 32
        Captured (input, transform) forward passes kept, so switching layers is a lookup.
    **kwargs : Any
        Initial values of other traits; an unknown name raises ``TypeError``.
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
    strip = traitlets.List(traitlets.Int()).tag(sync=True)  # inputs whose ``thumbnails`` the strip shows
    # channels that respond to a selection of dataset inputs
    selection = traitlets.List(traitlets.Int()).tag(sync=True)
    contrast_layer = traitlets.Unicode("").tag(sync=True)  # the layer the contrast lists belong to
    contrast_channels = traitlets.List(traitlets.Int()).tag(sync=True)
    contrast_scores = traitlets.List(traitlets.Float()).tag(sync=True)
    contrast_size = traitlets.Int(0).tag(sync=True)  # how many inputs the contrast was computed for
    # handouts: every layer's maps for a few inputs (see precompute)
    offline_maps = Array()  # all maps, uint8, packed one after another
    offline_ranges = Array()  # float32, packed: C×2 raw ranges per map, C×4 channel stats per layer
    offline_index = traitlets.List(traitlets.Dict()).tag(sync=True)  # {layer, input, maps, range} entries
    offline_stats = traitlets.Dict().tag(sync=True)  # layer → packed entry of its channel statistics

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
        if isinstance(max_inputs, bool) or not isinstance(max_inputs, int) or max_inputs < 1:
            raise ValueError(f"max_inputs: expected a positive integer, got {max_inputs!r}")
        found = examples(inputs, limit=max_inputs, argument="inputs")  # a tensor, pair, Dataset or DataLoader
        x = as_tensor(found.inputs, argument="inputs")
        if x.ndim != 4:
            raise ValueError(f"inputs: expected N×C×H×W images, got shape {tuple(x.shape)}")
        if x.shape[0] == 0:
            raise ValueError("inputs: got no images")
        labels = found.labels if labels is None else labels
        class_names = found.class_names if class_names is None else class_names
        self._model = model
        self._watch_weights(model)
        self._inputs = x[:max_inputs]
        self._class_names = class_names
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
        self._means: dict[str, np.ndarray] = {}  # per layer: N×C per-input channel means over the dataset
        self._contrast = None
        self.forwards = 0  # how many forward passes the explorer ran (stale requests never run one)
        strip = list(range(min(n, STRIP)))
        super().__init__(
            tree=rows, labels=label_text, strip=strip, thumbnails=display_rgb(self._inputs[strip]), layer=first, **kwargs
        )
        self.observe(self._request_maps, names=["layer", "input_index", "normalize", *_TRANSFORMS])
        self.observe(self._on_layer, names=["layer"])
        self.observe(self._request_detail, names=["channel"])
        self.observe(self._follow_input, names=["input_index"])
        self.observe(self._on_selection, names=["selection"])
        self.observe(self._request_contrast, names=["layer", "selection"])
        self.observe(self._show_strip, names=["strip"])
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
        return self._picker.channels(name)

    def add_inputs(self, inputs: Any, labels: Sequence[Any] | torch.Tensor | None = None) -> int:
        """Show ``inputs`` after the explorer's own (how :func:`nbviz.link` shows a t-SNE map's new points).
        The dataset ``selection`` indexes is unchanged.

        Parameters
        ----------
        inputs : torch.Tensor or numpy.ndarray
            M×C×H×W images (or one C×H×W), shaped like the explorer's inputs.
        labels : sequence or torch.Tensor, optional
            Their labels (indices into the class names, or any values), named as the explorer's own.

        Returns
        -------
        int
            The ``input_index`` of the first added input; the others follow in order.
        """
        joined, x = with_added(self._inputs, inputs)
        start = int(self._inputs.shape[0])
        text = self._label_text(labels, self._class_names, x.shape[0]) if labels is not None else [""] * x.shape[0]
        self._inputs = joined
        if self.labels:
            self.labels = [*self.labels, *text]
        return start

    @property
    def n_inputs(self) -> int:
        """How many inputs the explorer holds (``input_index`` runs over them)."""
        return int(self._inputs.shape[0])

    @property
    def n_dataset(self) -> int | None:
        """How many inputs ``dataset`` holds (``selection`` indexes them), if it has a length."""
        return count_items(self._dataset)

    @traitlets.validate("strip")
    def _valid_strip(self, proposal: Any) -> list[int]:
        values = [int(v) for v in proposal["value"]][:STRIP]
        bad = [v for v in values if not 0 <= v < self.n_inputs]
        if bad:
            raise traitlets.TraitError(f"strip: input indices must be in 0 … {self.n_inputs - 1}, got {bad[:5]}")
        return values

    @traitlets.validate("selection")
    def _valid_selection(self, proposal: Any) -> list[int]:
        values = [int(v) for v in proposal["value"]]
        n = self.n_dataset
        bad = [v for v in values if v < 0 or (n is not None and v >= n)]
        if bad:
            raise traitlets.TraitError(f"selection: dataset indices must be in 0 … {(n or 1) - 1}, got {bad[:5]}")
        return values

    # -- the strip of inputs ------------------------------------------------------------------------
    def _show_strip(self, change: Any = None) -> None:
        self.thumbnails = display_rgb(self._inputs[self.strip]) if self.strip else None

    def _follow_input(self, change: Any) -> None:
        if change["new"] not in self.strip:
            self.strip = [change["new"], *[i for i in self.strip if i != change["new"]]][:STRIP]

    # -- feature maps -----------------------------------------------------------------------------
    def _on_layer(self, change: Any) -> None:
        self.channel = -1

    def _request_maps(self, change: Any = None) -> None:
        key = (self.input_index, self.shift_x, self.shift_y, self.angle, self.scale)
        layer, normalize = self.layer, self._scale()

        def work(progress: Progress) -> dict[str, Any]:
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
            maps = self._picker.maps(layer, captured[layer])
            flat = maps.reshape(maps.shape[0], -1)
            return dict(
                maps=render.to_uint8(maps, scale=normalize),
                map_range=torch.stack([flat.min(dim=1).values, flat.max(dim=1).values], dim=1),
                input_image=display_rgb(captured[""][None])[0],
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
        """The raw feature maps of the current layer, input and transform.

        Returns
        -------
        torch.Tensor or None
            The layer's output for the current input (C×H×W for a convolution); ``None`` until computed.
        """
        key = (self.input_index, self.shift_x, self.shift_y, self.angle, self.scale)
        captured = self._cache.get(key)
        return None if captured is None else captured[self.layer]

    def _refresh(self) -> None:
        self._cache.clear()
        self._means.clear()
        self._request_maps()
        self.run("stats", self._compute_stats, self._show_stats)
        self._request_contrast()
        self._request_detail()

    # -- statistics over the dataset ---------------------------------------------------------------
    def _scale(self) -> Literal["each", "shared"]:
        """The ``normalize`` trait as :func:`nbviz.render.to_uint8`'s scale."""
        return "shared" if self.normalize == "shared" else "each"

    def _compute_stats(self, progress: Progress) -> Any:
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

    # -- handouts -----------------------------------------------------------------------------------
    def precompute(self, inputs: Sequence[int] | None = None, layers: Sequence[str] | None = None, **options: Any) -> None:
        """Store every layer's feature maps (and the dataset statistics) so that a handout's layer and
        input pickers work with no kernel. Maps are scaled as ``normalize`` says; the transform sliders
        stay kernel-only. Blocks until done.

        Parameters
        ----------
        inputs : sequence of int, optional
            Input indices (default: the current input and the strip, at most 8).
        layers : sequence of str, optional
            Layer names (default: every pickable layer).
        **options : Any
            Meant for other explorers of the same handout; ignored.
        """
        chosen = list(dict.fromkeys([self.input_index, *self.strip]))[:8] if inputs is None else [int(i) for i in inputs]
        bad = [i for i in chosen if not 0 <= i < self.n_inputs]
        if bad or not chosen:
            raise ValueError(f"inputs: expected input indices in 0 … {self.n_inputs - 1}, got {bad[:5] or chosen}")
        names = list(self._shown) if layers is None else list(layers)
        for name in names:
            self._check_layer(name)
        self.wait()
        captured = activations(self._model, self._inputs[chosen], names)
        entries: list[tuple[dict[str, Any], np.ndarray, np.ndarray]] = []
        for name in names:
            for row, index in enumerate(chosen):
                maps = self._picker.maps(name, captured[name][row].float())
                flat = maps.reshape(maps.shape[0], -1)
                ranges = torch.stack([flat.min(dim=1).values, flat.max(dim=1).values], dim=1).numpy()
                entries.append((dict(layer=name, input=index), render.to_uint8(maps, scale=self._scale()), ranges))
        map_bytes, map_index = pack_arrays([e[1] for e in entries])
        stats = {name: self._stats_of(name) for name in names}
        stats = {name: value for name, value in stats.items() if value is not None}
        numbers, number_index = pack_arrays([e[2].astype(np.float32) for e in entries] + list(stats.values()))
        with self.hold_sync():
            self.offline_maps, self.offline_ranges = map_bytes, numbers
            self.offline_index = [dict(meta, maps=m, range=r) for (meta, _, _), m, r in zip(entries, map_index, number_index)]
            self.offline_stats = dict(zip(stats, number_index[len(entries) :]))
            if not set(chosen) <= set(self.strip):
                self.strip = list(dict.fromkeys([*chosen, *self.strip]))[:STRIP]
