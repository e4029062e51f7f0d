"""Which traced operations the incremental engine can compute on a region, and how.

Two families are computed locally:

* *window* ops (``Conv2d``, ``MaxPool2d``, ``AvgPool2d``): an output box needs the input box
  grown by the kernel halo; the op is re-run without padding on an explicitly padded input slice,
  so borders are exact.
* *pointwise* ops (eval-mode ``BatchNorm2d``, activations, ``Dropout``/``Identity`` in eval,
  elementwise arithmetic): an output position depends only on the same position of its inputs.

Everything else is *full*: it runs on whole (batched) tensors.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from .._batchnorm_fold import batchnorm_affine, conv_before_batchnorm
from ._winograd import WinogradConv

__all__ = ["FoldedConv", "Window", "classify", "conv_window", "fold_batchnorm", "is_inplace", "winograd_conv"]


@dataclass(frozen=True)
class Window:
    """A 2-D sliding-window op: kernel, stride, dilation and padding per axis (``pad`` is
    ``(top, bottom, left, right)``), the value padding stands for, and the op with padding 0."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pad: tuple[int, int, int, int]
    pad_value: float
    fn: Callable[[torch.Tensor], torch.Tensor]


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        return int(value[0]), int(value[1])
    return int(value), int(value)


def conv_window(m: nn.Conv2d | FoldedConv) -> Window | None:
    """The :class:`Window` of a zero-padded convolution (``None`` for other padding modes)."""
    if m.padding_mode != "zeros":
        return None
    k, s, d = _pair(m.kernel_size), _pair(m.stride), _pair(m.dilation)
    if m.padding == "valid":
        pad = (0, 0, 0, 0)
    elif m.padding == "same":
        th, tw = d[0] * (k[0] - 1), d[1] * (k[1] - 1)
        pad = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    else:
        ph, pw = _pair(m.padding)
        pad = (ph, ph, pw, pw)

    weight = m.weight.detach().contiguous(memory_format=torch.channels_last)  # matches the engine's layout
    bias = None if m.bias is None else m.bias.detach()

    def fn(x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, weight, bias, s, 0, d, m.groups)

    return Window(k, s, d, pad, 0.0, fn)


class FoldedConv(nn.Module):
    """``bn(conv(x))`` as one convolution: an eval-mode BatchNorm is an affine map per channel, so
    it folds into the convolution's weight and bias (``w·γ/σ``, ``(b − μ)·γ/σ + β`` with
    ``σ = sqrt(running_var + eps)``); equal up to float rounding, and one pass over the activation
    instead of two. New tensors: neither module is changed.

    Parameters
    ----------
    conv : torch.nn.Conv2d
        The convolution (zero padding).
    bn : torch.nn.BatchNorm2d
        The eval-mode BatchNorm that reads only ``conv``'s output.
    """

    def __init__(self, conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
        super().__init__()
        scale, shift = batchnorm_affine(bn)  # shared with loss planes (nbviz._batchnorm_fold)
        with torch.no_grad():
            bias = shift if conv.bias is None else conv.bias * scale + shift
            weight = conv.weight * scale.to(conv.weight.dtype).view(-1, 1, 1, 1)
        self.weight = weight.detach().to(conv.weight.dtype).contiguous(memory_format=torch.channels_last)
        self.bias: torch.Tensor | None = bias.detach().to(conv.weight.dtype)
        self.kernel_size, self.stride, self.padding = conv.kernel_size, conv.stride, conv.padding
        self.dilation, self.groups, self.padding_mode = conv.dilation, conv.groups, conv.padding_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


def winograd_conv(module: nn.Module | None, spec: Window) -> WinogradConv | None:
    """The convolution ``module`` (whose :class:`Window` is ``spec``) by Winograd's minimal filtering,
    when it is a float32 3×3 stride-1, undilated, ungrouped one; ``None`` otherwise.

    Parameters
    ----------
    module : torch.nn.Module or None
        A ``Conv2d`` or :class:`FoldedConv` (anything else gives ``None``).
    spec : Window
        Its window (zero padding, from :func:`conv_window`).

    Returns
    -------
    WinogradConv or None
        The same convolution, equal up to float rounding.
    """
    if not isinstance(module, (nn.Conv2d, FoldedConv)) or module.groups != 1 or module.weight.dtype != torch.float32:
        return None
    if spec.kernel != (3, 3) or spec.stride != (1, 1) or spec.dilation != (1, 1):
        return None
    return WinogradConv(module.weight, module.bias, spec.pad)


def fold_batchnorm(node: fx.Node, module: nn.Module | None, modules: dict[str, nn.Module]) -> FoldedConv | None:
    """The folded convolution when ``node`` is an eval-mode ``BatchNorm2d`` whose input is a
    zero-padded ``Conv2d`` read by nothing else; ``None`` otherwise.

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
    FoldedConv or None
        ``bn(conv(x))`` as one convolution.
    """
    conv = conv_before_batchnorm(node, module, modules)
    if conv is None:
        return None
    assert isinstance(module, nn.BatchNorm2d)  # conv_before_batchnorm checked it
    return FoldedConv(conv, module)


def _maxpool_window(m: nn.MaxPool2d) -> Window | None:
    if m.return_indices:
        return None
    k = _pair(m.kernel_size)
    s = _pair(m.stride if m.stride is not None else m.kernel_size)
    d, (ph, pw) = _pair(m.dilation), _pair(m.padding)

    def fn(x: torch.Tensor) -> torch.Tensor:
        return F.max_pool2d(x, k, s, 0, d)

    return Window(k, s, d, (ph, ph, pw, pw), float("-inf"), fn)


def _avgpool_window(m: nn.AvgPool2d) -> Window | None:
    k = _pair(m.kernel_size)
    s = _pair(m.stride if m.stride is not None else m.kernel_size)
    ph, pw = _pair(m.padding)
    if m.ceil_mode or (not m.count_include_pad and (ph or pw)):
        return None  # divisor would depend on the border: run it in full

    def fn(x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, k, s, 0, False, True, m.divisor_override)

    return Window(k, s, (1, 1), (ph, ph, pw, pw), 0.0, fn)


_POINTWISE_MODULES = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU, nn.Mish,
    nn.Sigmoid, nn.Tanh, nn.Hardswish, nn.Hardsigmoid, nn.Hardtanh, nn.Softplus, nn.PReLU,
    nn.Identity, nn.Dropout, nn.Dropout2d,
)

_POINTWISE_FUNCTIONS = {
    operator.add, operator.sub, operator.mul, operator.truediv, operator.neg,
    torch.add, torch.sub, torch.mul, torch.div, torch.neg, torch.relu, torch.sigmoid, torch.tanh,
    torch.clamp, torch.exp, torch.abs,
    F.relu, F.relu6, F.gelu, F.silu, F.hardswish, F.hardsigmoid, F.leaky_relu, F.hardtanh, F.elu,
    F.mish, F.sigmoid, F.tanh,
}

_POINTWISE_METHODS = {"relu", "sigmoid", "tanh", "add", "sub", "mul", "div", "clamp", "neg", "exp", "abs"}

_INPLACE_OPERATORS = {operator.iadd, operator.isub, operator.imul, operator.itruediv}


def is_inplace(node: fx.Node, module: nn.Module | None) -> bool:
    """Whether running ``node`` may write into one of its tensor arguments."""
    if node.op == "call_module":
        return bool(getattr(module, "inplace", False))
    if node.op == "call_function":
        name = getattr(node.target, "__name__", "")
        return node.target in _INPLACE_OPERATORS or bool(node.kwargs.get("inplace")) or name.endswith("_")
    if node.op == "call_method":
        return str(node.target).endswith("_")
    return False


def _pointwise_module(m: nn.Module) -> bool:
    if isinstance(m, nn.PReLU) and m.weight.numel() != 1:
        return True  # per-channel slope: still pointwise in space
    if isinstance(m, _POINTWISE_MODULES):
        return not (isinstance(m, (nn.Dropout, nn.Dropout2d)) and m.training)
    if isinstance(m, nn.BatchNorm2d):
        return not m.training and m.running_mean is not None
    return False


def _spatial(value: Any) -> bool:
    return isinstance(value, torch.Tensor) and value.dim() == 4


def _broadcasts_in_space(value: Any) -> bool:
    """A constant operand that is the same at every spatial position."""
    if not isinstance(value, torch.Tensor):
        return True
    shape = (1, 1) + tuple(value.shape)
    return shape[-1] == 1 and shape[-2] == 1


def classify(
    node: fx.Node, module: nn.Module | None, cache: dict[fx.Node, Any], dependent: set[fx.Node]
) -> tuple[str, Window | None]:
    """``("window", spec)``, ``("pointwise", None)`` or ``("full", None)`` for a traced node."""
    out = cache[node]
    if not _spatial(out):
        return "full", None
    if node.op == "call_module":
        parent = node.args[0] if len(node.args) == 1 else None
        if not isinstance(parent, fx.Node) or node.kwargs or not _spatial(cache.get(parent)):
            return "full", None
        spec = None
        if isinstance(module, nn.Conv2d):
            spec = conv_window(module)
        elif isinstance(module, nn.MaxPool2d):
            spec = _maxpool_window(module)
        elif isinstance(module, nn.AvgPool2d):
            spec = _avgpool_window(module)
        if spec is not None:
            return "window", spec
        if module is not None and _pointwise_module(module) and cache[parent].shape == out.shape:
            return "pointwise", None
        return "full", None
    if node.op == "call_function" and node.target in _POINTWISE_FUNCTIONS:
        operands = list(node.args) + list(node.kwargs.values())
    elif node.op == "call_method" and node.target in _POINTWISE_METHODS:
        operands = list(node.args) + list(node.kwargs.values())
    else:
        return "full", None
    for arg in operands:
        if isinstance(arg, fx.Node):
            value = cache[arg]
            if arg in dependent:
                if not _spatial(value) or value.shape != out.shape:
                    return "full", None
            elif not (_broadcasts_in_space(value) or (_spatial(value) and value.shape == out.shape)):
                return "full", None
        elif isinstance(arg, (list, tuple, dict)):
            return "full", None
    return "pointwise", None


