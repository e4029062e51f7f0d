"""A plane's BatchNorms folded into the convolutions before them, once for the whole plane.

In eval mode a BatchNorm that alone reads a convolution's output is a per-channel affine map
(``x · s + t``, see :mod:`nbviz._batchnorm_fold`), so ``bn(conv(x))`` is one convolution with weight
``w · s`` and bias ``b · s + t``. Across a plane θ* + α·d1 + β·d2 the scale ``s = γ / sqrt(var + eps)``
stays fixed as long as neither direction moves γ (the running statistics are never perturbed; the
default ``ignore=("bias", "bn")`` zeroes BatchNorm directions). Folding is then linear in the point:

- folded θ*: ``w* · s`` and ``b* · s + t``;
- folded direction d: ``d_w · s`` and ``d_b · s + d_β`` (``d_b``, ``d_β``: the conv bias's and the
  BatchNorm bias's components, 0 where absent),

so the folded plane is an ordinary :class:`~nbviz.landscape.points.PlanePoints` over a traced copy of
the model without those BatchNorms: built once, no per-point cost, and every point runs one op instead
of two per folded pair. Values equal the unfolded model's up to float rounding (tested).

Not folded: a BatchNorm in train mode, one whose convolution's output is read by anything else, one
whose γ a direction moves (the scale would vary point to point), a model ``torch.fx`` cannot trace
(then :func:`nbviz.landscape.graph.plane_graph` leaves the model as it is). The evaluator
does not fold when it re-estimates BatchNorm statistics per point (``recompute_bn=True``).

Measured on torchvision resnet18 (20 folded pairs), 256 32×32 images, 2 threads, channels-last: a
plain forward pass 177 ms CPU, folded 159 ms (medians of 5); the small BatchNorm CNN of
``benchmarks/landscape.py`` at 256 a batch 28.8 → 23.2 ms (load ~1.5-2.7).
"""

from __future__ import annotations

import logging

import torch
from torch import fx, nn

from .._batchnorm_fold import batchnorm_affine, conv_before_batchnorm
from .params import Params
from .points import PlanePoints

__all__ = ["fold_batchnorms", "free_name"]

log = logging.getLogger(__name__)


def fold_batchnorms(gm: fx.GraphModule, points: PlanePoints) -> PlanePoints | None:
    """Fold the foldable BatchNorms of a traced model into their convolutions (``gm``'s graph is
    rewritten; its modules are new or shared, never changed), and return the plane's points for it,
    keyed by its parameter names; ``None`` (and ``gm`` as it was) when nothing folds.

    Parameters
    ----------
    gm : torch.fx.GraphModule
        A traced copy of the (guarded, eval-mode) model the plane's points are keyed for.
    points : PlanePoints
        The plane θ* + α·d1 + β·d2 over the model's parameters.

    Returns
    -------
    PlanePoints or None
        The folded plane over ``gm``'s parameters.
    """
    modules = dict(gm.named_modules())
    theta, d1, d2 = dict(points.theta), dict(points.d1), dict(points.d2)
    folded = 0
    for node in list(gm.graph.nodes):
        if node.op != "call_module":
            continue
        bn = modules.get(str(node.target))
        conv = conv_before_batchnorm(node, bn, modules)
        if conv is None or not isinstance(bn, nn.BatchNorm2d):
            continue
        source = node.args[0]
        names = _names(str(source.target), conv, str(node.target), bn)
        if names is None or not all(n in theta for n in names.values() if n is not None):
            continue
        gamma = names["gamma"]
        if gamma is not None and (bool(d1[gamma].any()) or bool(d2[gamma].any())):
            continue  # a direction moves γ: the scale would differ from point to point
        scale, shift = batchnorm_affine(bn)
        target = free_name(modules, f"{str(source.target).replace('.', '_')}_folded")
        new = torch.nn.utils.skip_init(
            nn.Conv2d, conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
            conv.dilation, conv.groups, bias=True, device=conv.weight.device, dtype=conv.weight.dtype,
        )
        for point, with_shift in ((theta, True), (d1, False), (d2, False)):
            weight, bias = _fold(point, names, scale, shift if with_shift else None)
            point[f"{target}.weight"], point[f"{target}.bias"] = weight, bias
        new.weight = nn.Parameter(theta[f"{target}.weight"], requires_grad=False)  # θ*'s values, no copy
        new.bias = nn.Parameter(theta[f"{target}.bias"], requires_grad=False)
        gm.add_submodule(target, new)
        modules[target] = new
        source.target = target
        node.replace_all_uses_with(source)
        gm.graph.erase_node(node)
        folded += 1
    if not folded:
        return None
    gm.graph.lint()
    gm.recompile()
    gm.delete_all_unused_submodules()
    keys = [n for n, _ in gm.named_parameters()]
    missing = [k for k in keys if k not in theta]
    if missing:  # cannot happen for a traced copy of the points' model; refuse rather than guess
        raise ValueError(f"points: no values for the traced model's parameters {missing[:3]}")
    log.debug("landscape: %d BatchNorms folded into their convolutions", folded)
    return PlanePoints({k: theta[k] for k in keys}, {k: d1[k] for k in keys}, {k: d2[k] for k in keys}, points.axis)


def _names(conv_at: str, conv: nn.Conv2d, bn_at: str, bn: nn.BatchNorm2d) -> dict[str, str | None] | None:
    """Parameter names of the pair (``None`` where the module has no such parameter)."""
    if conv.weight is None:
        return None
    return {
        "weight": f"{conv_at}.weight",
        "bias": f"{conv_at}.bias" if conv.bias is not None else None,
        "gamma": f"{bn_at}.weight" if bn.weight is not None else None,
        "beta": f"{bn_at}.bias" if bn.bias is not None else None,
    }


def _fold(
    point: Params, names: dict[str, str | None], scale: torch.Tensor, shift: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The folded conv weight and bias of θ* (``shift`` given) or of a direction (``shift`` None)."""
    w = point[str(names["weight"])]
    s = scale.to(w.dtype)
    weight = w * s.view(-1, *([1] * (w.dim() - 1)))
    bias = torch.zeros_like(s) if names["bias"] is None else point[str(names["bias"])] * s
    if shift is not None:
        bias = bias + shift.to(w.dtype)
    elif names["beta"] is not None:
        bias = bias + point[str(names["beta"])]
    return weight.contiguous(), bias


def free_name(modules: dict[str, nn.Module], base: str) -> str:
    """``base``, or ``base`` with a number appended, that names no module in ``modules``."""
    name, i = base, 1
    while name in modules:
        name, i = f"{base}{i}", i + 1
    return name
