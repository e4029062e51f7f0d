"""How occlusion evaluates a batch of occluded copies: the :class:`Evaluator` protocol and its two
implementations, plain batched forwards and incremental inference
(:mod:`nbviz.attribution.incremental`), which also linearises the network past a cut for
approximate mode. Both run the shadow model the caller's guard hands out."""

from __future__ import annotations

import logging
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch
from torch import fx, nn

from nbviz._batch_size import BatchSizeChooser
from nbviz._guard import ModelGuard
from nbviz.attribution import _occlusion_grid as grid
from nbviz.attribution.incremental import IncrementalEngine
from nbviz.attribution.targets import Target

__all__ = ["MEMORY_BUDGET", "Evaluator", "IncrementalEvaluator", "PlainEvaluator", "make_evaluator", "target_score"]

# the messages belong to the occlusion feature: one logger for all of its parts
log = logging.getLogger("nbviz.attribution.occlusion")

MEMORY_BUDGET = 256 * 2**20  # bytes of activations one batch of occluded copies may use
# glibc serves an allocation above its mmap threshold with fresh pages, faulted in on first touch and
# returned on free; the threshold adapts to freed sizes up to 32 MiB on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX).
# A node's input and output together stay under it at 16 MiB each: the chunk size timed first
REUSED_ALLOCATION = 16 * 2**20
TAIL_RECHECK = 8  # once settled, a neighbouring chunk size is timed again after every 8 chunks


def target_score(target: Target, output: torch.Tensor) -> torch.Tensor:
    """Softmax probability of the target class per row of ``output`` (or the callable target's value).

    Parameters
    ----------
    target : Target
        The resolved target (:func:`nbviz.attribution.targets.resolve_target`).
    output : torch.Tensor
        B×K class scores.

    Returns
    -------
    torch.Tensor
        (B,) scores.
    """
    if target.fn is not None:
        return target.scores(output)
    probs = torch.softmax(output.reshape(output.shape[0], -1).float(), dim=1)
    return target.scores(probs, owners=torch.zeros(output.shape[0], dtype=torch.long))


@runtime_checkable
class Evaluator(Protocol):
    """Scores occluded copies of one image: ``evaluator(ys, xs)`` → the model's output for the
    window at each (y, x) top-left corner, one row per corner."""

    mode: str  # what the result reports: "plain", "exact" or "approximate"
    base_output: torch.Tensor  # the model's output for the unoccluded image (1×K)

    def batch_size(self) -> int:
        """How many windows one call may take within :data:`MEMORY_BUDGET` (after at least one call:
        the incremental evaluator measures what a window costs)."""
        ...

    def __call__(self, ys: torch.Tensor, xs: torch.Tensor) -> torch.Tensor:
        """The model's output for each window (B×K)."""
        ...


class PlainEvaluator:
    """Forwards of full occluded copies (what Captum's ``Occlusion`` does).

    Parameters
    ----------
    model : torch.nn.Module
        The guard's shadow model.
    x : torch.Tensor
        The image, 1×C×H×W.
    baseline : torch.Tensor
        What a window is replaced by, broadcastable to ``x``.
    window : tuple of int
        (height, width) of the window.
    guard : ModelGuard
        The guard of ``model``; its hooks measure the largest activation.
    output : torch.Tensor or None, default None
        The unoccluded output when already known (otherwise computed here).
    """

    mode = "plain"

    def __init__(
        self, model: nn.Module, x: torch.Tensor, baseline: torch.Tensor, window: tuple[int, int], guard: ModelGuard,
        output: torch.Tensor | None = None,
    ) -> None:
        self.model, self.x, self.baseline, self.window = model, x, baseline, window
        largest = [x.numel()]

        def hook(module: nn.Module, inputs: Any, out: Any) -> None:
            if isinstance(out, torch.Tensor):
                largest[0] = max(largest[0], out.numel())

        handles = [guard.forward_hook(m, hook) for m in model.modules() if not list(m.children())]
        try:
            self.base_output = output if output is not None else model(x)  # measures activation sizes too
        finally:
            for handle in handles:
                handle.remove()
        self._batch = int(np.clip(MEMORY_BUDGET // (3 * x.element_size() * largest[0]), 1, 64))

    def batch_size(self) -> int:
        """Copies per forward: three times the largest activation per copy fits the budget (1 … 64)."""
        return self._batch

    def __call__(self, ys: torch.Tensor, xs: torch.Tensor) -> torch.Tensor:
        return self.model(grid.occluded_batch(self.x, self.baseline, ys, xs, self.window))


class IncrementalEvaluator:
    """Incremental inference: only the changed boxes travel through the network.

    Once the windows per call are known (:meth:`batch_size`, ``"auto"`` only), the whole-tensor tail
    of each call runs in chunks whose size is chosen by timing (:meth:`tail_chooser`).

    Parameters
    ----------
    engine : IncrementalEngine
        The engine traced on the shadow model, with the unoccluded activations cached.
    x : torch.Tensor
        The image, 1×C×H×W.
    baseline : torch.Tensor
        What a window is replaced by, broadcastable to ``x``.
    window : tuple of int
        (height, width) of the window.
    mode : str
        ``"exact"`` or ``"approximate"``.
    """

    def __init__(
        self, engine: IncrementalEngine, x: torch.Tensor, baseline: torch.Tensor, window: tuple[int, int], mode: str
    ) -> None:
        self.engine, self.x, self.baseline, self.window, self.mode = engine, x, baseline, window, mode
        self.base_output = engine.base_output
        self.tail: BatchSizeChooser | None = None  # chunks of the whole-tensor tail, set by batch_size()
        self._tail_for: tuple[int | None, int] = (None, 0)  # the tail the chunks are timed for
        self._batch = 0  # windows per call once batch_size() chose them (0: forced by the caller, no chunks)

    def __call__(self, ys: torch.Tensor, xs: torch.Tensor) -> torch.Tensor:
        values, starts = grid.occluded_boxes(self.x, self.baseline, ys, xs, self.window)
        out = self.engine.run(values, starts, tail=self.tail)
        self._retime()
        return out

    def _retime(self) -> None:
        """Start the chunk timing afresh when the tail grew (a batch reached whole tensors earlier than
        the ones before, so its chunks time more of the graph), e.g. after a probe window in a corner."""
        if self._batch and self._tail_for != (self.engine.tail_start, self.engine.tail_bytes_per_patch):
            self.tail = self.tail_chooser(self._batch)

    def batch_size(self) -> int:
        """Windows per call: three times the peak bytes one patch needed fit the budget (1 … 512).

        Also starts timing the tail's chunks (:meth:`tail_chooser`) for calls of that many windows.
        A cap on the windows per call itself, to keep tensors under glibc's mmap threshold (16 MiB each),
        saved resnet18 224² 0.3-0.6 M page faults and ~10 % on a quiet machine (3.5-3.6 s vs 3.7-4.7 s),
        but it cut mobilenet_v2 to batches of 37, whose many small ops ran 3× slower under load 3-4
        (31 s vs 10.5 s at 300): a fixed cap cannot be right for both, so only the tail is chunked, by timing."""
        batch = int(np.clip(MEMORY_BUDGET // (3 * self.engine.peak_bytes_per_patch), 1, 512))
        if batch != self._batch:
            self._batch, self.tail = batch, self.tail_chooser(batch)
        return batch

    def tail_chooser(self, batch: int) -> BatchSizeChooser | None:
        """The chunk size of the whole-tensor tail, timed on the calls themselves (no extra work).

        Candidates: powers of two from 16 below ``batch``, ``batch`` itself, and the largest chunk whose
        biggest whole tensor stays under half of glibc's largest mmap threshold (:data:`REUSED_ALLOCATION`),
        which is timed first. ``None`` (no chunks) when the last call computed no whole tensor.

        Parameters
        ----------
        batch : int
            Windows per call.
        """
        per_patch = self.engine.tail_bytes_per_patch
        self._tail_for = (self.engine.tail_start, per_patch)
        if self.engine.tail_start is None or per_patch <= 0 or batch <= 1:
            return None
        reused = max(1, min(batch, REUSED_ALLOCATION // per_patch))
        chooser = BatchSizeChooser(batch, start=reused, extra=(reused,), smallest=min(16, batch), recheck=TAIL_RECHECK)
        log.debug("occlusion: tail chunks timed among %s, from %d", chooser.candidates, reused)
        return chooser

    def linearize(self, ys: torch.Tensor, xs: torch.Tensor, target: Target, cut_fraction: float) -> fx.Node | None:
        """Choose the cut past which the network is linearised, and take the score's gradient there.

        The windows at ``ys``/``xs`` are run exactly to see how far boxes grow; the cut is the
        deepest node that everything downstream depends on alone and whose box still covers at most
        ``cut_fraction`` of its layer. ``None`` when there is none.

        Parameters
        ----------
        ys, xs : torch.Tensor
            Top-left corners of the probe windows.
        target : Target
            What is scored.
        cut_fraction : float
            Largest share of its layer a cut's box may cover.
        """
        self(ys, xs)
        cuts = [c for c in self.engine.cuts() if self.engine.boxed.get(c, 1.0) <= cut_fraction]
        if not cuts:
            return None
        self.engine.linearize(cuts[-1], lambda out: target_score(target, out))
        return cuts[-1]

    def linear(self, ys: torch.Tensor, xs: torch.Tensor, how: str) -> Any:
        """``how`` ``"stop"``: the linear score change per window; ``"tap"``: (outputs, that change)."""
        values, starts = grid.occluded_boxes(self.x, self.baseline, ys, xs, self.window)
        if how == "stop":
            return self.engine.run(values, starts, stop=self.engine._cut)
        out = self.engine.run(values, starts, tap=self.engine._cut, tail=self.tail)
        self._retime()
        return out


def make_evaluator(
    model: nn.Module, x: torch.Tensor, baseline: torch.Tensor, window: tuple[int, int], mode: str, guard: ModelGuard, *,
    full_fraction: float, box_limit: float | None,
) -> Evaluator:
    """The incremental evaluator for ``mode`` ``"exact"``/``"approximate"``, or plain (for ``"plain"``
    and for models that ``torch.fx`` cannot trace; logged).

    Parameters
    ----------
    model : torch.nn.Module
        The guard's shadow model.
    x : torch.Tensor
        The image, 1×C×H×W.
    baseline : torch.Tensor
        What a window is replaced by, broadcastable to ``x``.
    window : tuple of int
        (height, width) of the window.
    mode : str
        ``"exact"``, ``"approximate"`` or ``"plain"``.
    guard : ModelGuard
        The guard of ``model``.
    full_fraction : float
        Share of a layer past which the engine computes whole tensors.
    box_limit : float or None
        Krypton's projective-field threshold (approximate mode only; ``None`` = off).

    Returns
    -------
    Evaluator
        An :class:`IncrementalEvaluator` or a :class:`PlainEvaluator`.
    """
    if mode != "plain":
        try:
            engine = IncrementalEngine(
                model, x, full_fraction=full_fraction, box_limit=box_limit if mode == "approximate" else None,
            )
            return IncrementalEvaluator(engine, x, baseline, window, mode)
        except Exception as error:  # noqa: BLE001 - any failure to trace means: use plain
            log.info("occlusion: %s; falling back to plain batched occlusion", error)
    return PlainEvaluator(model, x, baseline, window, guard)
