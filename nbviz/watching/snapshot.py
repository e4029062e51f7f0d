"""One snapshot of a training model, taken in one guarded forward pass over the probe set.

A snapshot never changes training: it runs under the model guard on the model's shadow (its own
module objects over the user's weights) in eval mode and ``torch.no_grad()``, so BatchNorm reads its
running statistics without updating them, dropout draws no mask and no gradient or optimiser state is
touched; the global random states are put back afterwards (:func:`.rng.training_rng_untouched`). Weights
are only read (copied for the weight path).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import torch
from torch import nn

from .._guard import ModelGuard, model_guard
from ..layers.calls import CallRef, resolve_call
from ..layers.channels import channel_axes
from ..layers.filter_images import filters as filter_images
from ..layers.recorder import Recorder
from ..layers.stats import _Accumulator
from ..layers.tree import LayerInfo, probe_tree
from .probe import Probe
from .rng import training_rng_untouched

__all__ = ["Snapshot", "Snapshotter"]

_ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Mish, nn.Hardswish)


@dataclass
class Snapshot:
    """What the watcher saw at one optimiser step.

    ``loss`` and ``accuracy``: cross-entropy and top-1 accuracy of the probe set in eval mode (``None``
    without labels or class logits); ``filters``: the first 2-D convolution's filters as (C, kh, kw, 3)
    uint8 (RGB filters as colours, others as grey levels of their first input channel, mid-grey = 0);
    ``maps``: the chosen layer's feature maps for the first probe inputs, (images, channels, h, w) uint8,
    each channel scaled by its largest value over those images; ``sparsity`` and ``dead`` per layer
    (fraction of exactly-zero outputs, channels never positive on the probe set; see
    :func:`nbviz.layers.activation_stats`); ``features``: the probe's penultimate features (N, D) float32;
    ``state``: the weights and buffers, copied to the CPU.
    """

    step: int
    loss: float | None
    accuracy: float | None
    filters: np.ndarray | None
    maps: np.ndarray | None
    sparsity: np.ndarray
    dead: np.ndarray
    features: np.ndarray
    state: dict[str, torch.Tensor]


class Snapshotter:
    """Takes :class:`Snapshot` s of ``model`` on a fixed ``probe``.

    Parameters
    ----------
    model : torch.nn.Module
        The user's model (only ever run through its shadow).
    probe : Probe
        The fixed probe set (see :func:`.probe.as_probe`).
    layer : str or None, default None
        The layer whose feature maps are shown; ``None``: the first activation (ReLU-like) layer with
        spatial maps, else the first layer with spatial maps.
    show : int, default 8
        How many probe inputs' feature maps are kept.
    max_channels : int, default 16
        How many channels of ``layer`` are kept.
    """

    def __init__(self, model: nn.Module, probe: Probe, layer: str | None = None, show: int = 8, max_channels: int = 16) -> None:
        for name, value in (("show", show), ("max_channels", max_channels)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: expected a positive integer, got {value!r}")
        self.model, self.probe = model, probe
        self.show, self.max_channels = show, max_channels
        with training_rng_untouched(), model_guard(model) as guard, torch.no_grad():
            tree = probe_tree(guard, probe.inputs[:2], argument="probe")
            axes = channel_axes(guard.model, tree)
        leaves = [info for info in tree if info.is_leaf and axes.get(info.name) is not None]
        if not leaves:
            raise ValueError("model: no layer with a channel dimension to watch")
        self.layers = [info.name for info in leaves]
        self.axes = {info.name: int(cast(int, axes[info.name])) for info in leaves}  # leaves have an axis
        self.map_layer = _map_layer(model, leaves, layer)
        convs = [name for name, m in model.named_modules() if isinstance(m, nn.Conv2d)]
        self.filter_layer = convs[0] if convs else None
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        self._head = linears[-1] if linears else None  # its input is the probe's penultimate features

    def take(self, step: int) -> Snapshot:
        """A snapshot of the model as it is now, labelled ``step``."""
        with training_rng_untouched(), model_guard(self.model) as guard, torch.no_grad():
            return self._take(guard, step)

    def _take(self, guard: ModelGuard, step: int) -> Snapshot:
        x = self.probe.inputs
        stats = {resolve_call(guard.model, name, argument="layers"): _Accumulator(name, self.axes[name]) for name in self.layers}
        kept: dict[str, torch.Tensor] = {}
        consumers: dict[CallRef, Any] = dict(stats)
        if self.map_layer is not None:
            ref = resolve_call(guard.model, self.map_layer, argument="layer")
            accumulate = consumers.get(ref)

            def keep_maps(out: Any, accumulate: Any = accumulate) -> None:
                if accumulate is not None:
                    accumulate(out)
                t = out[0] if isinstance(out, (tuple, list)) else out
                kept["maps"] = t[: self.show, : self.max_channels].detach().float().clone()

            consumers[ref] = keep_maps
        if self._head is not None:
            guard.forward_pre_hook(self._head, lambda module, inputs: kept.setdefault("features", inputs[0].detach().flatten(1).float().clone()))
        with Recorder(guard, consumers, stop_early=False, argument="layers") as recorder:
            logits = recorder.run(x, argument="probe")
        features = kept.get("features", logits.detach().flatten(1).float())
        loss, accuracy = _probe_scores(logits, self.probe.labels)
        accumulators = list(stats.values())
        # every layer ran, so each accumulator holds its tensors
        nonzero = [cast(torch.Tensor, a.nonzero) for a in accumulators]
        highest = [cast(torch.Tensor, a.max) for a in accumulators]
        return Snapshot(
            step=int(step),
            loss=loss,
            accuracy=accuracy,
            filters=self._filters(),
            maps=None if "maps" not in kept else _maps_uint8(kept["maps"]),
            sparsity=np.array([float(((a.count - n).double() / a.count).mean()) for a, n in zip(accumulators, nonzero)]),
            dead=np.array([int((m <= 0).sum()) for m in highest]),
            features=features.cpu().numpy().astype(np.float32),
            state={k: v.detach().to("cpu").clone(memory_format=torch.contiguous_format) for k, v in guard.model.state_dict().items()},
        )

    def _filters(self) -> np.ndarray | None:
        if self.filter_layer is None:
            return None
        shown = filter_images(self.model, self.filter_layer)
        rgb = shown.rgb if shown.rgb is not None else np.repeat(0.5 + 0.5 * shown.scaled[:, 0, :, :, None], 3, axis=-1)
        return np.round(255 * rgb).astype(np.uint8)


def _map_layer(model: nn.Module, leaves: list[LayerInfo], layer: str | None) -> str | None:
    """The layer whose maps are kept: the one asked for (checked), else the first spatial activation."""
    spatial = [info for info in leaves if info.output_shape is not None and len(info.output_shape) == 4]
    if layer is not None:
        resolve_call(model, layer, argument="layer")  # a clear error for an unknown name
        names = [info.name for info in spatial]
        if layer not in names:
            raise ValueError(f"layer: expected a layer with N×C×H×W maps on the probe, one of {names[:8]}, got {layer!r}")
        return layer
    modules = dict(model.named_modules())
    for info in spatial:
        if isinstance(modules.get(info.module), _ACTIVATIONS):
            return info.name
    return spatial[0].name if spatial else None


def _probe_scores(logits: torch.Tensor, labels: torch.Tensor | None) -> tuple[float | None, float | None]:
    """Cross-entropy and accuracy of class ``logits`` (N, K) against ``labels``; ``None`` when either is missing."""
    if labels is None or logits.ndim != 2 or int(labels.max()) >= logits.shape[1] or int(labels.min()) < 0:
        return None, None
    labels = labels.to(logits.device)
    loss = torch.nn.functional.cross_entropy(logits.double(), labels)
    return float(loss), float((logits.argmax(1) == labels).double().mean())


def _maps_uint8(maps: torch.Tensor) -> np.ndarray:
    """(images, channels, h, w) → uint8, each channel scaled so its largest |value| over the images is 255
    (ReLU maps are ≥ 0; other layers show |value|)."""
    magnitude = maps.abs()
    top = magnitude.amax(dim=(0, 2, 3), keepdim=True).clamp_min(1e-12)
    return torch.round(255 * magnitude / top).to(torch.uint8).cpu().numpy()
