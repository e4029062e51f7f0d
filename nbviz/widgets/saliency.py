"""SaliencyExplorer: several attribution methods side by side for one input, with a target picker,
a CAM layer picker and, when object masks are known, whether each map points at the object.

Maps are cached per (input, target, method, layer): switching input, target, method or layer
computes only the maps not seen before. Opacity and colormap live in the browser only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import traitlets
from torch import nn

from .._inputs import check_class_names, check_labels, check_model
from .._progress import Progress
from ..attribution import SALIENCY_METHODS, pointing_game, saliency
from ..attribution.saliency import _METHODS, ATTENTION_METHODS
from ..prediction import predict
from ._added_inputs import with_added
from ._arrays import Array
from ._base import Explorer
from ._images import as_examples, as_masks, display_rgb, fitting_names, spatial_layers

__all__ = ["SaliencyExplorer", "DEFAULT_METHODS"]

DEFAULT_METHODS = ("gradient", "integrated_gradients", "gradcam")
CAM_METHODS = tuple(name for name in SALIENCY_METHODS if _METHODS[name].cam)


class SaliencyExplorer(Explorer):
    """Attribution maps of ``model`` for ``inputs`` (N×C×H×W, or a Dataset, DataLoader or ``(images,
    labels)`` pair whose first ``max_inputs`` images are read, with their labels, class names and masks
    used unless given), one input at a time.

    Traits a person drives: ``index`` (which input), ``methods`` (names from
    :data:`nbviz.SALIENCY_METHODS`), ``target`` (a class, or None for the predicted one) and
    ``layer`` (CAM layer name, "" for the default: the last spatial layer). Results: ``image``
    (H×W×3 uint8), ``maps`` (M×H×W float32 in [0, 1], one per entry of ``map_methods``),
    ``hits`` (pointing game per method: 1 hit, 0 miss, -1 unknown), ``map_notes`` (per map, what it
    cannot mean on this model, "" if nothing: guided backprop without ReLUs, an all-zero map of
    numerical noise; see :mod:`nbviz.attribution.meaning`), ``probabilities`` (K) of the
    chosen input and ``explained`` (the class the maps explain). ``labels``: true class per input (-1 for
    an added input without one, see :meth:`add_inputs`; empty when no input has one);
    ``masks``: N×H×W object masks; ``class_names``: one name per class.

    Parameters
    ----------
    model : torch.nn.Module
        A classifier; never changed.
    inputs : tensor, Dataset, DataLoader or (images, labels)
        N×C×H×W images, or data whose first ``max_inputs`` images are read.
    labels : sequence of int, torch.Tensor or None, default None
        True class per input; ``None``: the data's own labels, if any.
    masks : array_like or None, default None
        N×H×W object masks for the pointing game; ``None``: the data's own masks, if any.
    class_names : sequence of str or None, default None
        One name per class; ``None``: the data's own, else the class indices.
    methods : sequence of str, default ("gradient", "integrated_gradients", "gradcam")
        The saliency methods first shown (names from :data:`nbviz.SALIENCY_METHODS`).
    max_inputs : int, default 64
        Inputs read from ``inputs``.
    **kwargs
        Initial values of the explorer's traits (e.g. ``layout``); an unknown name raises ``TypeError``.
    """

    _bundle = "saliency"

    index = traitlets.Int(0).tag(sync=True)
    methods = traitlets.List(traitlets.Unicode()).tag(sync=True)
    target = traitlets.Int(allow_none=True, default_value=None).tag(sync=True)
    layer = traitlets.Unicode("").tag(sync=True)
    n_inputs = traitlets.Int(0).tag(sync=True)
    all_methods = traitlets.List(traitlets.Unicode()).tag(sync=True)
    cam_methods = traitlets.List(traitlets.Unicode()).tag(sync=True)
    layers = traitlets.List(traitlets.Unicode()).tag(sync=True)
    # rows of the shared layer picker (js/src/lib/layerPicker.ts): the module tree, selectable = CAM-able
    layer_rows = traitlets.List(traitlets.Dict()).tag(sync=True)
    class_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    labels = traitlets.List(traitlets.Int()).tag(sync=True)

    image = Array()
    maps = Array()
    map_methods = traitlets.List(traitlets.Unicode()).tag(sync=True)
    hits = traitlets.List(traitlets.Int()).tag(sync=True)
    map_notes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    has_masks = traitlets.Bool(False).tag(sync=True)
    probabilities = Array()
    explained = traitlets.Int(-1).tag(sync=True)

    def __init__(
        self,
        model: nn.Module,
        inputs: Any,
        labels: Sequence[int] | torch.Tensor | None = None,
        masks: Any = None,
        class_names: Sequence[str] | None = None,
        *,
        methods: Sequence[str] = DEFAULT_METHODS,
        max_inputs: int = 64,
        **kwargs: Any,
    ) -> None:
        self._model = check_model(model)
        self._watch_weights(model)
        found = as_examples(inputs, model, argument="inputs", limit=max_inputs)
        x = found.inputs[:max_inputs]
        self._x = x
        n = x.shape[0]
        labels = found.labels if labels is None else labels
        masks = found.masks if masks is None else masks
        self._masks = as_masks(masks if masks is None else masks[:max_inputs], x)
        chosen = self._check_methods(methods)
        self._probabilities = predict(model, x).probabilities
        n_classes = self._probabilities.shape[1]
        class_names = fitting_names(found.class_names, n_classes) if class_names is None else class_names
        label_list = check_labels(None if labels is None else list(labels)[:max_inputs], n, n_classes)
        names = check_class_names(class_names, n_classes)
        self._cache: dict[tuple[int, int, str, str], np.ndarray] = {}
        self._notes: dict[tuple[int, int, str, str], str] = {}  # what each cached map cannot mean
        self._pixels = display_rgb(x)
        layers = spatial_layers(model, x)
        super().__init__(
            methods=chosen, n_inputs=n, all_methods=_offered_methods(model), cam_methods=list(CAM_METHODS),
            layers=layers, layer_rows=_picker_rows(model, x, layers), class_names=names, labels=label_list,
            has_masks=self._masks is not None, **kwargs,
        )
        self.observe(self._request, names=["index", "methods", "target", "layer"])
        self._request()

    @staticmethod
    def _check_methods(methods: Any) -> list[str]:
        if isinstance(methods, str) or not isinstance(methods, Sequence):
            raise TypeError(f"methods: expected a list of method names, got {type(methods).__name__}")
        unknown = [m for m in methods if m not in SALIENCY_METHODS + ATTENTION_METHODS]
        if unknown:
            known = ", ".join(SALIENCY_METHODS + ATTENTION_METHODS)
            raise ValueError(f"methods: unknown {unknown[0]!r}; expected names from {known}")
        return list(methods)

    @traitlets.validate("index")
    def _valid_index(self, proposal: Any) -> int:
        if not 0 <= proposal["value"] < self._x.shape[0]:
            raise traitlets.TraitError(f"index: expected 0…{self._x.shape[0] - 1}, got {proposal['value']}")
        return proposal["value"]

    @traitlets.validate("target")
    def _valid_target(self, proposal: Any) -> int | None:
        k = self._probabilities.shape[1]
        if proposal["value"] is not None and not 0 <= proposal["value"] < k:
            raise traitlets.TraitError(f"target: expected a class in 0…{k - 1} or None, got {proposal['value']}")
        return proposal["value"]

    @traitlets.validate("layer")
    def _valid_layer(self, proposal: Any) -> str:
        if proposal["value"] and proposal["value"] not in self.layers:
            raise traitlets.TraitError(f"layer: expected one of {', '.join(self.layers)} or '' (default)")
        return proposal["value"]

    @traitlets.validate("methods")
    def _valid_methods(self, proposal: Any) -> list[str]:
        try:
            return self._check_methods(proposal["value"])
        except ValueError as error:
            raise traitlets.TraitError(str(error)) from None

    # -- requests -------------------------------------------------------------------------------
    def _key(self, method: str) -> tuple[int, int, str, str]:
        target = int(self._probabilities[self.index].argmax()) if self.target is None else self.target
        return self.index, target, method, self.layer if method in CAM_METHODS else ""

    def _refresh(self) -> None:
        self._cache.clear()
        self._request()

    def _request(self, change: Any = None) -> None:
        index, methods = self.index, list(self.methods)
        keys = [self._key(m) for m in methods]
        with self.hold_sync():
            self.image = self._pixels[index]
            self.probabilities = self._probabilities[index]
            self.explained = keys[0][1] if keys else int(self._probabilities[index].argmax())
            self._publish(keys)  # what the cache already has shows at once
        missing = [k for k in keys if k not in self._cache]
        if not missing:
            return

        def work(progress: Progress) -> list[tuple[int, int, str, str]] | None:
            for i, key in enumerate(missing):
                _, target, method, layer = key

                def sub(fraction: float, message: str, i: int = i, method: str = method) -> bool | None:
                    return progress((i + fraction) / len(missing), f"{method}: {message}")

                found = saliency(self._model, self._x[index : index + 1], target, method, layer or None, progress=sub)
                self._cache[key] = found.normalized()[0]
                self._notes[key] = " ".join(found.notes)
                if progress((i + 1) / len(missing), method) is False:
                    return None  # superseded: the newer request publishes
                with self.hold_sync():
                    self._publish(keys)
            return keys

        self.run("maps", work, lambda done: self._publish(done) if done else None)

    def _publish(self, keys: list[tuple[int, int, str, str]]) -> None:
        """Send the cached maps of ``keys`` (in order; missing ones are left out)."""
        ready = [k for k in keys if k in self._cache]
        shape = self._x.shape[-2:]
        self.maps = np.stack([self._cache[k] for k in ready]) if ready else np.zeros((0, *shape), np.float32)
        self.map_methods = [k[2] for k in ready]
        self.map_notes = [self._notes.get(k, "") for k in ready]
        self.hits = [self._hit(k) for k in ready]

    def _hit(self, key: tuple[int, int, str, str]) -> int:
        index, target, _, _ = key
        if self._masks is None or index >= len(self._masks):  # an added input has no mask
            return -1
        cached = self._cache[key]
        score = pointing_game(
            lambda model, images, target: cached[None], self._model, self._x[index : index + 1],
            self._masks[index : index + 1], target=target,
        )
        return int(score)

    def add_inputs(self, inputs: Any, labels: Sequence[int] | None = None) -> int:
        """Show ``inputs`` after the explorer's own (how :func:`nbviz.link` shows a t-SNE map's new points).

        Parameters
        ----------
        inputs : torch.Tensor or numpy.ndarray
            M×C×H×W images (or one C×H×W), shaped like the explorer's inputs.
        labels : sequence of int, optional
            Their true classes (without them, none is shown for these inputs).

        Returns
        -------
        int
            The ``index`` of the first added input; the others follow in order.
        """
        joined, x = with_added(self._x, inputs)
        start, n_classes = int(self._x.shape[0]), int(self._probabilities.shape[1])
        known = check_labels(None if labels is None else list(labels), x.shape[0], n_classes)
        probabilities = predict(self._model, x).probabilities
        self._x = joined
        self._pixels = np.concatenate([self._pixels, display_rgb(x)])
        self._probabilities = np.concatenate([self._probabilities, probabilities])
        with self.hold_sync():
            if self.labels:
                self.labels = [*self.labels, *(known or [-1] * x.shape[0])]
            self.n_inputs = int(self._x.shape[0])
        return start

    @property
    def cached(self) -> int:
        """How many maps are cached."""
        return len(self._cache)


def _offered_methods(model: nn.Module) -> list[str]:
    """The methods the explorer offers: attention rollout only for models with attention."""
    from ..attribution.attention import has_attention

    return list(SALIENCY_METHODS) + (list(ATTENTION_METHODS) if has_attention(model) else [])


def _picker_rows(model: nn.Module, x: torch.Tensor, layers: list[str]) -> list[dict[str, Any]]:
    """The module tree as layer-picker rows; only the first call of a layer with spatial output
    (one of ``layers``) can be picked, since a CAM hooks a module, not one of its calls."""
    from ..layers import layer_tree

    return [dict(info.to_dict(), selectable=info.name == info.module and info.module in layers) for info in layer_tree(model, x[:1])]
