"""PredictionExplorer: a few images, the model's predictions, and sliders that transform the images.

The smallest explorer that runs the whole pipe — slider → compute on the worker thread → pixels —
and a first lesson: CNNs are fairly robust to shifts but not to rotations.

For handouts, :meth:`PredictionExplorer.precompute` stores the images and predictions along a ladder
of values of each slider (one transform at a time), so the sliders step through them offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import traitlets
from torch import nn

from .. import render
from .._inputs import check_class_names, check_labels, check_model
from .._progress import Progress
from ..prediction import predict
from ..transforms import affine
from ._arrays import Array
from ._base import Explorer
from ._images import as_examples, fitting_names

__all__ = ["PredictionExplorer"]

SLIDERS = ("angle", "shift_x", "shift_y", "zoom")
IDENTITY = {"angle": 0.0, "shift_x": 0.0, "shift_y": 0.0, "zoom": 1.0}
HANDOUT_LADDERS: dict[str, tuple[float, ...]] = {  # the slider values a handout stores by default
    "angle": tuple(float(a) for a in range(-180, 181, 15)),
    "shift_x": tuple(round(v / 10, 1) for v in range(-5, 6)),
    "shift_y": tuple(round(v / 10, 1) for v in range(-5, 6)),
    "zoom": (0.5, 0.75, 1.0, 1.25, 1.5, 2.0),
}
HANDOUT_BYTES = 8 * 2**20  # at most this many bytes of transformed images in a handout; ladders are thinned to fit
HANDOUT_SIDE = 96  # stored images are at most this many pixels high (the page draws tiles of at most 96 px)


class PredictionExplorer(Explorer):
    """Show ``images`` (N×C×H×W, up to ``max_images``) with ``model``'s top prediction for each,
    under a rotation, shift and zoom that a person drives with sliders (or sets from Python).
    ``images`` may also be an ``(images, labels)`` pair, a Dataset or a DataLoader (see
    :func:`nbviz._data.examples`); its labels and class names are used unless given.

    Parameters
    ----------
    model : torch.nn.Module
        A classifier; never changed.
    images : torch.Tensor, (images, labels), Dataset or DataLoader
        N×C×H×W images, or data they are read from.
    labels : sequence of int, torch.Tensor or None, default None
        True class per image; ``None``: the data's own labels, if any.
    class_names : sequence of str or None, default None
        One name per class; ``None``: the data's own, else the class indices.
    max_images : int, default 16
        Images shown (the first ones of ``images``).
    **kwargs
        Initial values of the explorer's traits (e.g. ``layout``); an unknown name raises ``TypeError``.
    """

    _bundle = "predictions"

    angle = traitlets.Float(0.0).tag(sync=True)
    shift_x = traitlets.Float(0.0).tag(sync=True)
    shift_y = traitlets.Float(0.0).tag(sync=True)
    zoom = traitlets.Float(1.0).tag(sync=True)
    class_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    labels = traitlets.List(traitlets.Int()).tag(sync=True)
    images = Array()
    probabilities = Array()
    accuracy = traitlets.Float(allow_none=True, default_value=None).tag(sync=True)

    # handouts (a page with no kernel): made by precompute()
    handout_ladders = traitlets.Dict().tag(sync=True)  # slider name → the values stored along it
    handout_params = traitlets.List(traitlets.List(traitlets.Float())).tag(sync=True)  # [angle, shift_x, shift_y, zoom] per state
    handout_images = Array()  # states × N × H × W × 3 uint8
    handout_probabilities = Array()  # states × N × K float32
    handout_accuracy = traitlets.List(traitlets.Float()).tag(sync=True)  # per state (empty without labels)

    def __init__(
        self,
        model: nn.Module,
        images: torch.Tensor,
        labels: Sequence[int] | torch.Tensor | None = None,
        class_names: Sequence[str] | None = None,
        *,
        max_images: int = 16,
        **kwargs: Any,
    ) -> None:
        self._model = check_model(model)
        self._watch_weights(model)
        found = as_examples(images, model, argument="images", limit=max_images)
        self._inputs = found.inputs[:max_images]
        n = self._inputs.shape[0]
        labels = found.labels if labels is None else labels
        label_list, names = [], []
        if labels is not None or class_names is not None or found.class_names is not None:  # checked against the class count
            n_classes = predict(model, self._inputs[:1]).probabilities.shape[1]
            class_names = fitting_names(found.class_names, n_classes) if class_names is None else class_names
            label_list = check_labels(None if labels is None else list(labels)[:max_images], n, n_classes)
            names = check_class_names(class_names, n_classes)
        super().__init__(labels=label_list, class_names=names, **kwargs)
        self.observe(self._request, names=["angle", "shift_x", "shift_y", "zoom"])
        self._request()

    def _refresh(self) -> None:
        self._request()

    def _request(self, change: Any = None) -> None:
        angle, shift, zoom = self.angle, (self.shift_x, self.shift_y), self.zoom

        def work(progress: Progress) -> Any:
            moved = affine(self._inputs, angle=angle, shift=shift, scale=zoom)
            return moved, predict(self._model, moved, progress=progress)

        self.run("predict", work, self._show)

    # -- handouts ---------------------------------------------------------------------------------
    def precompute(self, ladders: dict[str, Sequence[float]] | None = None, **options: Any) -> None:
        """Store transformed images and their predictions for a ladder of values of each slider.

        One transform at a time with the others at rest, plus the current setting, so a handout's sliders
        step through them without a kernel. Images are stored at most :data:`HANDOUT_SIDE` px high; images
        are shrunk (to 48 px), ladders thinned (every other value), then images shrunk further until they
        fit in :data:`HANDOUT_BYTES`. Blocks until done.

        Parameters
        ----------
        ladders : dict of str to sequence of float or None, default None
            Slider name → values; ``None``: :data:`HANDOUT_LADDERS` (rotation every 15°, shifts every 0.1,
            six zooms).
        **options
            Options meant for other explorers of the same handout; ignored.
        """
        chosen = self._check_ladders(ladders)
        n, height, width = self._inputs.shape[0], *self._inputs.shape[-2:]
        side = min(height, HANDOUT_SIDE)
        per_state = lambda side: n * side * max(1, round(width * side / height)) * 3  # noqa: E731
        while _states(chosen, self._current()) * per_state(side) > HANDOUT_BYTES and side > 48:
            side -= 8  # first smaller images (down to 48 px), then fewer values, then smaller still
        while _states(chosen, self._current()) * per_state(side) > HANDOUT_BYTES:
            thinner = {name: _thin(values, IDENTITY[name]) for name, values in chosen.items()}
            if thinner == chosen:  # only the ends and the rest position are left
                break
            chosen = thinner
        states = _state_list(chosen, self._current())
        while len(states) * per_state(side) > HANDOUT_BYTES and side > 16:
            side -= 8
        if len(states) * per_state(side) > HANDOUT_BYTES:
            raise ValueError(
                f"precompute: {len(states)} transforms of {n} images take {len(states) * per_state(side) / 2**20:.0f} MB "
                f"even at {side} px (limit {HANDOUT_BYTES / 2**20:.0f} MB); pass fewer images (max_images=)"
            )
        size = (side, max(1, round(width * side / height)))
        self.wait()
        images, probabilities, accuracy = [], [], []
        truth = np.asarray(self.labels) if self.labels else None
        for angle, shift_x, shift_y, zoom in states:
            moved = affine(self._inputs, angle=angle, shift=(shift_x, shift_y), scale=zoom)
            found = predict(self._model, moved)
            shown = moved if size == (height, width) else torch.nn.functional.interpolate(moved, size=size, mode="area")
            images.append(render.to_rgb_uint8(shown))
            probabilities.append(found.probabilities.astype(np.float32))
            if truth is not None:
                accuracy.append(float((found.predicted == truth).mean()))
        with self.hold_sync():
            self.handout_ladders = {name: [float(v) for v in values] for name, values in chosen.items()}
            self.handout_params = [[float(v) for v in state] for state in states]
            self.handout_accuracy = accuracy
            self.handout_probabilities = np.stack(probabilities)
            self.handout_images = np.stack(images)

    def _current(self) -> tuple[float, float, float, float]:
        return (float(self.angle), float(self.shift_x), float(self.shift_y), float(self.zoom))

    @staticmethod
    def _check_ladders(ladders: Any) -> dict[str, list[float]]:
        if ladders is None:
            return {name: list(values) for name, values in HANDOUT_LADDERS.items()}
        if not isinstance(ladders, dict):
            raise TypeError(f"ladders: expected a dict of slider name → values, got {type(ladders).__name__}")
        unknown = [name for name in ladders if name not in SLIDERS]
        if unknown:
            raise ValueError(f"ladders: unknown slider {unknown[0]!r}; expected names from {', '.join(SLIDERS)}")
        chosen = {}
        for name in SLIDERS:
            values = ladders.get(name, [IDENTITY[name]])
            if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
                raise ValueError(f"ladders[{name!r}]: expected a non-empty list of numbers, got {values!r}")
            for v in values:
                if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v):
                    raise ValueError(f"ladders[{name!r}]: expected numbers, got {v!r}")
                if name == "zoom" and v <= 0:
                    raise ValueError(f"ladders['zoom']: expected positive zooms, got {v!r}")
            chosen[name] = sorted({float(v) for v in values} | {IDENTITY[name]})
        return chosen

    def _show(self, result: Any) -> None:
        moved, predictions = result
        if not self.class_names:
            self.class_names = [str(i) for i in range(predictions.probabilities.shape[1])]
        self.images = render.to_rgb_uint8(moved)
        self.probabilities = predictions.probabilities
        if self.labels:
            self.accuracy = float((predictions.predicted == torch.tensor(self.labels).numpy()).mean())


def _state_list(ladders: dict[str, list[float]], current: tuple[float, float, float, float]) -> list[tuple[float, ...]]:
    """The current setting first, then every ladder value with the other sliders at rest (no repeats)."""
    rest = tuple(IDENTITY[name] for name in SLIDERS)
    states = [current, rest]
    for i, name in enumerate(SLIDERS):
        for v in ladders[name]:
            states.append(rest[:i] + (float(v),) + rest[i + 1 :])
    return list(dict.fromkeys(states))


def _states(ladders: dict[str, list[float]], current: tuple[float, float, float, float]) -> int:
    return len(_state_list(ladders, current))


def _thin(values: list[float], keep: float) -> list[float]:
    """Every other value, always keeping ``keep`` (the slider at rest) and the ends."""
    return sorted(set(values[::2]) | {keep, values[0], values[-1]})
