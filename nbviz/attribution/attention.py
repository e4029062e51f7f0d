"""Attention maps and attention rollout of transformer models built on ``nn.MultiheadAttention``.

Which image patches does a vision transformer look at? Every attention layer holds, per head, a T×T
matrix: row i says how much token i takes from each token. :func:`attention_maps` returns them for
every ``nn.MultiheadAttention`` call of one forward pass; :func:`attention_rollout` (Abnar & Zuidema,
"Quantifying Attention Flow in Transformers", 2020) follows the attention through all layers: each
layer's head-averaged matrix with the residual connection added, ``Â = ½·A + ½·I`` (rows summing to
one), multiplied from the first layer to the last; the class token's row, over the patch tokens and
laid on the patch grid, is the map.

torchvision's ViT asks its attention for no weights (``need_weights=False``, the fast path). nbviz
asks for them on the model's shadow (a forward pre-hook turns ``need_weights`` on and
``average_attn_weights`` off for the block), so the user's model is never changed; the outputs are
the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .._guard import model_device, model_guard
from .._inputs import check_model, model_input
from ..layers.forward import run_model
from ..layers.layout import Layout
from ._context import Context
from .cam import _upsample as upsample
from .result import Attribution

__all__ = ["AttentionMaps", "attention_maps", "attention_rollout", "has_attention", "rollout_attribution"]


@dataclass
class AttentionMaps:
    """Attention of one forward pass: ``weights[layer]`` is N×heads×T×T (row: the attending token),
    ``layers`` the attention modules' names in call order, ``prefix`` the leading class/register
    tokens and ``grid`` the patch grid of the remaining tokens (``None`` when they form none)."""

    layers: list[str]
    weights: dict[str, np.ndarray]
    prefix: int
    grid: tuple[int, int] | None

    def patch_map(self, layer: str, token: int = 0, head: int | None = None) -> np.ndarray:
        """N×h×w: where ``token`` attends in ``layer`` (one ``head``, or the mean over heads)."""
        if self.grid is None:
            raise ValueError(f"layer: the {self.weights[layer].shape[-1]} tokens of {layer!r} form no patch grid")
        w = self.weights[layer]
        rows = w[:, :, token] if head is None else w[:, head : head + 1, token]
        return rows.mean(1)[:, self.prefix :].reshape(len(w), *self.grid)

    def plot(self, item: int = 0, token: int = 0) -> Any:
        """A Figure: each layer's head-averaged attention of ``token`` over the patches of input ``item``."""
        from .._figures import figure

        fig = figure(figsize=(1.6 * len(self.layers), 1.9))
        for i, layer in enumerate(self.layers):
            ax = fig.add_subplot(1, len(self.layers), i + 1)
            ax.imshow(self.patch_map(layer, token)[item], cmap="inferno")
            ax.set_title(layer.rsplit(".", 1)[-1] if "." in layer else layer, fontsize=7)
            ax.axis("off")
        fig.tight_layout()
        return fig


def _attention_calls(model: nn.Module) -> list[tuple[str, nn.MultiheadAttention]]:
    return [(name, m) for name, m in model.named_modules() if isinstance(m, nn.MultiheadAttention)]


def attention_maps(model: nn.Module, x: torch.Tensor | np.ndarray, layers: list[str] | None = None) -> AttentionMaps:
    """Per-head attention weights of every ``nn.MultiheadAttention`` of ``model`` (or of ``layers``).

    From one forward pass over the input batch ``x`` in eval mode.

    Parameters
    ----------
    model : torch.nn.Module
        A transformer whose attention layers are ``nn.MultiheadAttention`` (torchvision's ViT,
        ``nn.TransformerEncoder`` models); the model is never changed.
    x : torch.Tensor or numpy.ndarray
        An input batch, checked and converted like every nbviz input.
    layers : list of str or None, default None
        Names of the attention modules to keep; ``None``: all of them.

    Returns
    -------
    AttentionMaps
        ``weights[layer]`` N×heads×T×T per kept layer, the layer names in call order, the number of
        prefix (class/register) tokens and the patch grid of the others.

    Raises
    ------
    ValueError
        If the model has no ``nn.MultiheadAttention``, or a name in ``layers`` is not one.
    """
    check_model(model)
    found = _attention_calls(model)
    if not found:
        raise ValueError(
            "model: has no nn.MultiheadAttention module; attention maps need one (custom attention modules are not supported)"
        )
    names = [n for n, _ in found]
    wanted = names if layers is None else list(layers)
    unknown = [n for n in wanted if n not in names]
    if unknown:
        raise ValueError(f"layers: {unknown[0]!r} is not an nn.MultiheadAttention of the model; attention layers: {', '.join(names[:6])}")
    batch = model_input(x, model).to(model_device(model))
    weights: dict[str, torch.Tensor] = {}
    with model_guard(model) as guard, torch.no_grad():
        for name, module in found:
            if name not in wanted:
                continue
            guard.forward_pre_hook(module, _ask_for_weights, with_kwargs=True)
            guard.forward_hook(module, _keeper(weights, name))
        run_model(guard.model, batch, argument="x")
    missing = [n for n in wanted if n not in weights]
    if missing:
        raise ValueError(f"layers: {missing[0]!r} did not run in the forward pass")
    tokens = next(iter(weights.values())).shape[-1]
    layout = Layout("tokens", (1, tokens, 1))
    return AttentionMaps(
        layers=[n for n in names if n in wanted],
        weights={n: weights[n].float().cpu().numpy() for n in names if n in wanted},
        prefix=layout.prefix,
        grid=layout.grid,
    )


def _ask_for_weights(module: nn.Module, args: tuple, kwargs: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
    """Per-head weights from this call (the outputs are the same; only the fast path is skipped)."""
    return args, {**kwargs, "need_weights": True, "average_attn_weights": False}


def _keeper(weights: dict[str, torch.Tensor], name: str) -> Callable[[nn.Module, Any, Any], None]:
    def keep(module: nn.Module, inputs: Any, output: Any) -> None:
        attn = output[1] if isinstance(output, tuple) and len(output) > 1 else None
        if attn is None:
            raise ValueError(f"layers: {name!r} returned no attention weights")
        weights.setdefault(name, attn.detach())

    return keep


def attention_rollout(model: nn.Module, x: torch.Tensor | np.ndarray, *, token: int = 0) -> np.ndarray:
    """Attention rollout (Abnar & Zuidema, 2020): where ``token`` draws its information from, over the patch grid.

    Each layer's attention, averaged over heads, gets the residual path added (``½·A + ½·I``, rows
    renormalised); the product over layers, first to last, gives the flow from input tokens to
    ``token``. Rows sum to one, so the map is a distribution over patches (the prefix tokens' share is
    left out).

    Parameters
    ----------
    model : torch.nn.Module
        A transformer built on ``nn.MultiheadAttention``; never changed.
    x : torch.Tensor or numpy.ndarray
        An input batch, checked and converted like every nbviz input.
    token : int, default 0
        The token whose sources are traced (0: the class token).

    Returns
    -------
    numpy.ndarray
        N×h×w, the share of each patch.
    """
    maps = attention_maps(model, x)
    if maps.grid is None:
        tokens = maps.weights[maps.layers[0]].shape[-1]
        raise ValueError(f"model: its {tokens} tokens form no patch grid, so the rollout has no map")
    flow = None
    for layer in maps.layers:
        a = maps.weights[layer].mean(1)  # N×T×T, heads averaged
        a = 0.5 * a + 0.5 * np.eye(a.shape[-1], dtype=a.dtype)
        a = a / a.sum(-1, keepdims=True)
        flow = a if flow is None else a @ flow
    assert flow is not None
    return flow[:, token, maps.prefix :].reshape(len(flow), *maps.grid)


def has_attention(model: nn.Module) -> bool:
    """Whether ``model`` has an ``nn.MultiheadAttention`` (what the rollout needs)."""
    return any(isinstance(m, nn.MultiheadAttention) for m in model.modules())


def rollout_attribution(ctx: Context) -> Attribution:
    """The rollout as a saliency method (``method="attention_rollout"``): the class token's sources,
    bilinearly upsampled to the input size. It does not depend on the target class (attention is
    computed before the head), so every target gets the same map."""
    ctx.report(0.0, "attention rollout")
    grid = torch.as_tensor(attention_rollout(ctx.model, ctx.x))[:, None]  # N×1×h×w
    maps = upsample(grid, tuple(ctx.x.shape[2:]), "bilinear")[:, 0]  # CAM's resampling
    ctx.report(1.0, "attention rollout")
    return Attribution(maps.numpy().astype(np.float32), grid.numpy().astype(np.float32), "attention_rollout", ctx.target.as_array())
