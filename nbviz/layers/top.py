"""The dataset inputs that excite one channel most, with the input crop each maximum sees."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import torch
from torch import nn

from .._data import Data
from .._guard import model_guard
from .._inputs import check_model
from .._progress import Progress, with_progress_bar
from ..execution import resolve_executor
from .calls import resolve_call
from .channels import channel_axes
from .outputs import output_tensor
from .receptive_fields import probe_boxes
from .recorder import Recorder
from .scan import scan
from .tree import probe_tree

__all__ = ["TopActivating", "top_activating"]


@dataclass
class TopActivating:
    """The k inputs with the highest activation of ``channel`` in ``layer``, best first.

    ``indices`` (k,) dataset positions in iteration order; ``values`` (k,) the channel's maximum over
    its spatial/token positions per input (the neuron value for linear layers); ``positions`` (k, d)
    where that maximum sits (row, col for conv maps; token index for token outputs; ``None`` for
    vectors); ``images`` (k, *input shape) the inputs; for conv maps ``boxes`` (k, 4) half-open input
    boxes ``(row_start, row_stop, col_start, col_stop)`` of the maximum's receptive field and
    ``crops`` the matching input crops (C×h×w each), else ``None``.
    """

    layer: str
    channel: int
    indices: np.ndarray
    values: np.ndarray
    positions: np.ndarray | None
    images: np.ndarray
    boxes: np.ndarray | None
    crops: list[np.ndarray] | None

    def plot(self) -> Any:
        """A matplotlib Figure: one panel per result (the crop when there is one), titled by index and value."""
        from .._figures import figure

        pictures = self.crops if self.crops is not None else list(self.images)
        cols = min(len(pictures), 3) or 1
        rows = max(1, -(-len(pictures) // cols))
        fig = figure(figsize=(2.2 * cols, 2.4 * rows), layout="constrained")
        axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
        for ax in axes:
            ax.axis("off")
        for ax, picture, index, value in zip(axes, pictures, self.indices, self.values):
            ax.imshow(_displayable(picture), cmap="gray", interpolation="nearest")
            ax.set_title(f"#{index}: {value:.3g}", fontsize=8)
        fig.suptitle(f"{self.layer} channel {self.channel}: top {len(self.indices)}")
        return fig


def _displayable(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3:
        image = image[0] if image.shape[0] == 1 else np.moveaxis(image[:3], 0, -1)
    low, high = np.nanmin(image), np.nanmax(image)
    return (image - low) / (high - low) if high > low else np.zeros_like(image)


@with_progress_bar("top-activating inputs")
def top_activating(
    model: nn.Module,
    data: Data,
    layer: str | nn.Module,
    channel: int,
    k: int = 9,
    batch_size: int = 64,
    progress: Progress | None = None,
    *,
    crops: bool = True,
    executor: str | None = None,
) -> TopActivating:
    """The ``k`` inputs of ``data`` that activate ``channel`` of ``layer`` most (ties: earlier index
    first; fewer when data has fewer inputs). For conv-map layers also the receptive-field crop of
    each maximum (exact, by NaN probing; ``crops=False`` skips it). Dataset indices follow the
    iteration order of ``data`` (a shuffling DataLoader makes them meaningless).

    ``executor``: ``"local"``, ``"ray"`` or ``None`` (the kernel's choice, :func:`nbviz.use_ray`). On Ray
    the workers read their shards of ``data`` themselves and return their own top ``k``; the driver
    merges them as they arrive (it holds at most 2k candidates) and computes the crops.

    Parameters
    ----------
    model : torch.nn.Module
        The model; run under the model guard in eval mode, without gradients, never changed.
    data : torch.Tensor, numpy.ndarray, Dataset, DataLoader or (inputs, labels)
        The inputs (labels are ignored); ``indices`` are positions in its iteration order.
    layer : str or torch.nn.Module
        The layer, as a module or its name.
    channel : int
        The channel of ``layer``'s output (the neuron for linear layers).
    k : int, default 9
        How many inputs to return (fewer when ``data`` has fewer).
    batch_size : int, default 64
        Inputs per forward pass.
    progress : callable, False or None, default None
        ``progress(fraction, message)`` after each batch; return ``False`` to stop. ``None``: a progress bar
        once the call runs longer than a second; ``False``: none.
    crops : bool, default True
        For conv-map layers, compute each maximum's receptive-field box and input crop; ``False`` skips them.
    executor : {"local", "ray"} or None, default None
        Where the forward passes run; ``None``: the kernel's choice (:func:`nbviz.use_ray`,
        :func:`nbviz.use_local`).

    Returns
    -------
    TopActivating
        The ``k`` inputs, best first: indices, values, positions, images and (conv maps, ``crops=True``)
        boxes and crops.
    """
    check_model(model)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k: expected a positive integer, got {k!r}")
    if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)):
        raise TypeError(f"channel: expected an integer, got {type(channel).__name__}")
    channel = int(channel)
    backend = resolve_executor(executor)
    ref = resolve_call(model, layer)
    with model_guard(model) as guard:
        span = (0.0, 0.8 if crops else 1.0)
        axis: int | None
        if backend == "ray":
            from ..execution.ray_layers import top_k

            best = top_k(top_activating, model, data, layer, channel, k, batch_size, progress, span)
            axis = _channel_axis(guard, ref, best["images"][:1], channel)
        else:
            best, axis = _top_local(guard, model, ref, data, channel, k, batch_size, progress, span)
        spatial = best["positions"].shape[1] == 2 and best["images"].ndim == 4 and axis == 1
        boxes = None
        if crops and spatial:
            boxes = probe_boxes(
                guard, ref, cast(tuple[int, int, int], tuple(best["images"].shape[1:])),  # spatial: images are N×C×H×W
                cast(Sequence[Sequence[int]], best["positions"].numpy()), channel,
                progress=progress, span=(0.8, 1.0),
            )
    images = best["images"].numpy()
    return TopActivating(
        layer=ref.key,
        channel=channel,
        indices=best["indices"].numpy(),
        values=best["values"].double().numpy(),
        positions=best["positions"].numpy() if best["positions"].shape[1] else None,
        images=images,
        boxes=boxes,
        crops=None if boxes is None else [img[:, r0:r1, c0:c1] for img, (r0, r1, c0, c1) in zip(images, boxes)],
    )


def _top_local(
    guard: Any, model: nn.Module, ref: Any, data: Data, channel: int, k: int, batch_size: int,
    progress: Progress | None, span: tuple[float, float],
) -> tuple[dict[str, torch.Tensor], int | None]:
    """The top ``k`` (values, indices, positions, images) in one pass here, and the channel axis."""
    best: dict[str, torch.Tensor] | None = None
    taken: list[torch.Tensor] = []
    axis = None
    for offset, batch in scan(model, data, batch_size, progress, "top-activating inputs", span=span):
        if axis is None:
            axis = _channel_axis(guard, ref, batch, channel)
            recorder = Recorder(guard, {ref: lambda out: taken.append(output_tensor(out, ref.key))}, argument="layer")
        taken.clear()
        recorder.run(batch, argument="data")
        values, positions = _per_input(taken[0], axis, channel)
        found = dict(
            values=values.cpu(),
            indices=torch.arange(offset, offset + len(values)),
            positions=positions.cpu(),
            images=batch.detach().cpu(),
        )
        best = found if best is None else {key: torch.cat([best[key], found[key]]) for key in found}
        order = torch.sort(best["values"], descending=True, stable=True).indices[:k]
        best = {key: value[order] for key, value in best.items()}
    recorder.close()
    assert best is not None
    return best, axis


def _channel_axis(guard: Any, ref: Any, batch: torch.Tensor, channel: int) -> int:
    tree = probe_tree(guard, batch)
    info = next((i for i in tree if i.name == ref.name), None)
    if info is None:
        raise ValueError(f"layer: {ref.key!r} produced no output in a forward pass")
    axis = channel_axes(guard.model, tree)[info.name]
    if axis is None or info.output_shape is None:
        raise ValueError(f"layer: {ref.key!r} has output shape {info.output_shape}, so it has no channels")
    size = info.output_shape[axis]
    if not 0 <= channel < size:
        raise ValueError(f"channel: {ref.key!r} has {size} channels (axis {axis}), got {channel}")
    return axis


def _per_input(t: torch.Tensor, axis: int, channel: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per input: the channel's maximum and its position (N, d) over the remaining axes."""
    v = t.select(axis, channel)
    n = v.shape[0]
    if v.ndim == 1:
        return v, torch.zeros((n, 0), dtype=torch.long)
    values, flat = v.reshape(n, -1).max(dim=1)
    positions = torch.stack(torch.unravel_index(flat, v.shape[1:]), dim=1) if v.ndim > 2 else flat[:, None]
    return values, positions
