"""OcclusionExplorer: slide a grey patch over an image and watch the class probability fall
(Zeiler & Fergus 2014), with the map filling in coarse to fine while the sliders stay live.

Hovering a window position shows the occluded image there and the model's top classes for it. With
several images, ``index`` picks the one shown (so a t-SNE selection can drive it, see ``nbviz.link``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
import traitlets
from torch import nn

from .._inputs import check_class_names, check_model
from ..attribution import _occlusion_grid as grid
from ..attribution.occlusion import OcclusionResult, occlusion
from ..prediction import predict
from ._added_inputs import with_added
from ._arrays import Array
from ._base import Explorer
from ._images import as_examples, display_rgb, fitting_names

__all__ = ["OcclusionExplorer", "default_window"]

BASELINES = ("zero", "mean", "blur")
MODES = ("exact", "approximate")
HANDOUT_WINDOWS = (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128)  # precomputed by default, up to the image size
CACHE_SIZE = 64  # finished maps kept per explorer, keyed by (index, target, window, stride, baseline, mode)


def default_window(height: int, width: int) -> tuple[int, int]:
    """A window of about a quarter of the smaller image side (at least 2 px) and half of it as stride."""
    window = min(min(height, width), max(2, round(min(height, width) / 4)))
    return window, max(1, window // 2)


class OcclusionExplorer(Explorer):
    """Occlusion map of ``model``'s predicted class (or ``target``) for one of ``images``, live.

    Traits a person drives: ``index`` (which image, 0 … ``n_inputs`` − 1), ``window``, ``stride``,
    ``baseline``, ``mode``, ``hover`` ([row, col] of a window position, or []) and ``pinned``.
    Results: ``heatmap`` (H×W float32 drop in probability, replaced by every partial map),
    ``partial`` (True until the map is final), ``computed`` (share of positions evaluated),
    ``probabilities`` (K unoccluded), ``hover_image`` (H×W×3 uint8) and ``hover_probabilities`` (K).
    Changing ``index`` shows that image (``image``, ``probabilities``) and re-runs its map; finished
    maps are cached per (index, settings). For handouts, :meth:`precompute` fills
    ``handout_windows`` with ``handout_maps`` (drop maps), ``handout_probability`` and
    ``handout_origins_y``/``_x``: one per window size.

    Parameters
    ----------
    model : torch.nn.Module
        An image classifier; it runs under the model guard.
    images : tensor, array, (images, labels) pair, Dataset or DataLoader
        N×C×H×W images, or one image C×H×W (see :func:`nbviz._data.examples`).
    labels : sequence of str, optional
        Class names (default: a dataset's own, when ``images`` carries them).
    index : int, default 0
        The image shown first.
    window : int, default 8
        Window size in pixels (square).
    stride : int, default 4
        Step between windows.
    baseline : {"zero", "mean", "blur"}, default "zero"
        What replaces the window (see :func:`nbviz.occlusion`).
    mode : {"exact", "approximate"}, default "exact"
        How windows are evaluated (see :func:`nbviz.occlusion`).
    target : int, optional
        The class whose probability is watched (default: the predicted class).
    **kwargs : Any
        Initial values of other traits; an unknown name raises ``TypeError``.
    """

    _bundle = "occlusion"

    window = traitlets.Int(8).tag(sync=True)
    stride = traitlets.Int(4).tag(sync=True)
    baseline = traitlets.Unicode("zero").tag(sync=True)
    mode = traitlets.Unicode("exact").tag(sync=True)
    target = traitlets.Int(allow_none=True, default_value=None).tag(sync=True)
    class_names = traitlets.List(traitlets.Unicode()).tag(sync=True)

    index = traitlets.Int(0).tag(sync=True)
    n_inputs = traitlets.Int(1).tag(sync=True)
    image = Array()
    heatmap = Array()
    partial = traitlets.Bool(False).tag(sync=True)
    computed = traitlets.Float(0.0).tag(sync=True)
    origins_y = traitlets.List(traitlets.Int()).tag(sync=True)
    origins_x = traitlets.List(traitlets.Int()).tag(sync=True)
    map_window = traitlets.Int(0).tag(sync=True)  # the window the current heat map was made with
    explained = traitlets.Int(0).tag(sync=True)  # the class the map explains
    base_probability = traitlets.Float(0.0).tag(sync=True)
    probabilities = Array()

    # handouts (a page with no kernel): maps for several window sizes, made by precompute()
    handout_windows = traitlets.List(traitlets.Int()).tag(sync=True)
    handout_maps = Array()  # windows × H × W drop maps
    handout_probability = Array()  # windows × rows × cols target probability per position, NaN-padded
    handout_origins_y = traitlets.List(traitlets.List(traitlets.Int())).tag(sync=True)
    handout_origins_x = traitlets.List(traitlets.List(traitlets.Int())).tag(sync=True)

    hover = traitlets.List(traitlets.Int()).tag(sync=True)
    pinned = traitlets.Bool(False).tag(sync=True)
    hover_image = Array()
    hover_probabilities = Array()

    def __init__(
        self,
        model: nn.Module,
        images: Any,
        labels: Sequence[str] | None = None,
        *,
        index: int = 0,
        window: int = 8,
        stride: int = 4,
        baseline: str = "zero",
        mode: str = "exact",
        target: int | None = None,
        **kwargs: Any,
    ) -> None:
        self._model = check_model(model)
        self._watch_weights(model)
        found = as_examples(images, model, argument="images")
        self._inputs = found.inputs
        n = int(self._inputs.shape[0])
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < n:
            raise ValueError(f"index: expected an image index in 0…{n - 1}, got {index!r}")
        index = int(index)
        self._x = self._inputs[index : index + 1]  # the image on show (1×C×H×W)
        height, width = self._x.shape[-2:]
        for name, value in (("window", window), ("stride", stride)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: expected a positive int, got {value!r}")
        if window > min(height, width):
            raise ValueError(f"window: {window} is larger than the image ({height}×{width})")
        self._check_choice("baseline", baseline, BASELINES)
        self._check_choice("mode", mode, MODES)
        probabilities = predict(model, self._x).probabilities[0]
        self._probabilities: dict[int, np.ndarray] = {index: probabilities}
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        if labels is None:
            labels = fitting_names(found.class_names, probabilities.shape[0])
        names = check_class_names(labels, probabilities.shape[0], argument="labels")
        if target is not None and not (isinstance(target, int) and 0 <= target < len(names)):
            raise ValueError(f"target: expected a class index in 0…{len(names) - 1} or None, got {target!r}")
        super().__init__(
            window=window, stride=stride, baseline=baseline, mode=mode, target=target, class_names=names,
            index=index, n_inputs=n, image=display_rgb(self._x)[0], probabilities=probabilities, **kwargs,
        )
        self.observe(self._request, names=["window", "stride", "baseline", "mode", "target"])
        self.observe(self._switch, names=["index"])
        self.observe(self._request_hover, names=["hover"])
        self._request()

    @staticmethod
    def _check_choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
        if value not in allowed:
            raise ValueError(f"{name}: expected one of {', '.join(allowed)}, got {value!r}")

    @traitlets.validate("index")
    def _valid_index(self, proposal: Any) -> int:
        value, n = proposal["value"], self._inputs.shape[0]
        if not 0 <= value < n:
            raise traitlets.TraitError(f"index: expected an image index in 0…{n - 1}, got {value}")
        return value

    # -- switching images ------------------------------------------------------------------------
    def add_inputs(self, inputs: Any, labels: Any = None) -> int:
        """Show ``inputs`` after the explorer's own images (how :func:`nbviz.link` shows a t-SNE map's new points).

        Parameters
        ----------
        inputs : torch.Tensor or numpy.ndarray
            M×C×H×W images (or one C×H×W), shaped like the explorer's images.
        labels : object, optional
            Ignored (the explorer shows no true class); accepted so every item explorer is called alike.

        Returns
        -------
        int
            The ``index`` of the first added image; the others follow in order.
        """
        joined, _ = with_added(self._inputs, inputs)
        start = int(self._inputs.shape[0])
        self._inputs = joined
        self.n_inputs = int(self._inputs.shape[0])
        return start

    def _switch(self, change: Any = None) -> None:
        """Show image ``index``: its pixels at once, its probabilities and map from the worker (or the cache)."""
        index = self.index
        self._x = self._inputs[index : index + 1]
        with self.hold_sync():
            self.hover, self.pinned = [], False
            self.image = display_rgb(self._x)[0]
            self.probabilities = self._probabilities.get(index)
            self.heatmap = None  # the previous image's map must not sit on this one; partial maps follow
        self._request()

    # -- the map, coarse to fine -------------------------------------------------------------------
    def _refresh(self) -> None:
        self._cache.clear()
        self._request()

    def _request(self, change: Any = None) -> None:
        index, x, target = self.index, self._x, self.target
        settings: dict[str, Any] = dict(window=self.window, stride=self.stride, baseline=self.baseline, mode=self.mode)
        key = (index, target, *settings.values())
        if key in self._cache:  # answered at once; a running request for older settings stops
            self.cancel("occlusion")
            self._cache.move_to_end(key)
            with self.hold_sync():
                self._show(self._cache[key])
            return
        self.partial = True

        def show_probabilities(probabilities: np.ndarray) -> None:
            self.probabilities = probabilities

        def work(progress: Callable[..., Any]) -> Any:
            if index not in self._probabilities:
                self._probabilities[index] = predict(self._model, x).probabilities[0]
                self.publish(progress, 0.0, "predicting", show_probabilities, self._probabilities[index])

            def publish(result: Any, fraction: float) -> None:  # a newer request arrived → never show a stale partial map
                self.publish(progress, fraction, f"occlusion: {fraction:.0%} of windows", self._show, result)

            return occlusion(self._model, x, target, progress=progress, on_partial=publish, **settings)

        def done(result: Any) -> None:
            if result.final:
                self._cache[key] = result
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
            self._show(result)

        self.run("occlusion", work, done)

    def _show(self, result: Any) -> None:
        self.origins_y = [int(v) for v in result.origins_y]
        self.origins_x = [int(v) for v in result.origins_x]
        self.map_window = int(result.window[0])
        self.explained = -1 if result.target is None else int(result.target)
        self.base_probability = float(result.base_probability)
        self.computed = float(result.computed.mean())
        self.partial = not result.final
        self.heatmap = result.drop_map  # last: observers of the map see the settings it was made with

    # -- one occluded copy under the pointer -------------------------------------------------------
    def _request_hover(self, change: Any = None) -> None:
        if len(self.hover) != 2:
            self.hover_image, self.hover_probabilities = None, None
            return
        row, col = self.hover
        window, stride, baseline, x = self.window, self.stride, self.baseline, self._x
        height, width = x.shape[-2:]
        oy, ox = grid.origins(height, window, stride), grid.origins(width, window, stride)
        if not (0 <= row < len(oy) and 0 <= col < len(ox)):
            self.hover_image, self.hover_probabilities = None, None
            return

        def work(progress: Callable[..., Any]) -> tuple[Any, np.ndarray]:
            import torch

            replacement, _ = grid.make_baseline(baseline, x, (window, window))
            ys, xs = torch.tensor([int(oy[row])]), torch.tensor([int(ox[col])])
            occluded = grid.occluded_batch(x, replacement, ys, xs, (window, window))
            return occluded, predict(self._model, occluded, progress=progress).probabilities[0]

        def done(result: tuple[Any, np.ndarray]) -> None:
            occluded, probabilities = result
            self.hover_image = display_rgb(occluded)[0]
            self.hover_probabilities = probabilities

        self.run("hover", work, done)

    # -- handouts ---------------------------------------------------------------------------------
    def precompute(self, windows: Sequence[int] | None = None, **options: Any) -> None:
        """Compute the maps of several window sizes of the image on show (``index``) with the current
        stride, baseline, mode and target, so that a handout's window slider works without a kernel.
        Blocks until done.

        Parameters
        ----------
        windows : sequence of int, optional
            Window sizes (default: a ladder of sizes up to the image, plus the current one).
        **options : Any
            Meant for other explorers of the same handout; ignored.
        """
        height, width = self._x.shape[-2:]
        size = min(height, width)
        if windows is None:
            windows = [w for w in HANDOUT_WINDOWS if w <= size] + [self.window]
        if isinstance(windows, (str, bytes)) or not isinstance(windows, Sequence) or not windows:
            raise ValueError(f"windows: expected a non-empty list of window sizes, got {windows!r}")
        for w in windows:
            if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or not 1 <= w <= size:
                raise ValueError(f"windows: expected window sizes in 1…{size} px, got {w!r}")
        self.wait()
        settings: dict[str, Any] = dict(stride=self.stride, baseline=self.baseline, mode=self.mode)
        results = [  # one image → one result
            cast(OcclusionResult, occlusion(self._model, self._x, self.target, window=int(w), **settings))
            for w in sorted(set(windows))
        ]
        rows = max(len(r.origins_y) for r in results)
        cols = max(len(r.origins_x) for r in results)
        grids = np.full((len(results), rows, cols), np.nan, dtype=np.float32)
        for grid_, r in zip(grids, results):
            grid_[: r.probability.shape[0], : r.probability.shape[1]] = r.probability
        with self.hold_sync():
            self.handout_windows = [int(r.window[0]) for r in results]
            self.handout_origins_y = [[int(v) for v in r.origins_y] for r in results]
            self.handout_origins_x = [[int(v) for v in r.origins_x] for r in results]
            self.handout_probability = grids
            self.handout_maps = np.stack([r.drop_map for r in results]).astype(np.float32)

    @property
    def result_shape(self) -> tuple[int, int]:
        """Rows × columns of window positions for the current window and stride."""
        return len(self.origins_y), len(self.origins_x)

    def top(self, k: int = 5, *, hovered: bool = False) -> list[tuple[str, float]]:
        """The most probable classes of the image, or of the image with the hovered window occluded.

        Parameters
        ----------
        k : int, default 5
            How many classes.
        hovered : bool, default False
            Of the hovered window's occluded image instead (empty before a hover).

        Returns
        -------
        list of tuple
            ``(class name, probability)``, most probable first.
        """
        p = self.hover_probabilities if hovered else self.probabilities
        if p is None:
            return []
        order = np.argsort(-p, kind="stable")[:k]
        return [(self.class_names[i], float(p[i])) for i in order]
