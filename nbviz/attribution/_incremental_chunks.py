"""The whole-tensor tail of the incremental engine in chunks: from the node where a patched pass first
computes whole tensors, the batch is split, each chunk runs the rest of the graph on its own and is
timed, and the outputs are joined (:class:`ChunkedTail`). How many patches a chunk takes is chosen by
the caller (:class:`Chunks`; :class:`nbviz._batch_size.BatchSizeChooser` fits)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

import torch
from torch import fx

from nbviz._batch_size import trial_clock
from nbviz.attribution._incremental_states import slice_state

__all__ = ["ChunkedTail", "Chunks", "Pass"]


class Chunks(Protocol):
    """How many patches one chunk of the whole-tensor tail takes (:class:`nbviz._batch_size.BatchSizeChooser`
    fits): ``size`` for the next chunk, ``record(size, seconds, patches)`` after it."""

    @property
    def size(self) -> int: ...

    def record(self, size: int, seconds: float, samples: int) -> None: ...


@dataclass
class Pass:
    """What one patched pass returns and collects: ``stop``/``tap`` nodes, the linear change tapped so
    far, the box shares seen and the tail's chunking."""

    stop: fx.Node | None
    tap: fx.Node | None
    tapped: torch.Tensor | None
    boxed: dict[fx.Node, float]
    tail: Chunks | None


class ChunkedTail:
    """The chunked rest of a patched pass for :class:`~nbviz.attribution.incremental.IncrementalEngine`,
    which provides ``_pass``."""

    if TYPE_CHECKING:

        def _pass(self, first: int, states: dict[fx.Node, Any], remaining: dict[fx.Node, int], batch: int, how: Pass) -> Any: ...

    def _chunked(self, first: int, states: dict[fx.Node, Any], remaining: dict[fx.Node, int], batch: int, how: Pass) -> Any:
        """The rest of the pass, from node ``first``, in chunks of the batch: a whole-tensor tail of B
        patches holds B-fold activations (resnet18 224² ``layer3``: 200 KB a patch, 89 MB at 445), which
        spill the caches and, above glibc's mmap threshold, are page-faulted in anew every batch. Chunks
        split the batch evenly at ``how.tail.size`` patches at most; each is timed with
        :func:`~nbviz._batch_size.trial_clock` and recorded when it is more than half that size."""
        tail = cast(Chunks, how.tail)
        parts, done = [], 0
        while done < batch:
            size = tail.size
            left = batch - done
            n = math.ceil(left / math.ceil(left / size))
            piece = slice(done, done + n)
            part = Pass(how.stop, how.tap, None if how.tapped is None else how.tapped[piece], how.boxed, None)
            sub = {node: slice_state(state, piece, batch) for node, state in states.items()}
            clock = trial_clock()
            parts.append(self._pass(first, sub, dict(remaining), n, part))
            if 2 * n > size:
                tail.record(size, trial_clock() - clock, n)
            done += n
        if how.tap is not None and how.stop is None:
            return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
        return torch.cat(parts)
