"""The model a plane's points run through: a traced copy with exact rewrites a plain loop does not make.

Every point of a plane is a full pass over the data through the same architecture, so a rewrite that
costs a trace once and saves a little on every forward pays over hundreds of passes. Three rewrites,
each exact (equal to the model up to float rounding, tested in ``tests/test_landscape_folding.py``):

- BatchNorms folded into the convolutions before them (:mod:`nbviz.landscape.folding`);
- activations in place: a ReLU, LeakyReLU or SiLU whose input is a fresh tensor (the output of a
  linear, convolution or normalisation layer, or of an addition or product) that nothing else reads
  runs in place, so its output needs no new memory. On the MLP 30→256→256→2 of
  ``benchmarks/landscape.py`` (11,380 rows, 2 threads, load ~2.3, medians of 15 passes) a pass at
  2,048 rows a batch took 32.5 ms CPU with out-of-place ReLUs and 15.4 ms in place (each ReLU output
  is 2 MiB, which glibc serves by ``mmap``: fresh pages every batch), at 1,024 rows 16.3 vs 15.5 ms;
- Linear outputs that stay inside the forward written into buffers kept from batch to batch
  (:class:`BufferedLinear`, ``addmm`` with ``out=``; bit for bit ``F.linear``'s values): the same
  MLP's fastest pass at 2,048 rows fell from 12.0 to 6.2 ms wall with in-place ReLUs in both
  (load ~2.5), its timed plane passes from 6.9 to 6.1 ms at 8,192 rows.

The traced copy shares the model's modules (nothing of them is changed); rewritten nodes get new
modules. A model ``torch.fx`` cannot trace runs as it is.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import fx, nn

from .._trace import symbolic_trace
from .folding import fold_batchnorms, free_name
from .points import PlanePoints

__all__ = ["BufferedLinear", "activations_in_place", "linears_into_buffers", "plane_graph"]

log = logging.getLogger(__name__)

# modules and functions whose output is a new tensor (never a view of an input or a parameter)
_FRESH_MODULES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.modules.batchnorm._BatchNorm, nn.LayerNorm)
_FRESH_FUNCTIONS = {operator.add, operator.sub, operator.mul, torch.add, torch.sub, torch.mul}

# activation module type -> the same activation running in place
_IN_PLACE: dict[type[nn.Module], Callable[[nn.Module], nn.Module]] = {
    nn.ReLU: lambda m: nn.ReLU(inplace=True),
    nn.LeakyReLU: lambda m: nn.LeakyReLU(float(getattr(m, "negative_slope", 0.01)), inplace=True),
    nn.SiLU: lambda m: nn.SiLU(inplace=True),
}
_RELU_FUNCTIONS = {torch.relu, F.relu}


def plane_graph(model: nn.Module, points: PlanePoints) -> tuple[fx.GraphModule, PlanePoints] | None:
    """A traced copy of ``model`` rewritten for a plane's passes, and the plane's points for it (the
    same points when no BatchNorm folded), or ``None`` when nothing was rewritten or fx cannot trace.

    Parameters
    ----------
    model : torch.nn.Module
        The (guarded, eval-mode) model the points are keyed for; never changed.
    points : PlanePoints
        The plane θ* + α·d1 + β·d2 over ``model``'s parameters.

    Returns
    -------
    (torch.fx.GraphModule, PlanePoints) or None
        The model to run and the points keyed by its parameter names.
    """
    try:
        gm = symbolic_trace(model)  # thread-safe: the notebook may run the model meanwhile
    except Exception as error:  # noqa: BLE001 - any model fx cannot trace runs as it is
        log.debug("landscape: the model runs as it is, torch.fx cannot trace it (%s)", error)
        return None
    folded = fold_batchnorms(gm, points)
    in_place = activations_in_place(gm)  # before linears_into_buffers: it reads Linear outputs as fresh
    buffered = linears_into_buffers(gm)
    if folded is None and not in_place and not buffered:
        return None
    return gm, folded if folded is not None else points


class BufferedLinear(nn.Module):
    """``F.linear(x, weight, bias)`` written into a buffer kept from call to call (one per input shape):
    a 2-D input in inference mode runs ``torch.addmm(bias, x, weight.T, out=buffer)``, the same
    computation as ``F.linear`` without allocating its output; anything else runs ``F.linear``. The
    output is overwritten by the next call, so it may only feed the rest of the same forward."""

    def __init__(self) -> None:
        super().__init__()
        self.outputs: dict[tuple[object, ...], torch.Tensor] = {}

    def forward(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        if x.dim() != 2 or not torch.is_inference_mode_enabled() or x.dtype != weight.dtype:
            return F.linear(x, weight, bias)
        key = (x.shape[0], weight.shape[0], x.dtype, x.device)
        out = self.outputs.get(key)
        if out is None:
            out = self.outputs[key] = torch.empty(x.shape[0], weight.shape[0], dtype=x.dtype, device=x.device)
        if bias is None:
            return torch.mm(x, weight.T, out=out)
        return torch.addmm(bias, x, weight.T, out=out)


def linears_into_buffers(gm: fx.GraphModule) -> int:
    """Make ``nn.Linear`` calls whose output stays inside the forward write into reused buffers
    (:class:`BufferedLinear`); returns how many. Not the graph's output, which the caller keeps.

    Parameters
    ----------
    gm : torch.fx.GraphModule
        A traced model; its graph is rewritten (one new :class:`BufferedLinear` per call; the
        ``nn.Linear`` modules are not changed, their weights are read where they are).

    Returns
    -------
    int
        The number of Linear calls rewritten.
    """
    modules = dict(gm.named_modules())
    count = 0
    for node in list(gm.graph.nodes):
        module = modules.get(str(node.target)) if node.op == "call_module" else None
        if not isinstance(module, nn.Linear) or len(node.args) != 1 or node.kwargs:
            continue
        if any(user.op == "output" for user in node.users):
            continue
        target = free_name(modules, f"{str(node.target).replace('.', '_')}_buffered")
        modules[target] = BufferedLinear()
        gm.add_submodule(target, modules[target])
        with gm.graph.inserting_before(node):
            weight = gm.graph.get_attr(f"{node.target}.weight")
            bias = gm.graph.get_attr(f"{node.target}.bias") if module.bias is not None else None
        node.target, node.args = target, (node.args[0], weight, bias)
        count += 1
    if count:
        gm.graph.lint()
        gm.recompile()
    return count


def activations_in_place(gm: fx.GraphModule) -> int:
    """Make activations whose input is a fresh tensor read by nothing else run in place; returns how many.

    Parameters
    ----------
    gm : torch.fx.GraphModule
        A traced model; its graph is rewritten (new activation modules; shared modules are not changed).

    Returns
    -------
    int
        The number of activations now running in place.
    """
    modules = dict(gm.named_modules())
    count = 0
    for node in list(gm.graph.nodes):
        if len(node.args) != 1 or not _fresh(node.args[0], modules):
            continue
        if node.op == "call_module":
            module = modules.get(str(node.target))
            make = _IN_PLACE.get(type(module)) if module is not None else None
            if module is None or make is None or node.kwargs or getattr(module, "inplace", False):
                continue
            target = free_name(modules, f"{str(node.target).replace('.', '_')}_in_place")
            modules[target] = make(module)
            gm.add_submodule(target, modules[target])
            node.target = target
        elif node.op == "call_function" and node.target in _RELU_FUNCTIONS and not any(node.kwargs.values()):
            node.target, node.kwargs = torch.relu_, {}
        else:
            continue
        count += 1
    if count:
        gm.graph.lint()
        gm.recompile()
        gm.delete_all_unused_submodules()
    return count


def _fresh(node: object, modules: dict[str, nn.Module]) -> bool:
    """Whether ``node``'s value is a new tensor that only one node reads."""
    if not isinstance(node, fx.Node) or len(node.users) != 1 or node.kwargs:
        return False
    if node.op == "call_module":
        module = modules.get(str(node.target))
        return isinstance(module, _FRESH_MODULES)
    if node.op == "call_function":
        return node.target in _FRESH_FUNCTIONS and any(isinstance(a, fx.Node) for a in node.args)
    return False
