"""Class activation maps: a template that captures a layer's activations and the target's
gradient at that layer, and small variants that turn them into per-channel weights.

- ``gradcam`` (Selvaraju et al. 2017): weights = spatial mean of the gradients.
- ``gradcam++`` (Chattopadhay et al. 2018): weights = Σ relu(grad) · α with
  α = g² / (2g² + Σ_ij A · g³) (eq. 19; α = 0 where g = 0), as in pytorch-grad-cam.
- ``guided_gradcam``: guided backpropagation × the upsampled, ReLU'd Grad-CAM.

Layers of any layout with maps (:mod:`nbviz.layers.layout`) work: N×C×H×W, channels-last N×H×W×C
(Swin, ConvNeXt) and transformer tokens N×T×D, whose patch tokens are laid out on their grid with
the class token set aside — pytorch-grad-cam's ``reshape_transform`` for ViT and Swin. The default
layer is the last with maps; in a token model (where the last layers' patch tokens no longer reach
the class score) it is the norm before the last attention block, as pytorch-grad-cam advises.

The CAM is ``Σ_k w_k A_k`` at the layer's resolution (``raw``, before ReLU, like Captum's
``LayerGradCam``); ``maps`` is its ReLU upsampled to the input size with
``F.interpolate(mode="bilinear", align_corners=False)`` — the same half-pixel bilinear
resampling as pytorch-grad-cam's ``cv2.resize`` — or ``mode="nearest"`` (Captum's
``LayerAttribution.interpolate`` default) with ``interpolation="nearest"``. Unlike
pytorch-grad-cam the maps are not min–max scaled (see :meth:`Attribution.normalized`).

Speed: the input does not require gradients and parameters are frozen, so nothing before the
layer records a graph; the layer's output is swapped for a leaf tensor and
``torch.autograd.grad(score, leaf)`` backpropagates only from the output to the layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .._modules import resolve_layer
from ..layers.layout import Layout
from ._context import Context
from ._probe import ProbedModule
from .gradients import abs_max_map, guided_backprop_raw
from .result import Attribution

__all__ = [
    "INTERPOLATIONS",
    "CamMethod",
    "GradCam",
    "GradCamPlusPlus",
    "cam",
    "default_cam_layer",
    "gradcam",
    "gradcam_plus_plus",
    "guided_gradcam",
]

INTERPOLATIONS = ("bilinear", "nearest")


class CamMethod:
    """A CAM variant: only :meth:`weights` differs between variants."""

    name = "cam"

    def weights(self, activations: torch.Tensor, gradients: torch.Tensor) -> torch.Tensor:
        """N×K channel weights from N×K×h×w activations and gradients."""
        raise NotImplementedError

    def compute(self, activations: torch.Tensor, gradients: torch.Tensor) -> torch.Tensor:
        """N×1×h×w CAM before ReLU."""
        w = self.weights(activations, gradients)
        return (w[:, :, None, None] * activations).sum(dim=1, keepdim=True)


class GradCam(CamMethod):
    name = "gradcam"

    def weights(self, activations: torch.Tensor, gradients: torch.Tensor) -> torch.Tensor:
        return gradients.mean(dim=(2, 3))


class GradCamPlusPlus(CamMethod):
    name = "gradcam++"
    eps = 1e-6

    def weights(self, activations: torch.Tensor, gradients: torch.Tensor) -> torch.Tensor:
        g2 = gradients**2
        g3 = g2 * gradients
        summed = activations.sum(dim=(2, 3), keepdim=True)
        alpha = g2 / (2 * g2 + summed * g3 + self.eps)
        alpha = torch.where(gradients != 0, alpha, torch.zeros_like(alpha))
        return (gradients.clamp(min=0) * alpha).sum(dim=(2, 3))


@dataclass(frozen=True)
class CamLayer:
    name: str
    module: nn.Module
    call: int  # index of its last call in the probe
    layout: Layout


def _token_default(calls: list[ProbedModule]) -> ProbedModule | None:
    """In a token model: the last LayerNorm with tokens that feeds an attention module after it."""
    attention = [i for i, c in enumerate(calls) if "attention" in type(c.module).__name__.lower()]
    if not attention:
        return None
    norms = [c for c in calls[: attention[-1]] if isinstance(c.module, nn.LayerNorm) and c.spatial and c.layout.kind == "tokens"]
    return norms[-1] if norms else None


def default_cam_layer(ctx: Context, layer: str | nn.Module | None) -> CamLayer:
    """The CAM layer: ``layer`` if given (its output must have maps: see the module docstring), else
    the last module to finish with maps in the probe forward (token models: see :func:`_token_default`)."""
    spatial = [c.name for c in ctx.probe.calls if c.spatial]
    if layer is None:
        last = ctx.probe.last_spatial()
        if last is None:
            raise ValueError(
                "layer: the model has no module with a spatial output (N×C×H×W, N×H×W×C or tokens on a grid); CAM methods need one"
            )
        if last.layout.kind == "tokens":
            last = _token_default(ctx.probe.calls) or last
        call = ctx.probe.last_call(last.module)
        return CamLayer(last.name, last.module, call, ctx.probe.calls[call].layout)  # type: ignore[arg-type,index]
    name, module = resolve_layer(ctx.model, ctx.guard.module(layer) if isinstance(layer, nn.Module) else layer)
    call = ctx.probe.last_call(module)
    if call is None:
        raise ValueError(f"layer: {name!r} did not run in the model's forward pass")
    if not ctx.probe.calls[call].spatial:
        hint = f"; layers with spatial output include {', '.join(repr(s) for s in spatial[-5:])}" if spatial else ""
        raise ValueError(
            f"layer: {name!r} has output shape {ctx.probe.calls[call].shape} ({ctx.probe.calls[call].layout.kind}), "
            f"not a spatial map{hint}"
        )
    return CamLayer(name, module, call, ctx.probe.calls[call].layout)


def layer_activations_and_gradients(ctx: Context, layer: CamLayer, message: str) -> tuple[torch.Tensor, torch.Tensor]:
    """N×K×h×w activations of ``layer`` (its last call) and d score / d activations, as channels-first
    maps whatever the layer's layout."""
    captured: list[torch.Tensor] = []

    def swap(_module: nn.Module, _inputs: object, output: object) -> torch.Tensor:
        if not isinstance(output, torch.Tensor):
            raise ValueError(f"layer: {layer.name!r} returns {type(output).__name__}, not a tensor")
        leaf = output.detach().requires_grad_(True)
        captured.append(leaf)
        return leaf.clone()  # later in-place ops must not touch the leaf

    acts, grads = [], []
    handle = ctx.guard.forward_hook(layer.module, swap)
    try:
        for start, stop in ctx.chunks(ctx.n, ctx.rows_per_pass(layer.call), message):
            captured.clear()
            with torch.enable_grad():
                scores = ctx.scores(ctx.model(ctx.x[start:stop]), torch.arange(start, stop), clean=True)
                if not scores.requires_grad:
                    raise ValueError(f"layer: the target score does not depend on {layer.name!r}")
                (grad,) = torch.autograd.grad(scores.sum(), captured[-1])
            acts.append(captured[-1].detach())
            grads.append(grad)
    finally:
        handle.remove()
    return layer.layout.maps(torch.cat(acts)), layer.layout.maps(torch.cat(grads))


def _upsample(cam: torch.Tensor, size: tuple[int, ...], interpolation: str) -> torch.Tensor:
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation: expected one of {', '.join(INTERPOLATIONS)}, got {interpolation!r}")
    if interpolation == "nearest":
        return F.interpolate(cam, size=size, mode="nearest")
    return F.interpolate(cam, size=size, mode="bilinear", align_corners=False)


def cam(ctx: Context, method: CamMethod, layer: str | nn.Module | None = None, *, interpolation: str = "bilinear") -> Attribution:
    """A CAM of ``method`` at ``layer`` (default: last spatial layer) for every input."""
    where = default_cam_layer(ctx, layer)
    activations, gradients = layer_activations_and_gradients(ctx, where, method.name)
    raw = method.compute(activations, gradients)
    maps = _upsample(raw.clamp(min=0), tuple(ctx.x.shape[2:]), interpolation)[:, 0]
    return Attribution(
        maps.detach().cpu().numpy(), raw.detach().cpu().numpy(), method.name, ctx.target.as_array(), layer=where.name
    )


def gradcam(ctx: Context, layer: str | nn.Module | None = None, *, interpolation: str = "bilinear") -> Attribution:
    """Grad-CAM at ``layer``; see the module docstring for ``raw``/``maps``."""
    return cam(ctx, GradCam(), layer, interpolation=interpolation)


def gradcam_plus_plus(ctx: Context, layer: str | nn.Module | None = None, *, interpolation: str = "bilinear") -> Attribution:
    """Grad-CAM++ at ``layer``; see the module docstring for ``raw``/``maps``."""
    return cam(ctx, GradCamPlusPlus(), layer, interpolation=interpolation)


def guided_gradcam(ctx: Context, layer: str | nn.Module | None = None, *, interpolation: str = "bilinear") -> Attribution:
    """Guided backpropagation × the upsampled ReLU'd Grad-CAM (Captum ``GuidedGradCam``, which
    upsamples with ``interpolation="nearest"``). ``raw`` is N×C×H×W; ``maps`` its absolute channel max."""
    where = default_cam_layer(ctx, layer)
    _upsample(torch.zeros(1, 1, 1, 1), (1, 1), interpolation)  # validate before any work
    low, high = ctx.span
    ctx.span = (low, low + (high - low) / 2)
    activations, gradients = layer_activations_and_gradients(ctx, where, "guided gradcam: cam")
    grad_cam = _upsample(GradCam().compute(activations, gradients).clamp(min=0), tuple(ctx.x.shape[2:]), interpolation)
    ctx.span = (low + (high - low) / 2, high)
    raw = guided_backprop_raw(ctx) * grad_cam
    ctx.span = (low, high)
    return Attribution(abs_max_map(raw), raw.detach().cpu().numpy(), "guided_gradcam", ctx.target.as_array(), layer=where.name)
