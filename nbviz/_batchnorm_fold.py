"""An eval-mode BatchNorm as a per-channel affine map, and which traced BatchNorm can fold into its conv.

In eval mode ``BatchNorm2d`` computes ``x · scale + shift`` per channel, with ``scale = γ / sqrt(var + eps)``
and ``shift = β − mean · scale`` (:func:`batchnorm_affine`). When it alone reads a convolution's output
(:func:`conv_before_batchnorm`), the two are one convolution with weight ``w · scale`` (per output
channel) and bias ``b · scale + shift``: equal up to float rounding, one pass over the activation
instead of two. Used by exact occlusion (:mod:`nbviz.attribution._incremental_ops`) and by loss planes
(:mod:`nbviz.landscape.folding`).
"""

from __future__ import annotations

import torch
from torch import fx, nn

__all__ = ["batchnorm_affine", "conv_before_batchnorm"]


def batchnorm_affine(
    bn: nn.BatchNorm2d, weight: torch.Tensor | None = None, bias: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(scale, shift)`` with ``bn(x) = x · scale + shift`` per channel (eval mode, running statistics).

    Parameters
    ----------
    bn : torch.nn.BatchNorm2d
        A BatchNorm with running statistics.
    weight : torch.Tensor or None, default None
        γ to use instead of ``bn.weight`` (e.g. a parameter point's value); ``None``: ``bn.weight``.
    bias : torch.Tensor or None, default None
        β to use instead of ``bn.bias``; ``None``: ``bn.bias``.

    Returns
    -------
    (torch.Tensor, torch.Tensor)
        Two tensors of shape (C,), detached.
    """
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("bn: expected a BatchNorm that tracks running statistics")
    weight = bn.weight if weight is None else weight
    bias = bn.bias if bias is None else bias
    with torch.no_grad():
        scale = torch.rsqrt(bn.running_var + bn.eps)
        if weight is not None:
            scale = scale * weight
        shift = -bn.running_mean * scale
        if bias is not None:
            shift = shift + bias
    return scale.detach(), shift.detach()


def conv_before_batchnorm(node: fx.Node, module: nn.Module | None, modules: dict[str, nn.Module]) -> nn.Conv2d | None:
    """The convolution an eval-mode ``BatchNorm2d`` node folds into, or ``None``.

    It folds when the node calls an eval-mode ``BatchNorm2d`` with running statistics on one
    argument, the output of a zero-padded ``Conv2d`` module call that nothing else reads.

    Parameters
    ----------
    node : torch.fx.Node
        A traced node.
    module : torch.nn.Module or None
        Its module (``call_module`` nodes).
    modules : dict of str to torch.nn.Module
        The traced module's submodules by name.

    Returns
    -------
    torch.nn.Conv2d or None
        The convolution whose output only this BatchNorm reads.
    """
    if not isinstance(module, nn.BatchNorm2d) or module.training or module.running_mean is None:
        return None
    if module.running_var is None or len(node.args) != 1 or node.kwargs:
        return None
    source = node.args[0]
    if not isinstance(source, fx.Node) or source.op != "call_module" or len(source.users) != 1:
        return None
    conv = modules.get(str(source.target))
    if not isinstance(conv, nn.Conv2d) or conv.padding_mode != "zeros" or source.kwargs or len(source.args) != 1:
        return None
    return conv
