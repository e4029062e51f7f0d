"""The linearised tail of the incremental engine (approximate occlusion): cut points, the score's
gradient at a cut, and the first-order score change of each patch there."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch import fx

from nbviz.attribution._incremental_states import Full, Same, pixel_rows

__all__ = ["LinearTail"]


class LinearTail:
    """Cuts and linearisation for :class:`~nbviz.attribution.incremental.IncrementalEngine`, which
    provides ``nodes``, ``dependent``, ``cache``, ``output_node`` and ``_call``; :meth:`linearize`
    sets ``_cut``, ``_gradient``, ``_gradient_pixels`` and ``_base_dot``, which the engine's ``run``
    reads through :meth:`_linear_change`."""

    # provided by IncrementalEngine (declared here, without values, for the type checker only)
    nodes: list[fx.Node]
    dependent: set[fx.Node]
    cache: dict[fx.Node, Any]
    output_node: fx.Node
    _cut: fx.Node | None
    _gradient: torch.Tensor | None
    _gradient_pixels: torch.Tensor
    _base_dot: torch.Tensor

    if TYPE_CHECKING:

        def _call(self, node: fx.Node, args: Any, kwargs: Any, *, copy: bool) -> Any: ...

    def cuts(self) -> list[fx.Node]:
        """Input-dependent nodes through which everything downstream flows: after such a node no
        other input-dependent value is still needed, so the rest of the network is a function of
        that node alone (block outputs of a ResNet, every layer of a plain chain). In graph order."""
        position = {n: i for i, n in enumerate(self.nodes)}
        last_use = {n: max((position[u] for u in n.users), default=position[n]) for n in self.dependent}
        out: list[fx.Node] = []
        for node in self.nodes:
            if node not in self.dependent or node.op in ("placeholder", "output"):
                continue
            here = position[node]
            if all(m is node or position[m] > here or last_use[m] <= here for m in self.dependent):
                out.append(node)
        return out

    def linearize(self, cut: fx.Node, score: Callable[[torch.Tensor], torch.Tensor]) -> None:
        """Prepare first-order estimates past ``cut``: the gradient of ``score(output)`` (a
        function of the 1×K output returning one value) with respect to ``cut``'s activation at the
        unoccluded image. :meth:`run` with ``stop=cut`` then returns ``⟨gradient, change of the cut
        activation⟩`` per patch instead of running the rest of the network."""
        position = {n: i for i, n in enumerate(self.nodes)}
        with torch.enable_grad():
            leaf = self.cache[cut].detach().clone().requires_grad_(True)
            values: dict[fx.Node, Any] = {cut: leaf}
            for node in self.nodes[position[cut] + 1 :]:
                if node.op == "output":
                    break
                if node not in self.dependent:
                    continue
                args = fx.node.map_arg(node.args, lambda n: values.get(n, self.cache[n]))
                kwargs = fx.node.map_arg(node.kwargs, lambda n: values.get(n, self.cache[n]))
                values[node] = self._call(node, args, kwargs, copy=True)
            (gradient,) = torch.autograd.grad(score(values[self.output_node]).sum(), leaf)
        self._cut, self._gradient = cut, gradient.detach()
        if gradient.dim() == 4:
            self._gradient_pixels = self._gradient[0].permute(1, 2, 0).reshape(-1, gradient.shape[1]).contiguous()
            cached = self.cache[cut][0].permute(1, 2, 0).reshape(-1, gradient.shape[1])
            self._base_dot = (cached * self._gradient_pixels).sum(1)

    def _linear_change(self, node: fx.Node, state: Any, batch: int) -> torch.Tensor:
        """⟨gradient, activation − cached activation⟩ at the linearised cut, per patch."""
        gradient, cached = self._gradient, self.cache[node]
        if node is not self._cut:
            raise ValueError("linearize(cut) first: the engine is linearised at another node")
        assert gradient is not None  # set with ``_cut``
        if isinstance(state, Same):
            return torch.zeros(batch, device=cached.device)
        if isinstance(state, Full):
            return ((state.value - cached) * gradient).flatten(1).sum(1)
        h, w = state.values.shape[-2:]
        rows = state.starts[:, :1] + torch.arange(h, device=state.starts.device)  # B×h
        cols = state.starts[:, 1:] + torch.arange(w, device=state.starts.device)  # B×w
        index = (rows[:, :, None] * cached.shape[-1] + cols[:, None, :]).reshape(-1)
        # pixels as rows (channels last): one gather of the gradient, and of ⟨gradient, cache⟩
        g = self._gradient_pixels[index].view(batch, h * w, -1)
        base = self._base_dot[index].view(batch, h * w).sum(1)
        changed = pixel_rows(state.values).view(batch, h * w, -1)
        return (changed * g).sum((1, 2)) - base
