"""Batch sizes chosen by measurement: time the real work at a few candidate sizes, keep the fastest.

No batch size is fastest for every model. On 2 CPU threads the zoo's digits CNN ran alike at 128–1024
samples per forward and ~1.8× slower with all 1,797 at once, while a small BatchNorm CNN on the same
digits ran fastest with all of them at once (issue 17); on one thread of a loaded machine the best
single pass of an MLP on 11,380 tabular rows moved between 128 and 1,024 from run to run
(``benchmarks/landscape.py``). The answer depends on the model, the data, the threads and the load,
so it is measured. Work that repeats forwards over the same data (every point of a loss landscape is
one pass over the whole data set) can afford to: each repetition is timed at some batch size and
counts toward the result, so the search wastes no forward, only the difference between a slower and
the fastest size on a handful of repetitions.

How the search goes (:class:`BatchSizeChooser`):

- candidates are the powers of two from ``smallest`` below ``n``, and ``n`` itself (all data at once),
  plus any ``extra`` sizes the caller has a reason to try;
- those whose activations would exceed ``memory_budget`` are dropped once the bytes per sample are
  known (:class:`ActivationMeter` sums the distinct module outputs of one forward: an upper bound on
  what a forward without autograd holds at its peak);
- the first measured size is the candidate nearest ``start`` (256); then the search climbs to the
  faster neighbour (twice or half the size) until both neighbours of the fastest are slower;
- a neighbour within ``tie`` (5%) of the fastest is a near-tie that noise may have decided: the climb
  also times the size beyond it (on one round of the loaded machine an MLP's 512 timed 1.4% slower
  than 256 and the climb stopped at 256, ~15% slower than 1,024 in the other rounds);
- the fastest and its neighbours are then timed once more (a machine shared with other work gives
  noisy single timings, and the first timing of a size pays for setting up its kernels); each size
  counts with its fastest timing, and if another size becomes the fastest the climb resumes from it;
- every candidate is timed at most twice, so the search ends after at most ``2 × candidates`` units;
- with ``recheck=k`` the search is never closed for good: after every ``k`` units at the chosen size
  one unit runs at a neighbour of it (the larger, then the smaller, in turn), and if that timing beats
  the fastest the climb resumes. A burst of load during the first trials can make the true fastest
  size look slow twice: on the loaded machine one MLP plane's trials timed 512 and 1,024 rows a batch
  at 10.2 and 11.5 ms a pass (7.3–8.1 ms in the other rounds), the climb settled at 256 and the plane
  took 1.44× the plain loop's time. The cost is at most one neighbour's slowdown every ``k`` units;
- units are timed with :func:`trial_clock`: this thread's CPU time when torch computes on one thread
  (time the thread spends preempted by other work is not the batch size's doing: on the loaded
  2-core machine, load 4–6, the wall times of one MLP size spread 28–47 ms per pass), else wall time.
"""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch import nn

__all__ = ["DEFAULT_ACTIVATION_BUDGET", "ActivationMeter", "BatchSizeChooser", "candidate_sizes", "trial_clock"]

DEFAULT_ACTIVATION_BUDGET = 512 * 2**20  # bytes of activations one forward may hold


def candidate_sizes(n: int, smallest: int = 16) -> list[int]:
    """Batch sizes worth timing for ``n`` samples: powers of two from ``smallest`` below ``n``, then ``n``.

    Parameters
    ----------
    n : int
        Number of samples one unit of work passes through the model.
    smallest : int, default 16
        The smallest batch size considered (``n`` when ``n`` is smaller).

    Returns
    -------
    list of int
        Increasing candidate sizes; the last is ``n``.
    """
    _check_positive(n, "n")
    _check_positive(smallest, "smallest")
    sizes = []
    size = 1 << max(0, math.ceil(math.log2(smallest)))
    while size < n:
        sizes.append(size)
        size *= 2
    return [*sizes, n]


def trial_clock() -> float:
    """Seconds on the clock batch-size trials are timed with (only differences are meaningful).

    This thread's CPU time when torch computes on one thread (all the work is then this thread's, and
    time it spends preempted by other processes does not count against a batch size), else wall time
    (several threads' CPU time would also count their waiting).

    Returns
    -------
    float
        The current reading, in seconds.
    """
    return time.thread_time() if torch.get_num_threads() == 1 else time.perf_counter()


class ActivationMeter:
    """Bytes of the distinct tensors the modules of ``model`` output during the forwards run inside ``with``.

    A tensor that several modules return (a container passing on its last child's output, an in-place
    ReLU) is counted once. Read :attr:`bytes` after the forward; divide by the batch size for bytes
    per sample.

    Parameters
    ----------
    model : torch.nn.Module
        The model whose modules' outputs are measured; hooks are removed on leaving the ``with`` block.
    """

    def __init__(self, model: nn.Module) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
        self.model = model
        self.bytes = 0
        # (storage address, offset) → the tensor counted there, held weakly: an address whose tensor was
        # freed can be reused by a later output (the allocator recycles it), which must count again
        self._seen: dict[tuple[int, int | torch.SymInt], weakref.ref[torch.Tensor]] = {}
        self._handles: list[Any] = []

    def _hook(self, _module: nn.Module, _inputs: Any, output: Any) -> None:
        for t in _tensors(output):
            key = (t.untyped_storage().data_ptr(), t.storage_offset())
            counted = self._seen.get(key)
            if counted is None or counted() is None:
                self._seen[key] = weakref.ref(t)
                self.bytes += t.numel() * t.element_size()

    def __enter__(self) -> ActivationMeter:
        self._handles = [m.register_forward_hook(self._hook) for m in self.model.modules()]
        return self

    def __exit__(self, *exc: object) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []
        self._seen.clear()


class BatchSizeChooser:
    """The batch size for the next unit of repeated work, chosen by timing earlier units.

    Use: ask :attr:`size`, run one unit (e.g. one pass over the data) in batches of that size, and
    :meth:`record` its time; once :attr:`settled`, :attr:`size` stays the fastest size measured.
    Call :meth:`limit_memory` when the activation bytes per sample are known (before the first
    :meth:`record` is best, so no size over the budget is ever tried after the first unit).

    Parameters
    ----------
    n : int
        Samples in one unit of work (the largest useful batch).
    forced : int or None, default None
        A batch size given by the user: always used, nothing is timed.
    memory_budget : int, default 512 MiB
        Bytes of activations one forward may hold; larger candidates are dropped by :meth:`limit_memory`.
    start : int, default 256
        The first size tried (the candidate nearest to it).
    smallest : int, default 16
        The smallest candidate (see :func:`candidate_sizes`).
    tie : float, default 0.05
        A neighbour of the fastest size at most this fraction slower is a near-tie: the size beyond it is
        timed too.
    recheck : int, default 0
        Once settled, time a neighbour of the fastest size again after every ``recheck`` units at it
        (0: never; then record only until :attr:`settled`).
    extra : sequence of int, default ()
        Further candidates beside the powers of two (e.g. the largest size whose tensors stay under
        the allocator's mmap threshold); those above ``n`` are ignored.
    """

    def __init__(
        self,
        n: int,
        *,
        forced: int | None = None,
        memory_budget: int = DEFAULT_ACTIVATION_BUDGET,
        start: int = 256,
        smallest: int = 16,
        tie: float = 0.05,
        recheck: int = 0,
        extra: Sequence[int] = (),
    ) -> None:
        _check_positive(n, "n")
        if isinstance(recheck, bool) or not isinstance(recheck, int) or recheck < 0:
            raise ValueError(f"recheck: expected a non-negative integer, got {recheck!r}")
        self.recheck = recheck
        self._since = 0  # units run at the settled fastest size since the last recheck
        self._turn = 0  # rechecks done (even: the larger neighbour next, odd: the smaller)
        if forced is not None:
            _check_positive(forced, "batch_size")
        if isinstance(memory_budget, bool) or not isinstance(memory_budget, (int, float)) or memory_budget <= 0:
            raise ValueError(f"memory_budget: expected a positive number of bytes, got {memory_budget!r}")
        _check_positive(start, "start")
        if isinstance(tie, bool) or not isinstance(tie, (int, float)) or not 0 <= tie < 1:
            raise ValueError(f"tie: expected a fraction in [0, 1), got {tie!r}")
        self.tie = float(tie)
        self.forced = forced
        self.memory_budget = memory_budget
        for size in extra:
            _check_positive(size, "extra")
        sizes = sorted({*candidate_sizes(n, smallest), *(size for size in extra if size <= n)})
        self.candidates = [forced] if forced is not None else sizes
        self.timings: dict[int, list[float]] = {}  # size -> seconds per sample of each timed unit
        self._start = min(self.candidates, key=lambda b: abs(math.log2(b) - math.log2(start)))

    def limit_memory(self, bytes_per_sample: float) -> None:
        """Drop the candidates whose activations would exceed the memory budget (the smallest always stays).

        Parameters
        ----------
        bytes_per_sample : float
            Activation bytes of one sample in one forward (e.g. :attr:`ActivationMeter.bytes` / batch).
        """
        if self.forced is not None or bytes_per_sample <= 0:
            return
        fits = [b for b in self.candidates if b * bytes_per_sample <= self.memory_budget]
        self.candidates = fits or self.candidates[:1]
        self.timings = {b: t for b, t in self.timings.items() if b in self.candidates}
        if self._start not in self.candidates:
            self._start = self.candidates[-1]

    def record(self, size: int, seconds: float, samples: int) -> None:
        """Note that one unit of ``samples`` samples took ``seconds`` in batches of ``size``.

        Parameters
        ----------
        size : int
            The batch size the unit ran with (normally :attr:`size`).
        seconds : float
            Wall time of the unit.
        samples : int
            Samples the unit passed through the model.
        """
        if size not in self.candidates or samples <= 0:
            return
        if self.recheck and self._climb() is None:  # settled: a unit at the fastest size, or a recheck
            if size == self.best:
                self._since += 1
                return
            self._since, self._turn = 0, self._turn + 1
        self.timings.setdefault(size, []).append(seconds / samples)

    @property
    def size(self) -> int:
        """The batch size for the next unit: the next one to time, or the fastest once settled."""
        nxt = self._next()
        return nxt if nxt is not None else self.best

    @property
    def settled(self) -> bool:
        """True when the next unit runs at the fastest size (with ``recheck``, until the next recheck)."""
        return self._next() is None

    @property
    def best(self) -> int:
        """The fastest size timed so far (per sample, the fastest of its timings), or the start size."""
        if not self.timings:
            return self._start
        return min(self.timings, key=lambda b: min(self.timings[b]))

    def _next(self) -> int | None:
        nxt = self._climb()
        if nxt is not None or not self.recheck or self._since < self.recheck or len(self.candidates) == 1:
            return nxt
        i = self.candidates.index(self.best)
        neighbours = [self.candidates[j] for j in (i + 1, i - 1) if 0 <= j < len(self.candidates)]
        return neighbours[self._turn % len(neighbours)]

    def _climb(self) -> int | None:
        """The next size the climb (and its confirmations) needs timed, or None when it has ended."""
        if len(self.candidates) == 1:
            return None
        if not self.timings:
            return self._start
        best = self.best
        i = self.candidates.index(best)
        neighbours = [self.candidates[j] for j in (i + 1, i - 1) if 0 <= j < len(self.candidates)]
        for b in neighbours:  # climb: both neighbours of the fastest must have been timed
            if b not in self.timings:
                return b
        fastest = min(self.timings[best])
        for step in (1, -1):  # look past a near-tie: noise may hide a faster size behind it
            j, k = i + step, i + 2 * step
            if 0 <= k < len(self.candidates) and self.candidates[k] not in self.timings:
                if min(self.timings[self.candidates[j]]) <= fastest * (1 + self.tie):
                    return self.candidates[k]
        for b in (best, *neighbours):  # confirm the fastest and its neighbours with a second timing
            if len(self.timings[b]) < 2:
                return b
        return None


def _tensors(output: Any) -> Iterator[torch.Tensor]:
    if isinstance(output, torch.Tensor):
        yield output
    elif isinstance(output, (tuple, list)):
        for o in output:
            yield from _tensors(o)
    elif isinstance(output, dict):
        for o in output.values():
            yield from _tensors(o)


def _check_positive(value: Any, argument: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{argument}: expected a positive integer, got {value!r}")
