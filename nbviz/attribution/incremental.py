"""Incremental inference for occlusion, after Krypton (Nakandala, Kumar & Papakonstantinou, SIGMOD 2019).

An occluding patch changes only a small box of the input. The engine traces the model with
``torch.fx``, runs the unoccluded image once and caches every node's output. For a batch of patches
it then pushes each patch's *changed box* through the graph:

* window ops (conv/pool) grow the box by the kernel halo and divide it by the stride; the op is run
  only on the input slice that covers the new box (padding applied explicitly, so borders are exact);
* pointwise ops (eval BatchNorm, activations, elementwise arithmetic) keep the union of their
  operands' boxes;
* values outside a box are read from the cache;
* an eval-mode BatchNorm that alone reads a convolution's output is folded into it (one op instead
  of two, on boxes and whole tensors; equal up to float rounding), and an in-place activation whose
  one input nobody else reads runs in place without a defensive copy.

All patches of a batch share one box size per node (boxes are widened and shifted inwards to the
largest in the batch), so every node costs one batched op call. Once a box covers most of its
layer (``full_fraction``), or at an op the engine does not know (flatten, linear, global pooling,
...), the batch is materialised and the rest of the graph runs on whole tensors. That whole-tensor
tail is most of the work (resnet18 224²: layer3–4, 2.7 of 3.7 s, at torch's own FLOP rate), so its 3×3
stride-1 convolutions on the CPU run by Winograd's F(4×4, 3×3) (``_winograd``: 2.25× fewer
multiplications, equal up to float rounding) wherever that is measured faster on the node's own batches.

For approximate occlusion, :meth:`IncrementalEngine.linearize` takes the score's gradient at a
*cut* node (:meth:`IncrementalEngine.cuts`) and ``run(..., stop=cut)`` ends each patch's pass
there, returning the first-order score change ``⟨gradient, Δactivation⟩`` (only the box).

With ``box_limit`` (approximate mode, Krypton's projective-field threshold) a box never grows
beyond that fraction of its layer per axis; changes outside it are dropped.

Beside this module: which ops run on boxes (``_incremental_ops``), the per-node states of a patched
pass (``_incremental_states``), the linearised tail (``_incremental_linear``), the whole-tensor tail
in chunks (``_incremental_chunks``) and its convolutions by Winograd's algorithm (``_winograd``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any, cast

import torch
from torch import fx, nn

from nbviz._fastest import FastestOf
from nbviz._trace import symbolic_trace
from nbviz.attribution._incremental_chunks import ChunkedTail, Chunks, Pass
from nbviz.attribution._incremental_linear import LinearTail
from nbviz.attribution._incremental_ops import Window, classify, conv_window, fold_batchnorm, is_inplace, winograd_conv
from nbviz.attribution._incremental_states import SAME, Boxed, Full, Same, pixel_rows, state_bytes

__all__ = ["Chunks", "IncrementalEngine", "UnsupportedModel"]

log = logging.getLogger(__name__)

TIMED_BATCH = 16
"""Whole-tensor batches from this many patches on time the convolution algorithms against each other
(:meth:`IncrementalEngine._whole_window`); smaller ones (a probe window, a last few) run torch's own, whose
fixed cost per call would dominate a per-patch timing."""


class UnsupportedModel(RuntimeError):
    """The model cannot run incrementally (not traceable, or not an image classifier)."""


def _floor_div(a: torch.Tensor, b: int) -> torch.Tensor:
    return torch.div(a, b, rounding_mode="floor")


class IncrementalEngine(LinearTail, ChunkedTail):
    """Evaluate many locally patched copies of one image, reusing the unoccluded activations.

    ``engine.base_output`` is the model's output on the unpatched image (1×K). ``engine.run(values,
    starts)`` returns the outputs (B×K) for B copies where the box of size ``values.shape[-2:]`` at
    ``starts[b]`` (row, column) holds ``values[b]``.
    """

    def __init__(
        self,
        model: nn.Module,
        x: torch.Tensor,
        *,
        full_fraction: float = 0.5,
        box_limit: float | None = None,
    ) -> None:
        if x.dim() != 4 or x.shape[0] != 1:
            raise ValueError(f"x: expected a 1×C×H×W tensor, got shape {tuple(x.shape)}")
        try:
            self.graph_module = symbolic_trace(model)  # thread-safe: the notebook may run the model meanwhile
        except Exception as error:  # any tracing failure means "not traceable"
            raise UnsupportedModel(f"torch.fx could not trace {type(model).__name__}: {error}") from error
        self.nodes = list(self.graph_module.graph.nodes)
        placeholders = [n for n in self.nodes if n.op == "placeholder"]
        if len(placeholders) != 1:
            raise UnsupportedModel(f"expected a forward(x) with one input, found {len(placeholders)}")
        self.full_fraction = full_fraction
        self.box_limit = box_limit
        self.modules = dict(self.graph_module.named_modules())
        self.cache: dict[fx.Node, Any] = {}
        self.dependent: set[fx.Node] = set()
        self.folded: dict[fx.Node, nn.Module] = {}  # conv node → its BatchNorm folded in (_fold)
        self.aliases: set[fx.Node] = set()  # BatchNorm nodes folded into their conv: pass the conv's value on
        with torch.no_grad():
            self._run_cache(placeholders[0], x)
        self.plan = {
            n: classify(n, self.modules.get(n.target) if n.op == "call_module" else None, self.cache, self.dependent)
            if n in self.dependent and n.op not in ("placeholder", "output")
            else ("full", None)
            for n in self.nodes
        }
        self._fold()
        self.users = {n: len(n.users) for n in self.nodes}
        self._padded: dict[tuple, torch.Tensor] = {}
        self._whole_windows: dict[fx.Node, Callable[[torch.Tensor], torch.Tensor]] = {}  # see _whole_window
        self.peak_bytes_per_patch = 0  # the largest tensor one patch needed in the last full run (states, reads, copies)
        self._largest, self._peak, self._tail_peak = 0, 0, 0
        # the earliest node any full run computed on whole tensors, and the largest of those tensors per patch
        # (a batch's boxes are its largest, so the batch decides where the whole tensors start)
        self.tail_start: int | None = None
        self.tail_bytes_per_patch = 0
        self._first_full: int | None = None
        self.boxed: dict[fx.Node, float] = {}  # nodes computed on boxes in the last full run: box area / layer area
        self._cut: fx.Node | None = None
        self._gradient: torch.Tensor | None = None
        local = sum(1 for n in self.dependent if self.plan[n][0] != "full")
        log.debug("incremental engine: %d of %d input-dependent nodes run on boxes", local, len(self.dependent))

    # -- the unoccluded pass ------------------------------------------------------------------
    def _run_cache(self, placeholder: fx.Node, x: torch.Tensor) -> None:
        for node in self.nodes:
            if node.op == "placeholder":
                self.cache[node] = x.contiguous(memory_format=torch.channels_last)
                self.dependent.add(node)
                continue
            if node.op == "output":
                out = node.args[0]
                value = self.cache[out] if isinstance(out, fx.Node) else None
                if not isinstance(out, fx.Node) or not isinstance(value, torch.Tensor) or value.dim() != 2 or value.shape[0] != 1:
                    raise UnsupportedModel("the traced output is not a 1×K tensor of class scores")
                self.output_node = out
                self.base_output = value
                continue
            inputs = node.all_input_nodes
            if any(i in self.dependent for i in inputs):
                self.dependent.add(node)
            args = fx.node.map_arg(node.args, lambda n: self.cache[n])
            kwargs = fx.node.map_arg(node.kwargs, lambda n: self.cache[n])
            self.cache[node] = self._call(node, args, kwargs, copy=True)

    def _fold(self) -> None:
        """Fold each eval-mode BatchNorm into the convolution before it (one op instead of two, on
        boxes and on whole tensors). The conv node then stands for the BatchNorm's output: its cache
        becomes the BatchNorm's, and the BatchNorm node passes the conv's value on (an alias)."""
        for node in self.nodes:
            if node not in self.dependent or self.plan[node][0] != "pointwise" or node.op != "call_module":
                continue
            folded = fold_batchnorm(node, self.modules.get(cast(str, node.target)), self.modules)
            conv = cast(fx.Node, node.args[0]) if folded is not None else None
            if folded is None or conv is None or self.plan[conv][0] != "window":
                continue
            spec = conv_window(cast(Any, folded))
            if spec is None:
                continue
            self.folded[conv], self.plan[conv], self.plan[node] = folded, ("window", spec), ("alias", None)
            self.aliases.add(node)
            self.cache[conv] = self.cache[node]

    def _call(self, node: fx.Node, args: Any, kwargs: Any, *, copy: bool) -> Any:
        if node in self.aliases:
            return args[0]
        module = self.folded.get(node, self.modules.get(cast(str, node.target)) if node.op == "call_module" else None)
        if copy and is_inplace(node, module):
            args = tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)
        if node.op == "call_module":
            return cast(nn.Module, module)(*args, **kwargs)
        if node.op == "call_function":
            return cast(Callable[..., Any], node.target)(*args, **kwargs)
        if node.op == "call_method":
            self_arg, *rest = args
            return getattr(self_arg, cast(str, node.target))(*rest, **kwargs)
        if node.op == "get_attr":
            value: Any = self.graph_module
            for part in str(node.target).split("."):
                value = getattr(value, part)
            return value
        raise UnsupportedModel(f"unknown fx node kind {node.op!r}")

    # -- batched patched passes ---------------------------------------------------------------
    @torch.no_grad()
    def run(
        self, values: torch.Tensor, starts: torch.Tensor, *, stop: fx.Node | None = None, tap: fx.Node | None = None,
        tail: Chunks | None = None,
    ) -> Any:
        """Outputs (B×K) for B copies of the image with ``values[b]`` (C×h×w) pasted at ``starts[b]``.

        With ``stop`` (a node of :meth:`cuts`) the pass ends there and returns the linear estimate
        of the score change (B,) from :meth:`linearize`; with ``tap`` it returns ``(outputs, that
        estimate)``. Both need :meth:`linearize` first. With ``tail``, the graph from the node where
        the previous pass first computed whole tensors on runs in chunks of ``tail.size`` patches, each
        chunk timed and recorded (:meth:`_chunked`)."""
        starts = starts.to(device=values.device, dtype=torch.long)
        self._peak, self._largest, self._first_full, self._tail_peak = 0, 0, None, 0
        placeholder = next(n for n in self.nodes if n.op == "placeholder")
        boxed: dict[fx.Node, float] = {}
        out = self._pass(
            1 + self.nodes.index(placeholder), {placeholder: Boxed(values, starts)}, dict(self.users),
            values.shape[0], Pass(stop, tap, None, boxed, tail),
        )
        if stop is None:
            self.peak_bytes_per_patch, self.boxed = max(self._peak, self._largest, 1), boxed
            if self._first_full is not None:  # the earliest whole-tensor node and the largest of them so far
                self.tail_start = self._first_full if self.tail_start is None else min(self.tail_start, self._first_full)
                self.tail_bytes_per_patch = max(self.tail_bytes_per_patch, self._tail_peak)
        return out

    def _pass(self, first: int, states: dict[fx.Node, Any], remaining: dict[fx.Node, int], batch: int, how: Pass) -> Any:
        """The patched pass from node ``first`` on (``states`` hold the live values before it)."""
        for index in range(first, len(self.nodes)):
            node = self.nodes[index]
            if index == self.tail_start and how.tail is not None and batch > 1:
                return self._chunked(index, states, remaining, batch, how)
            if node.op == "output":
                out = self._materialise(self.output_node, states[self.output_node], batch)
                return out if how.tap is None else (out, how.tapped)
            if node not in self.dependent:
                continue
            kind, spec = self.plan[node]
            if kind == "window":
                state = self._window(node, cast(Window, spec), states[cast(fx.Node, node.args[0])], batch)
            elif kind == "pointwise":
                state = self._pointwise(node, states, batch)
            elif kind == "alias":
                state = states[cast(fx.Node, node.args[0])]
            else:
                state = self._full(node, states, batch)
            states[node] = state
            self._peak = max(self._peak, state_bytes(state) // batch)
            if isinstance(state, Boxed):
                how.boxed[node] = state.values.shape[-2] * state.values.shape[-1] / math.prod(self.cache[node].shape[-2:])
            elif isinstance(state, Full):
                self._first_full = index if self._first_full is None else self._first_full
                self._tail_peak = max(self._tail_peak, state_bytes(state) // batch)
            if node is how.stop or node is how.tap:
                how.tapped = self._linear_change(node, state, batch)
                if node is how.stop:
                    return how.tapped
            for parent in node.all_input_nodes:  # free what no later node reads
                remaining[parent] -= 1
                if remaining[parent] == 0 and parent is not self.output_node:
                    states.pop(parent, None)
        raise UnsupportedModel("the traced graph has no output")

    # box arithmetic ---------------------------------------------------------------------------
    def _fit(self, lo: torch.Tensor, hi: torch.Tensor, limit: int) -> tuple[torch.Tensor, int]:
        """One box length for the batch (the largest, capped in approximate mode), starts shifted
        inside ``[0, limit)``. ``lo``/``hi`` are per-patch bounds along one axis."""
        size = int((hi - lo).max().clamp(min=0))
        if size == 0:
            return lo, 0
        if self.box_limit is not None:
            cap = max(1, math.ceil(self.box_limit * limit))
            if size > cap:
                lo = _floor_div(lo + hi - cap, 2)  # centre the capped box on the changed one
                size = cap
        size = min(size, limit)
        return lo.clamp(min=0).minimum(torch.full_like(lo, limit - size)), size

    def _go_full(self, h: int, w: int, height: int, width: int) -> bool:
        return self.box_limit is None and h * w >= self.full_fraction * height * width

    def _window(self, node: fx.Node, spec: Window, state: Any, batch: int) -> Any:
        source = cast(fx.Node, node.args[0])  # a window op's one input
        if isinstance(state, Same):
            return SAME
        if isinstance(state, Full):
            return Full(self._whole_window(node, spec, state.value))
        _, _, height, width = self.cache[node].shape
        pt, _, pl, _ = spec.pad
        (kh, kw), (sh, sw), (dh, dw) = spec.kernel, spec.stride, spec.dilation
        bh, bw = state.values.shape[-2:]
        y0, x0 = state.starts[:, 0], state.starts[:, 1]
        lo_y = -_floor_div(-(y0 + pt - (kh - 1) * dh), sh)
        hi_y = _floor_div(y0 + bh - 1 + pt, sh) + 1
        lo_x = -_floor_div(-(x0 + pl - (kw - 1) * dw), sw)
        hi_x = _floor_div(x0 + bw - 1 + pl, sw) + 1
        oy, h = self._fit(lo_y.clamp(min=0), hi_y.clamp(max=height), height)
        ox, w = self._fit(lo_x.clamp(min=0), hi_x.clamp(max=width), width)
        if h == 0 or w == 0:
            return SAME
        if self._go_full(h, w, height, width):
            return Full(self._whole_window(node, spec, self._materialise(source, state, batch)))
        in_h, in_w = (h - 1) * sh + (kh - 1) * dh + 1, (w - 1) * sw + (kw - 1) * dw + 1
        region = self._read(source, state, torch.stack([oy * sh, ox * sw], 1), (in_h, in_w), spec, node)
        return Boxed(spec.fn(region), torch.stack([oy, ox], 1))

    def _whole_window(self, node: fx.Node, spec: Window, x: torch.Tensor) -> torch.Tensor:
        """A window op on a whole batch (window ops never write into their input). A 3×3 stride-1
        convolution on the CPU runs by whichever of torch's direct convolution and Winograd's F(4×4, 3×3)
        (:mod:`._winograd`; 2.25× fewer multiplications) is measured faster on this node's batches
        (:class:`~nbviz._fastest.FastestOf`): the whole-tensor tail is most of exact occlusion's time."""
        run = self._whole_windows.get(node)
        if run is None:
            module = cast(nn.Module, self.folded.get(node, self.modules.get(cast(str, node.target))))
            fast = winograd_conv(module, spec) if x.device.type == "cpu" else None
            run = module if fast is None else FastestOf[torch.Tensor]([module, fast], items=lambda v: v.shape[0], min_items=TIMED_BATCH)
            self._whole_windows[node] = run
        return run(x)

    def _pointwise(self, node: fx.Node, states: dict[fx.Node, Any], batch: int) -> Any:
        operands = [n for n in node.all_input_nodes if n in self.dependent]
        kinds = [states[n] for n in operands]
        if any(isinstance(s, Full) for s in kinds):
            return self._full(node, states, batch)
        boxed = [s for s in kinds if isinstance(s, Boxed)]
        if not boxed:
            return SAME
        _, _, height, width = self.cache[node].shape
        lo = torch.stack([s.starts for s in boxed]).amin(0)
        hi = torch.stack([s.starts + torch.tensor(s.values.shape[-2:], device=s.starts.device) for s in boxed]).amax(0)
        oy, h = self._fit(lo[:, 0], hi[:, 0], height)
        ox, w = self._fit(lo[:, 1], hi[:, 1], width)
        if self._go_full(h, w, height, width):
            return self._full(node, states, batch)
        starts = torch.stack([oy, ox], 1)

        def value(n: fx.Node) -> Any:
            if n in self.dependent:
                return self._read(n, states[n], starts, (h, w), None, node)
            cached = self.cache[n]
            if isinstance(cached, torch.Tensor) and cached.dim() == 4 and cached.shape[-2:] != (1, 1):
                return self._read(n, SAME, starts, (h, w), None, node)
            return cached

        args = fx.node.map_arg(node.args, value)
        kwargs = fx.node.map_arg(node.kwargs, value)
        return Boxed(self._call(node, args, kwargs, copy=self._shared(node, states)), starts)

    def _full(self, node: fx.Node, states: dict[fx.Node, Any], batch: int) -> Any:
        parents = [n for n in node.all_input_nodes if n in self.dependent]
        if all(isinstance(states[n], Same) for n in parents):
            return SAME

        def value(n: fx.Node) -> Any:
            return self._materialise(n, states[n], batch) if n in self.dependent else self.cache[n]

        args = fx.node.map_arg(node.args, value)
        kwargs = fx.node.map_arg(node.kwargs, value)
        return Full(self._call(node, args, kwargs, copy=self._shared(node, states)))

    def _shared(self, node: fx.Node, states: dict[fx.Node, Any]) -> bool:
        """Whether an in-place op at ``node`` must copy its input first: unless its one input is a
        batched value (boxes or whole tensors, never the cache) that no other node reads."""
        inputs = node.all_input_nodes
        if len(inputs) != 1 or inputs[0] not in self.dependent or self.users[inputs[0]] != 1:
            return True
        return inputs[0] is self.output_node or not isinstance(states.get(inputs[0]), (Boxed, Full))

    # reading and materialising ----------------------------------------------------------------
    def _padded_source(self, node: fx.Node, pad: tuple[int, int, int, int], pad_value: float) -> torch.Tensor:
        key = (node, pad, pad_value)
        source = self._padded.get(key)
        if source is None:
            cached = self.cache[node][0]
            pt, pb, pl, pr = pad
            if any(pad):
                cached = torch.nn.functional.pad(cached, (pl, pr, pt, pb), value=pad_value)
            self._padded[key] = source = cached.permute(1, 2, 0).reshape(-1, cached.shape[0]).contiguous()
        return source

    def _read(
        self, node: fx.Node, state: Any, starts: torch.Tensor, size: tuple[int, int], spec: Window | None, user: fx.Node
    ) -> torch.Tensor:
        """Values of ``node`` over a box per patch (B×C×h×w). ``starts`` are in the coordinates of
        the input padded as ``spec`` says (unpadded when ``spec`` is None)."""
        h, w = size
        channels, height, width = self.cache[node].shape[1:]
        pt, pb, pl, pr = spec.pad if spec is not None else (0, 0, 0, 0)
        if spec is not None:  # extra bottom/right padding for ceil-mode pools
            _, _, out_h, out_w = self.cache[user].shape
            pb = max(pb, (out_h - 1) * spec.stride[0] + (spec.kernel[0] - 1) * spec.dilation[0] + 1 - height - pt)
            pr = max(pr, (out_w - 1) * spec.stride[1] + (spec.kernel[1] - 1) * spec.dilation[1] + 1 - width - pl)
        if (
            isinstance(state, Boxed)
            and not (pt or pl)
            and state.values.shape[-2:] == (h, w)
            and torch.equal(state.starts, starts)
        ):
            return state.values
        source = self._padded_source(node, (pt, pb, pl, pr), spec.pad_value if spec is not None else 0.0)
        batch = starts.shape[0]
        rows = starts[:, :1] + torch.arange(h, device=starts.device)  # B×h, padded coordinates
        cols = starts[:, 1:] + torch.arange(w, device=starts.device)
        index = (rows[:, :, None] * (width + pl + pr) + cols[:, None, :]).reshape(-1)
        out = source.index_select(0, index)  # (B·h·w)×C: pixels are rows, so the result is channels-last
        self._largest = max(self._largest, out.numel() * out.element_size() // batch)
        if isinstance(state, Boxed):
            values = state.values
            bh, bw = values.shape[-2:]
            dy = state.starts[:, 0] + pt - starts[:, 0]
            dx = state.starts[:, 1] + pl - starts[:, 1]
            oy, ox = int(dy[0]), int(dx[0])
            if bool((dy == oy).all() and (dx == ox).all()) and 0 <= oy <= h - bh and 0 <= ox <= w - bw:
                # the usual case: every patch's box sits at the same offset inside its region
                out = out.view(batch, h, w, channels)
                out[:, oy : oy + bh, ox : ox + bw] = values.permute(0, 2, 3, 1)
                return out.permute(0, 3, 1, 2)
            # boxes at different offsets (shifted inwards at the borders): each box pixel's row in ``out``
            # (one scatter of the box, not a gather of box-sized and region-sized values and a select)
            r = dy[:, None] + torch.arange(bh, device=starts.device)  # B×bh, region rows
            c = dx[:, None] + torch.arange(bw, device=starts.device)
            dest = (torch.arange(batch, device=starts.device)[:, None, None] * (h * w) + r[:, :, None] * w + c[:, None, :]).reshape(-1)
            box = pixel_rows(values)
            if not bool((r >= 0).all() and (r < h).all() and (c >= 0).all() and (c < w).all()):
                inside = (((r >= 0) & (r < h))[:, :, None] & ((c >= 0) & (c < w))[:, None, :]).reshape(-1)
                dest, box = dest[inside], box[inside]
            out.index_copy_(0, dest, box)
        return out.view(batch, h, w, channels).permute(0, 3, 1, 2)

    def _materialise(self, node: fx.Node, state: Any, batch: int) -> Any:
        cached = self.cache[node]
        if isinstance(state, Full):
            return state.value
        if isinstance(state, Same):
            if isinstance(cached, torch.Tensor) and cached.dim() > 0 and cached.shape[0] == 1:
                return cached.expand(batch, *cached.shape[1:])
            return cached
        channels, height, width = cached.shape[1:]
        h, w = state.values.shape[-2:]
        full = cached.expand(batch, -1, -1, -1).clone(memory_format=torch.channels_last)
        self._largest = max(self._largest, cached.numel() * cached.element_size())
        rows = state.starts[:, :1] + torch.arange(h, device=state.starts.device)
        cols = state.starts[:, 1:] + torch.arange(w, device=state.starts.device)
        index = (rows[:, :, None] * width + cols[:, None, :]).reshape(batch, h * w, 1).expand(-1, -1, channels)
        pixels = full.permute(0, 2, 3, 1).view(batch, height * width, channels)
        pixels.scatter_(1, index, pixel_rows(state.values).view(batch, h * w, channels))
        return full
