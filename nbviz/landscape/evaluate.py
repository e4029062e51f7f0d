"""The grid evaluation engine: the loss (and accuracy) of a model at many points of parameter space.

How it runs (chosen by measurement, see ``benchmarks/landscape.py``):

- no weight is ever written: each point is a dict of parameter tensors passed to
  ``torch.func.functional_call``; the model stays in eval mode, so BatchNorm uses the trained running
  statistics (the default; ``recompute_bn`` re-estimates them per point, see :class:`Evaluator`);
- data held in memory (an ``(inputs, targets)`` pair, or a generator's batches, read once) is checked
  and laid out once, then the points run one after another, each one pass over all of it. The data
  batch size is chosen by timing those passes (:class:`nbviz._batch_size.BatchSizeChooser`: powers of
  two and the whole set, within an activation-memory budget; every timed pass is a real point of the
  result), unless ``batch_size`` forces one. No size suits every model (see :mod:`nbviz._batch_size`).
  A point's parameters are swapped in once per pass (one ``functional_call`` of a wrapper looping
  over the batches), not once per batch. The chooser keeps rechecking a neighbour of its size every
  ``RECHECK`` points, so trials disturbed by a burst of load do not fix a slow size for good;
- a plane (:class:`~nbviz.landscape.points.PlanePoints`) on in-memory data runs through a traced copy
  of the model rewritten once per plane (:mod:`nbviz.landscape.graph`): BatchNorms folded into the
  convolutions before them, activations in place; exact up to float rounding, skipped with
  ``recompute_bn`` or when fx cannot trace the model;
- a DataLoader (or Dataset) keeps its own batches; points are evaluated in groups whose parameter
  copies fit ``memory_budget`` bytes, the data is streamed once per group and every batch goes through
  each point of the group before the next batch is read, so the loader is iterated
  ``ceil(points / group)`` times, not once per point;
- the loss of a point is the batch-size-weighted mean of ``loss_fn(outputs, targets)`` over batches,
  accumulated in float64, so it does not depend on the batch size beyond float rounding of the
  forwards (tested); accuracy is reported when outputs are N×C logits and targets class indices;
- ``progress`` is told after every (batch, point) forward and may cancel (``Cancelled``) or raise.

- convolutional models run channels-last (NHWC): 4-D parameters and 4-D input batches are laid out
  channels-last, which the CPU (oneDNN) conv and max-pool kernels handle 2–15× faster than NCHW on
  small images (digits CNN: 16 vs 37 ms CPU per full-data point on one thread). Same values up to
  float rounding (~1e-6 relative). 51×51 full-data plane of the zoo digits CNN, 2 threads, quiet
  machine: 51.0 s (19.6 ms per point; 79.6 s before, in NCHW); ``benchmarks/landscape.py --only-51``.
  Re-measured on torchvision resnet18 at 32×32 (the case where NHWC was suspected to lose), 2 threads,
  load ~2, medians of 5 passes: NHWC 168–177 ms CPU a pass against NCHW 200–227 ms (folded: 159 vs
  190 ms); the small BatchNorm CNN 29 vs 58 ms. So the layout stays a rule, not a trial.

Models nbviz was not tuned on (``benchmarks/landscape.py``: a small BatchNorm CNN on 1,797 digits, an
MLP 30→256→256→2 on 11,380 tabular rows, torchvision resnet18 on 256 32×32 images). Before the plane
graph, 21×21 on a quiet machine (load ~1, 2 threads, CPU time, medians of 3): resnet18 1.113× the best
plain loop and 1.012× loss-landscapes, the MLP 1.091× / 1.067×, the CNN 0.48× / 0.53×; earlier still,
building resnet18's points fresh had cost 50–80 ms CPU a point (now :mod:`nbviz.landscape.points`).
The "~30 ms a resnet18 point not accounted for" (9×9: 200 ms a point against 146–163 ms timed passes)
is set-up spread over few points, plus load: a 7×7 cProfile (load ~1.5) gives per point 78 ms wall of
forwards, 5.7 ms of point writing (row + α·d1 over 11M weights) and 12–18 ms of per-plane set-up
(directions, trace and layout, the warm-up point, batch-size trials), ~2 ms a point at 21×21.

With the plane graph (BatchNorm folding, in-place activations, Linear outputs into reused buffers)
and batch-size rechecks, 21×21, 2 threads, CPU time, medians of 3 rounds, shared machine (load
1.2–2.8, other engineers' jobs running), each round in brackets: resnet18 0.939× the best plain loop
(0.95, 0.93, 0.94) and 0.893× loss-landscapes (0.54, 0.91, 0.89); the CNN 0.486× (0.56, 0.48, 0.46)
and 0.529× (0.61, 0.54, 0.49); the MLP, 5 rounds, 1.000× (1.49, 1.01, 1.00, 1.01, 1.06) and 0.693×
(1.07, 0.67, 0.47, 0.68, 0.74). The MLP's first round is slow in every benchmark run (1.44, 2.50,
1.49), not reproduced by three planes in a row alone in a process (0.99, 0.97, 0.91× a 1,024-row plain
loop): open. Its timed passes run 6.2–7.0 ms against the plain loop's 6.6 ms best single pass, so it
sits level with the plain loop, not ahead; the 1.10 target holds in 4 of 5 rounds. Alone on a quiet
machine (58f36ac, 5 rounds) it held in all: 0.985× (0.95–1.02) and 0.682× loss-landscapes (0.66–0.71),
so the slow first rounds came with the other jobs' load.

Measured (NCHW, before the channels-last layout) on the 97k-parameter digits CNN, 1,797 digits, 2 CPU
threads: functional_call 53.8 ms per point, in-place weight writes 55.5 ms, ``torch.vmap`` over
stacked parameter sets 155.8 ms (2.9× slower), so vmap is not used.

Length: ~500 lines, above the house's ~400, for a stated reason: :class:`Evaluator` and the
:class:`DataSource` it reads stay together, because the batch-size measurement, the one-time layout
of in-memory data and BatchNorm re-estimation all depend on how the data was read.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import torch
from torch import nn
from torch.func import functional_call

from .._batch_size import DEFAULT_ACTIVATION_BUDGET, ActivationMeter, BatchSizeChooser, trial_clock
from .._data import count_items, iter_pairs
from .._inputs import model_input
from .._progress import Progress, report
from .graph import plane_graph
from .params import Params
from .points import PlanePoints

__all__ = [
    "DEFAULT_ACTIVATION_BUDGET", "DEFAULT_BATCH_SIZE", "DEFAULT_MEMORY_BUDGET", "DataSource", "Evaluator", "Points", "StateAt",
    "subset",
]

log = logging.getLogger(__name__)

StateAt = Callable[[int], Params]
Points = Sequence[int] | npt.NDArray[np.integer[Any]]  # point indices: a range, a list or an integer array
DEFAULT_BATCH_SIZE: int | None = None  # None: measured on in-memory data (see BatchSizeChooser)
STREAM_BATCH_SIZE = 256  # batches cut from a Dataset, and for BatchNorm statistics (their values depend on it)
DEFAULT_MEMORY_BUDGET = 256 * 2**20  # bytes of parameter copies held at once
RECHECK = 32  # points at the chosen batch size between two re-timings of a neighbour size (see _batch_size)


def _is_pair(data: Any) -> bool:
    return (
        isinstance(data, tuple)
        and len(data) == 2
        and isinstance(data[0], (torch.Tensor, np.ndarray))
        and isinstance(data[1], (torch.Tensor, np.ndarray, list))
    )


class DataSource:
    """Re-iterable ``(inputs, targets)`` batches on a device, from a tensor pair or an iterable of pairs.

    A one-shot iterator (a generator) is read once and kept in memory (as one pair when its batches
    concatenate) so it can be streamed again. ``batch_size=None``: in-memory data is batched at a
    measured size (see :class:`Evaluator`); batches cut from a Dataset are ``STREAM_BATCH_SIZE``.
    """

    def __init__(self, data: Any, batch_size: int | None, device: torch.device, *, argument: str = "data") -> None:
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(f"batch_size: expected a positive integer or None (measured), got {batch_size!r}")
        if isinstance(data, (torch.Tensor, np.ndarray)):
            raise TypeError(f"{argument}: expected an (inputs, targets) pair or an iterable of pairs, got inputs only")
        self.batch_size, self.device, self.argument = batch_size, device, argument
        if not _is_pair(data) and iter(data) is data:  # a generator: keep its batches
            data = list(iter_pairs(data, self.read_size, argument=argument))
            data = _concatenated(data) or data
        self.data = data

    @property
    def read_size(self) -> int:
        """Batch size used when batches are cut for streaming (the forced size, else ``STREAM_BATCH_SIZE``)."""
        return self.batch_size if self.batch_size is not None else STREAM_BATCH_SIZE

    def in_memory(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """All data as one ``(inputs, targets)`` pair of tensors on the device, when it is held in memory."""
        if not _is_pair(self.data):
            return None
        x, y = next(iter_pairs(self.data, max(1, len(self.data[0])), argument=self.argument))
        return x.to(self.device), y.to(self.device)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        empty = True
        for x, y in iter_pairs(self.data, self.read_size, argument=self.argument):
            empty = False
            yield x.to(self.device), y.to(self.device)
        if empty:
            raise ValueError(f"{self.argument}: no batches")

    def known_count(self) -> int | None:
        """Number of samples when the data can tell without being read (a pair or a DataLoader)."""
        if _is_pair(self.data) or isinstance(self.data, torch.utils.data.DataLoader):
            return count_items(self.data)
        return None

    def count(self) -> int:
        """Number of samples (reads the data once when it cannot tell)."""
        n = self.known_count()
        if n is None:
            n = sum(int(x.shape[0]) for x, _ in iter_pairs(self.data, self.read_size, argument=self.argument))
        return n


def _concatenated(batches: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The batches as one pair, or None when their shapes do not concatenate (or there are none)."""
    if not batches:
        return None
    try:
        return torch.cat([x for x, _ in batches]), torch.cat([y for _, y in batches])
    except (RuntimeError, TypeError):
        return None


def subset(source: DataSource, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed random subset of ``n`` samples as an ``(inputs, targets)`` pair (seeded; data order kept)."""
    total = source.count()
    n = min(int(n), total)
    chosen = torch.randperm(total, generator=torch.Generator().manual_seed(int(seed)))[:n].sort().values
    xs, ys, start = [], [], 0
    for x, y in iter_pairs(source.data, source.read_size, argument=source.argument):
        stop = start + int(x.shape[0])
        lo, hi = torch.searchsorted(chosen, torch.tensor([start, stop])).tolist()
        if hi > lo:
            local = chosen[lo:hi] - start
            xs.append(x[local])
            ys.append(torch.as_tensor(y)[local])
        start = stop
        if hi == n:
            break
    return torch.cat(xs), torch.cat(ys)


@dataclass
class Values:
    """Loss and accuracy at the points of one :meth:`Evaluator.evaluate` call."""

    loss: np.ndarray  # (P,)
    accuracy: np.ndarray | None  # (P,) or None when the task is not classification


class Evaluator:
    """Evaluate ``loss_fn(model(x; θ_k), y)`` for many parameter points θ_k.

    The caller holds ``model`` inside ``model_guard`` (eval mode). With ``recompute_bn=True`` every
    point first gets its own BatchNorm running statistics, estimated on the same data with a
    cumulative average (momentum ``None``) on a deep copy of the model: one extra pass over the data
    per point (about 2× the time) and one extra model copy in memory. The statistics are always
    estimated in batches of ``source.read_size`` (their values depend on the batch size).

    Data held in memory runs point after point at a batch size chosen by :attr:`chooser` (the first
    point measures the activation bytes per sample and warms up; the next few are timed at candidate
    sizes; ``source.batch_size`` forces one); ``activation_budget`` caps the bytes of activations one
    forward may hold. Streamed data runs in parameter groups of ``memory_budget`` bytes.
    """

    def __init__(
        self,
        model: nn.Module,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], Any],
        source: DataSource,
        *,
        memory_budget: int = DEFAULT_MEMORY_BUDGET,
        recompute_bn: bool = False,
        activation_budget: int = DEFAULT_ACTIVATION_BUDGET,
    ) -> None:
        if not callable(loss_fn):
            raise TypeError(f"loss_fn: expected a callable (outputs, targets) -> scalar, got {type(loss_fn).__name__}")
        if not isinstance(memory_budget, (int, float)) or memory_budget <= 0:
            raise ValueError(f"memory_budget: expected a positive number of bytes, got {memory_budget!r}")
        self.model, self.loss_fn, self.source = model, loss_fn, source
        self.memory_budget = int(memory_budget)
        self.classification: bool | None = None
        self.channels_last = any(p.dim() == 4 for p in model.parameters())  # conv weights: run NHWC
        self._total: int | None = None
        self.activation_budget = activation_budget
        self.chooser: BatchSizeChooser | None = None  # set on the first in-memory evaluation
        self._data: tuple[torch.Tensor, torch.Tensor] | None = None
        self._warm = False  # a first in-memory point has run
        self._predicted: torch.Tensor | None = None  # class predictions of one pass (reused buffer)
        self._logged: int | None = None  # the batch size last logged as chosen
        self._plane: tuple[PlanePoints, PlanePoints, _PassRunner] | None = None  # (given, laid out, its runner)
        self._wrapper = _PassRunner(model)
        self.bn_model: nn.Module | None = None
        if recompute_bn and any(_tracks_stats(m) for m in model.modules()):
            self.bn_model = copy.deepcopy(model)
            for m in self.bn_model.modules():
                m.train(_tracks_stats(m))
                if _tracks_stats(m):
                    cast(Any, m).momentum = None  # cumulative average over the batches of one pass

    @property
    def samples(self) -> int | None:
        """Samples in one pass over the data (known after the first full pass, or up front)."""
        return self._total if self._total is not None else self.source.known_count()

    # -- public --------------------------------------------------------------------------------
    def evaluate(
        self,
        state_at: StateAt,
        points: Points,
        *,
        progress: Progress | None = None,
        fraction: tuple[float, float] = (0.0, 1.0),
        message: str = "loss landscape",
    ) -> Values:
        """Loss (and accuracy) at ``state_at(k)`` for each ``k`` in ``points``; ``fraction`` is the slice
        of the overall progress bar this call fills. A :class:`~nbviz.landscape.points.PlanePoints`
        ``state_at`` on in-memory data writes each point into reused buffers (see that module)."""
        points = [int(k) for k in points]
        loss = np.full(len(points), np.nan)
        acc = np.full(len(points), np.nan)
        if not points:
            return Values(loss, None if self.classification is False else acc)
        lo, hi = fraction
        passes = 2 if self.bn_model is not None else 1
        data = self._in_memory()
        with torch.inference_mode():
            if data is not None:  # points one after another, each a timed pass at the chooser's batch size
                for i, k in enumerate(points):

                    def tick(done: float, i: int = i) -> None:
                        report(progress, lo + (hi - lo) * (i + done) / len(points), f"{message}: {i + 1}/{len(points)} points")

                    def bn_tick(d: float, tick: Callable[[float], None] = tick) -> None:
                        tick(d / passes)

                    def point_tick(d: float, tick: Callable[[float], None] = tick) -> None:
                        tick((passes - 1 + d) / passes)

                    state, runner = self._state(state_at, k)
                    if self.bn_model is not None:
                        state = self._with_bn_stats([state], bn_tick)[0]
                    loss[i], acc[i] = self._point(state, runner, data, point_tick)
                return Values(loss, acc if self.classification else None)
            first = state_at(points[0])
            per_point = sum(t.numel() * t.element_size() for t in first.values())
            group = max(1, self.memory_budget // max(per_point, 1))
            for start in range(0, len(points), group):
                ids = points[start : start + group]
                states = [self._layout(first if k == points[0] else state_at(k)) for k in ids]
                span = (lo + (hi - lo) * start / len(points), lo + (hi - lo) * (start + len(ids)) / len(points))

                def group_tick(
                    done: float, span: tuple[float, float] = span, start: int = start, ids: Sequence[int] = ids,
                ) -> None:
                    report(progress, span[0] + (span[1] - span[0]) * done, f"{message}: {start + len(ids)}/{len(points)} points")

                if self.bn_model is not None:
                    states = self._with_bn_stats(states, lambda d: group_tick(d / passes))
                group_loss, group_acc = self._group(states, lambda d: group_tick((passes - 1 + d) / passes))
                loss[start : start + len(ids)] = group_loss
                acc[start : start + len(ids)] = group_acc
        return Values(loss, acc if self.classification else None)

    # -- internals -----------------------------------------------------------------------------
    def _in_memory(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The whole data, checked and laid out once, when the source holds it in memory (else None)."""
        if self._data is None:
            pair = self.source.in_memory()
            if pair is None or not isinstance(pair[0], torch.Tensor) or pair[0].shape[0] == 0:
                return None
            x, y = pair
            x = model_input(x, self.model, argument="data")  # the one input check: dtype, NaN, channels
            if self.channels_last and x.dim() == 4:
                x = x.contiguous(memory_format=torch.channels_last)
            self._data, self._total = (x, y), int(x.shape[0])
            self.chooser = BatchSizeChooser(
                self._total, forced=self.source.batch_size, memory_budget=self.activation_budget, recheck=RECHECK,
            )
        return self._data

    def _point(
        self, state: Params, runner: _PassRunner, data: tuple[torch.Tensor, torch.Tensor], tick: Callable[[float], None],
    ) -> tuple[float, float]:
        """Loss and accuracy of one point over all in-memory data, timed for the batch-size chooser.

        The point's parameters are swapped in once for the whole pass (one ``functional_call`` of a
        wrapper that loops over the batches), not once per batch."""
        assert self.chooser is not None
        chooser = self.chooser  # a local, so the narrowing holds inside one_pass
        x, y = data
        n = int(x.shape[0])
        warm_up = not self._warm and self.chooser.forced is None
        size = self.chooser.size
        totals = [0.0, 0.0]  # loss × samples, correct predictions

        def one_pass(model: nn.Module) -> None:
            nonlocal size
            start = 0
            while start < n:
                if warm_up and start == 0:  # the first forward of all measures the activation bytes per sample
                    b = min(chooser.candidates[0], n)
                    with ActivationMeter(model) as meter:
                        out = model(x[:b])
                    chooser.limit_memory(meter.bytes / b)
                    size = chooser.size
                else:
                    b = min(size, n - start)
                    out = model(x[start : start + b])
                yb = y[start : start + b]
                value = self.loss_fn(out, yb)
                if isinstance(value, torch.Tensor) and value.numel() == 1:  # the usual case, read directly
                    totals[0] += value.item() * b
                else:
                    totals[0] += float(self._scalar(value, out)) * b
                if self._is_classification(out, yb):  # predictions kept; compared once per pass
                    torch.argmax(out, 1, out=predicted[start : start + b])
                start += b
                tick(start / n)

        if self._predicted is None or self._predicted.shape[0] != n:
            self._predicted = torch.empty(n, dtype=torch.long, device=y.device)
        predicted = self._predicted
        began = trial_clock()
        functional_call(runner, {f"model.{name}": t for name, t in state.items()}, (one_pass,))
        if self.classification:
            totals[1] = float((predicted == y).sum())
        if self._warm and self.chooser.forced is None:  # every unit: the chooser rechecks now and then
            self.chooser.record(size, trial_clock() - began, n)
            if self.chooser.settled and self.chooser.best != self._logged:
                self._logged = self.chooser.best
                log.info("landscape: data batch size %d chosen; ms per point by size: %s", self.chooser.best,
                         {b: round(min(t) * n * 1e3, 1) for b, t in sorted(self.chooser.timings.items())})
        self._warm = True  # the first point (allocations, kernel set-up, the probe forward) is not timed
        return totals[0] / n, totals[1] / n

    def _batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, float, float]]:
        """Batches with the fraction of the data done before and after each (0, 0 until the size is
        known, i.e. during the first pass over data that cannot tell its length)."""
        total = self._total if self._total is not None else self.source.known_count()
        seen = 0
        for x, y in self.source:
            before, seen = seen, seen + int(x.shape[0])
            if isinstance(x, torch.Tensor):  # the one input check: dtype matched, clear errors for NaN, channels
                x = model_input(x, self.model, argument="data")
            if self.channels_last and isinstance(x, torch.Tensor) and x.dim() == 4:
                x = x.contiguous(memory_format=torch.channels_last)
            yield x, y, (before / total if total else 0.0), (min(seen / total, 1.0) if total else 0.0)
        self._total = seen

    def _state(self, state_at: StateAt, k: int) -> tuple[Params, _PassRunner]:
        """Point ``k`` laid out for the model, and the runner to pass it to, for use before the next
        point is asked for: a plane's points are written into buffers reused from point to point
        (with its BatchNorms folded into their convolutions where they can be, see
        :mod:`nbviz.landscape.folding`; not when statistics are re-estimated), others are built fresh."""
        if not isinstance(state_at, PlanePoints):
            return self._layout(state_at(k)), self._wrapper
        if self._plane is None or self._plane[0] is not state_at:
            folded = plane_graph(self.model, state_at) if self.bn_model is None else None
            if folded is not None and not self._agrees(*folded):
                folded = None  # the rewritten copy fails or differs on the data: run the model itself
            runner, points = (_PassRunner(folded[0]), folded[1]) if folded is not None else (self._wrapper, state_at)
            self._plane = (state_at, points.laid_out(self._layout), runner)
        return self._plane[1].write(k), self._plane[2]

    def _agrees(self, graph: nn.Module, points: PlanePoints) -> bool:
        """Whether the rewritten copy gives the model's outputs at θ* on two samples of the data (a
        trace can succeed where the model needs what the data does not give, e.g. a second input)."""
        assert self._data is not None
        x = self._data[0][:2]
        try:
            want = self.model(x)
            got = functional_call(graph, self._layout(points.theta), (x,))
        except Exception:  # noqa: BLE001 - the model's own error is raised by the unrewritten pass
            return False
        if not isinstance(want, torch.Tensor) or not isinstance(got, torch.Tensor) or got.shape != want.shape:
            return False
        return bool(torch.allclose(got, want, rtol=1e-3, atol=1e-3 * float(want.abs().max()) + 1e-6))

    def _layout(self, state: Params) -> Params:
        """The point's parameters with 4-D tensors channels-last (when the model has convolutions)."""
        if not self.channels_last:
            return state
        return {n: t.contiguous(memory_format=torch.channels_last) if t.dim() == 4 else t for n, t in state.items()}

    def _group(self, states: list[Params], tick: Callable[[float], None]) -> tuple[np.ndarray, np.ndarray]:
        g, device = len(states), self.source.device
        sums = torch.zeros(g, dtype=torch.float64, device=device)
        correct = torch.zeros(g, dtype=torch.float64, device=device)
        count = 0
        for x, y, before, after in self._batches():
            n = int(x.shape[0])
            for i, state in enumerate(states):
                out = functional_call(self.model, state, (x,))
                sums[i] += self._loss(out, y) * n
                if self._is_classification(out, y):
                    correct[i] += (out.argmax(1) == y).sum()
                tick(before + (after - before) * (i + 1) / g)
            count += n
        return (sums / count).cpu().numpy(), (correct / count).cpu().numpy()

    def _with_bn_stats(self, states: list[Params], tick: Callable[[float], None]) -> list[Params]:
        """Each state plus its own BatchNorm running statistics, estimated in one pass over the data."""
        assert self.bn_model is not None
        fresh = []
        for state in states:
            buffers = {}
            for name, m in self.bn_model.named_modules():
                if _tracks_stats(m):
                    prefix = f"{name}." if name else ""
                    buffers[prefix + "running_mean"] = torch.zeros_like(m.running_mean)
                    buffers[prefix + "running_var"] = torch.ones_like(m.running_var)
                    buffers[prefix + "num_batches_tracked"] = torch.zeros_like(m.num_batches_tracked)
            fresh.append({**state, **buffers})
        for x, _, before, after in self._batches():
            for i, state in enumerate(fresh):
                functional_call(self.bn_model, state, (x,))  # BatchNorm updates the buffers in ``state`` in place
                tick(before + (after - before) * (i + 1) / len(fresh))
        return fresh

    def _loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self._scalar(self.loss_fn(out, y), out)

    def _scalar(self, value: Any, out: torch.Tensor) -> torch.Tensor:
        """``loss_fn``'s value as a 0-d float64 tensor (a clear error when it is not a scalar)."""
        value = value if isinstance(value, torch.Tensor) else torch.as_tensor(value, device=out.device)
        if value.numel() != 1:
            raise ValueError(f"loss_fn: must return a scalar (mean over the batch), got shape {tuple(value.shape)}")
        return value.detach().reshape(()).double()

    def _is_classification(self, out: torch.Tensor, y: torch.Tensor) -> bool:
        if self.classification is None:
            self.classification = bool(
                isinstance(out, torch.Tensor)
                and out.dim() == 2
                and y.dim() == 1
                and not torch.is_floating_point(y)
                and not torch.is_complex(y)
                and out.shape[0] == y.shape[0]
            )
        return self.classification


class _PassRunner(nn.Module):
    """Holds the model as ``model`` and calls ``fn(model)``: run under ``functional_call`` it swaps a
    point's parameters in once for a whole pass over the data (~0.1 ms saved per batch)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, fn: Callable[[nn.Module], None]) -> None:
        return fn(self.model)


def _tracks_stats(module: nn.Module) -> bool:
    return isinstance(module, nn.modules.batchnorm._BatchNorm) and module.track_running_stats
