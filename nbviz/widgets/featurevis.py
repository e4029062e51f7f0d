"""FeatureVisExplorer: what a unit responds to, watched while the optimisation runs.

Three modes on one layer picker:

- ``"maximize"``: activation maximisation of the chosen units (:func:`nbviz.featurevis.maximize`),
  one batch, frames streamed every few steps; changing a regulariser restarts it (stale runs stop).
- ``"facets"``: multifaceted visualisation of the first unit over ``dataset``
  (:func:`nbviz.featurevis.multifaceted`): k facet images, each beside some of its cluster's members.
- ``"invert"``: one dataset input reconstructed from several layers side by side
  (:func:`nbviz.featurevis.invert`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import traitlets
from torch import nn

from .._data import _first, indexable
from ..featurevis import invert, maximize, multifaceted
from ..featurevis.maximize import input_shape
from ..featurevis.optimise import span
from ._arrays import Array
from ._base import Explorer
from ._images import display_rgb
from ._layer_tree import picker_tree

__all__ = ["FeatureVisExplorer"]

_MODES = ("maximize", "invert", "facets")
_SETTINGS = ("steps", "l2", "tv", "blur_every", "param", "layer", "units")


class FeatureVisExplorer(Explorer):
    """Activation maximisation, multifaceted visualisation and inversion for ``model``.

    ``dataset`` (tensor/array N×C×H×W, a Dataset of images or (image, label) items such as
    :func:`nbviz.datasets.digits`, or a DataLoader, whose Dataset is then read item by item) is
    needed for the ``"facets"`` and ``"invert"`` modes and sets the image size; without it the size is
    ``size`` or the model's ``image_size`` (else 32). ``layer`` defaults to the first conv leaf;
    ``units`` (channels) to the first 8 of the layer.

    Traits: ``mode``, ``layer``, ``units``, ``steps``, ``l2``, ``tv``, ``blur_every``, ``param``
    (``"fft"``/``"pixel"``), ``k``, ``input_index``, ``invert_layers``. Results: ``frames``
    (N×H×W×3 uint8, updated live) with ``frame_step``, ``activations``; ``facet_images`` (k×H×W×3),
    ``member_images`` (k×m×H×W×3), ``members``; ``inversion_original`` (H×W×3), ``inversions``
    (L×H×W×3), ``inversion_errors``. The compute results are kept in ``result``, ``facets`` and
    ``inversion``.

    Parameters
    ----------
    model : torch.nn.Module
        The model; never changed.
    dataset : tensor, array, Dataset, DataLoader or None, default None
        Images for the ``"facets"`` and ``"invert"`` modes; it also sets the image size. ``None``:
        maximisation only.
    layer : str or None, default None
        The layer first shown; ``None``: the first convolution leaf.
    units : sequence of int, int or None, default None
        The channels first maximised; ``None``: the first 8 of the layer.
    size : int or None, default None
        Side of the generated images without a dataset; ``None``: the model's ``image_size``, else 32.
    n_members : int, default 4
        Cluster members shown beside each facet.
    **kwargs
        Initial values of the explorer's traits (e.g. ``layout``); an unknown name raises ``TypeError``.
    """

    _bundle = "featurevis"

    mode = traitlets.Enum(_MODES, "maximize").tag(sync=True)
    layer = traitlets.Unicode("").tag(sync=True)
    units = traitlets.List(traitlets.Int()).tag(sync=True)
    steps = traitlets.Int(64).tag(sync=True)
    l2 = traitlets.Float(0.0).tag(sync=True)
    tv = traitlets.Float(0.0).tag(sync=True)
    blur_every = traitlets.Int(0).tag(sync=True)
    param = traitlets.Enum(("fft", "pixel"), "fft").tag(sync=True)
    frame_every = traitlets.Int(4).tag(sync=True)
    frame_interval = 0.1  # seconds between frames sent to the front end (at most)
    k = traitlets.Int(3).tag(sync=True)
    input_index = traitlets.Int(0).tag(sync=True)
    invert_layers = traitlets.List(traitlets.Unicode()).tag(sync=True)
    tree = traitlets.List(traitlets.Dict()).tag(sync=True)
    channels = traitlets.Int(0).tag(sync=True)  # how many channels the current layer has
    dataset_size = traitlets.Int(0).tag(sync=True)  # 0 = no dataset (facets and invert need one)
    # live activation maximisation
    frames = Array()  # N×H×W×3 uint8
    frame_step = traitlets.Int(-1).tag(sync=True)  # step of the frame shown; == steps when final
    frame_units = traitlets.List(traitlets.Int()).tag(sync=True)
    frame_final = traitlets.Bool(False).tag(sync=True)  # whether ``frames`` are a finished run's images
    activations = traitlets.List(traitlets.Float()).tag(sync=True)
    # facets
    facet_images = Array()  # k×H×W×3 uint8
    member_images = Array()  # k×m×H×W×3 uint8
    members = traitlets.List(traitlets.List(traitlets.Int())).tag(sync=True)
    # inversion
    inversion_original = Array()  # H×W×3 uint8
    inversions = Array()  # L×H×W×3 uint8
    inversion_layers = traitlets.List(traitlets.Unicode()).tag(sync=True)
    inversion_errors = traitlets.List(traitlets.Float()).tag(sync=True)

    def __init__(
        self,
        model: nn.Module,
        dataset: Any = None,
        *,
        layer: str | None = None,
        units: Sequence[int] | int | None = None,
        size: int | None = None,
        n_members: int = 4,
        **kwargs: Any,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
        if isinstance(n_members, bool) or not isinstance(n_members, int) or n_members < 1:
            raise ValueError(f"n_members: expected a positive integer, got {n_members!r}")
        self._model = model
        self._watch_weights(model)
        self._dataset = self._check_dataset(dataset)
        if self._dataset is not None:
            example = self._image(0)[None]
        else:
            example = torch.zeros((1, *input_shape(model, size, None)))
        self._size: tuple[int, int] = (int(example.shape[2]), int(example.shape[3]))
        picker = picker_tree(model, example, argument="dataset" if dataset is not None else "model")
        self._picker = picker
        first = picker.default if layer is None else layer
        picker.check(first)
        count = picker.channels(first)
        if units is None:
            units = list(range(min(8, count)))
        elif isinstance(units, (int, np.integer)) and not isinstance(units, bool):
            units = [int(units)]
        units = self._check_units(units, count)
        self._n_members = n_members
        convs = [name for name, info in picker.shown.items() if info.is_leaf and len(info.output_shape) == 4]
        pick = convs if len(convs) <= 4 else [convs[round(i * (len(convs) - 1) / 3)] for i in range(4)]
        self.result: Any = None  # the last maximize result (FeatureVis)
        self.facets: Any = None  # the last multifaceted result (Facets)
        self.inversion: list[Any] | None = None  # the last invert results (Inversion, one per layer)
        self.completed: list[dict[str, Any]] = []  # settings of every run that finished (stale runs stop early)
        super().__init__(
            tree=picker.rows, layer=first, units=units, channels=count, invert_layers=pick,
            dataset_size=0 if self._dataset is None else len(self._dataset), **kwargs,
        )
        self.observe(self._on_layer, names=["layer"])
        self.observe(self._request, names=["mode", "k", "input_index", "invert_layers", "frame_every", *_SETTINGS])
        self._request()

    # -- validation -------------------------------------------------------------------------------
    @staticmethod
    def _check_dataset(dataset: Any) -> Any:
        if dataset is None:
            return None
        if isinstance(dataset, (str, bytes, dict)) or not hasattr(dataset, "__iter__") and not hasattr(dataset, "__getitem__"):
            raise TypeError(
                f"dataset: expected N×C×H×W images (tensor or array), a Dataset or a DataLoader, got {type(dataset).__name__}"
            )
        data = indexable(dataset, argument="dataset")
        if len(data) == 0:
            raise ValueError("dataset: got no images")
        if isinstance(data, torch.Tensor) and data.ndim != 4:
            raise ValueError(f"dataset: expected N×C×H×W images, got shape {tuple(data.shape)}")
        return data

    def _image(self, index: int) -> torch.Tensor:
        item = torch.as_tensor(_first(self._dataset[index])).float()
        if item.ndim != 3:
            raise ValueError(f"dataset: expected C×H×W images, got shape {tuple(item.shape)}")
        return item

    @staticmethod
    def _check_units(units: Any, count: int) -> list[int]:
        values = list(units) if isinstance(units, (list, tuple, range, np.ndarray)) else None
        if not values or not all(isinstance(u, (int, np.integer)) and not isinstance(u, bool) for u in values):
            raise traitlets.TraitError(f"units: expected a non-empty list of channel indices, got {units!r}")
        bad = [int(u) for u in values if not 0 <= u < count]
        if bad:
            raise traitlets.TraitError(f"units: the layer has {count} channels (0 … {count - 1}), got {bad}")
        return [int(u) for u in values]

    @traitlets.validate("layer")
    def _valid_layer(self, proposal: Any) -> str:
        self._picker.check(proposal["value"])
        return proposal["value"]

    @traitlets.validate("units")
    def _valid_units(self, proposal: Any) -> list[int]:
        return self._check_units(proposal["value"], self._picker.channels(self.layer))

    @traitlets.validate("steps", "blur_every", "frame_every", "k")
    def _valid_ints(self, proposal: Any) -> int:
        name, value = proposal["trait"].name, proposal["value"]
        low = 0 if name == "blur_every" else 2 if name == "k" else 1
        if value < low:
            raise traitlets.TraitError(f"{name}: expected an integer ≥ {low}, got {value}")
        return value

    @traitlets.validate("l2", "tv")
    def _valid_weights(self, proposal: Any) -> float:
        if not proposal["value"] >= 0:
            raise traitlets.TraitError(f"{proposal['trait'].name}: expected a number ≥ 0, got {proposal['value']}")
        return proposal["value"]

    @traitlets.validate("input_index")
    def _valid_index(self, proposal: Any) -> int:
        n = 0 if self._dataset is None else len(self._dataset)
        if not 0 <= proposal["value"] < max(n, 1):
            raise traitlets.TraitError(f"input_index: expected 0 … {n - 1}, got {proposal['value']}")
        return proposal["value"]

    @traitlets.validate("invert_layers")
    def _valid_invert_layers(self, proposal: Any) -> list[str]:
        for name in proposal["value"]:
            self._picker.check(name)
        return proposal["value"]

    def _on_layer(self, change: Any) -> None:
        count = self._picker.channels(change["new"])
        with self.hold_trait_notifications():
            self.channels = count
            kept = [u for u in self.units if u < count]
            if kept != self.units:
                self.units = kept or list(range(min(8, count)))

    # -- handouts ---------------------------------------------------------------------------------
    def precompute(  # type: ignore[override]  # each explorer takes its own handout options
        self, modes: Sequence[str] | None = None, timeout: float | None = 600.0
    ) -> None:
        """Finish the current run so a handout shows final images; blocks until done.

        Parameters
        ----------
        modes : sequence of str or None, default None
            Modes whose results are also computed, so a handout can switch to them (e.g.
            ``["maximize", "facets", "invert"]``; facets and invert need a dataset); ``None``: the current mode.
        timeout : float or None, default 600.0
            Seconds to wait for each run at most; ``None``: no limit.
        """
        modes = [self.mode] if modes is None else list(modes)
        bad = [m for m in modes if m not in _MODES]
        if bad or not modes:
            raise ValueError(f"modes: expected some of {', '.join(_MODES)}, got {modes!r}")
        if self._dataset is None and any(m != "maximize" for m in modes):
            raise ValueError("modes: 'facets' and 'invert' need a dataset (FeatureVisExplorer(model, dataset))")
        self.wait(timeout)
        requests = {"maximize": self._request_maximize, "facets": self._request_facets, "invert": self._request_invert}
        for m in dict.fromkeys(modes):
            finished = {"maximize": self.frame_final, "facets": self.facet_images is not None, "invert": self.inversions is not None}
            if not finished[m]:
                requests[m]()
                self.wait(timeout)
        if self.error:
            raise RuntimeError(f"FeatureVisExplorer.precompute: {self.error}")

    # -- requests ---------------------------------------------------------------------------------
    def _refresh(self) -> None:
        self._request()

    def _request(self, change: Any = None) -> None:
        if self.mode == "maximize":
            self._request_maximize()
        elif self._dataset is None:
            self.error = f"mode: {self.mode!r} needs a dataset (FeatureVisExplorer(model, dataset))"
        elif self.mode == "facets":
            self._request_facets()
        else:
            self._request_invert()

    def _request_maximize(self) -> None:
        settings: dict[str, Any] = dict(layer=self.layer, units=list(self.units), steps=self.steps, l2=self.l2, tv=self.tv,
                        blur_every=self.blur_every, param=self.param)
        every = self.frame_every

        def work(progress: Any) -> Any:
            last = [-1.0]

            def show(images: np.ndarray, step: int) -> None:
                self.frame_step, self.frame_units, self.frame_final = step, settings["units"], False
                self.frames = display_rgb(images)

            def on_frame(images: np.ndarray, step: int) -> None:
                now = time.monotonic()  # at most one frame per frame_interval s: never flood the kernel's messages
                if now - last[0] >= self.frame_interval:
                    last[0] = now
                    self.publish(progress, step / settings["steps"], f"step {step}", show, images, step)

            result = maximize(self._model, settings["layer"], settings["units"], steps=settings["steps"],
                              param=settings["param"], l2=settings["l2"], tv=settings["tv"],
                              blur_every=settings["blur_every"], size=self._size, progress=progress,
                              on_frame=on_frame, frame_every=every)
            self.completed.append(dict(settings, mode="maximize"))
            return result

        def done(result: Any) -> None:
            self.result = result
            self.frame_units = [u.channel for u in result.units]
            self.frame_step, self.frame_final = settings["steps"], True
            self.activations = [float(a) for a in result.activations]
            self.frames = display_rgb(result.images)

        self.run("optimise", work, done)

    def _request_facets(self) -> None:
        layer, unit, k, steps = self.layer, self.units[0], self.k, self.steps
        settings: dict[str, Any] = dict(layer=layer, unit=unit, k=k, steps=steps, l2=self.l2, tv=self.tv)
        n_top = min(100, len(self._dataset))

        def work(progress: Any) -> Any:
            facets = multifaceted(self._model, layer, unit, self._dataset, k=k, n_top=n_top, steps=steps,
                                  l2=settings["l2"], tv=settings["tv"], progress=progress)
            self.completed.append(dict(settings, mode="facets"))
            return facets

        def done(facets: Any) -> None:
            self.facets = facets
            m = self._n_members
            h, w = facets.images.shape[2:]
            members = np.zeros((len(facets.images), m, h, w, 3), dtype=np.uint8)
            for j, imgs in enumerate(facets.member_images):
                if len(imgs):
                    members[j, : min(m, len(imgs))] = display_rgb(imgs[:m])
            self.members = [[int(i) for i in idx[:m]] for idx in facets.members]
            self.member_images = members
            self.facet_images = display_rgb(facets.images)

        self.run("facets", work, done)

    def _request_invert(self) -> None:
        layers, index, steps = list(self.invert_layers), self.input_index, self.steps
        x0 = self._image(index)

        def work(progress: Any) -> Any:
            out = []
            for i, name in enumerate(layers):
                part = span(progress, i / len(layers), (i + 1) / len(layers), f"{name}: ")
                out.append(invert(self._model, name, x0, steps=steps, progress=part))
            self.completed.append(dict(mode="invert", layers=layers, input_index=index, steps=steps))
            return out

        def done(results: list[Any]) -> None:
            self.inversion = results
            self.inversion_original = display_rgb(x0[None].numpy())[0]
            self.inversion_layers = [r.layer for r in results]
            self.inversion_errors = [float(r.relative_error[0]) for r in results]
            if results:
                self.inversions = np.concatenate([display_rgb(r.images) for r in results])
            else:
                self.inversions = None

        self.run("invert", work, done)
