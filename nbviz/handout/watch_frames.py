"""A training watcher's snapshots packed for a handout: the panels of every shown snapshot (first-layer
filters, feature maps) and the t-SNE maps they use, so the page's scrubber replays them with no kernel.

The timeline (curves, sparsity, dead channels, the weight path) is already whole in the watcher's traits;
only the per-snapshot panels, which the kernel sends one at a time, need packing here. Works on
:class:`~nbviz.watching.Snapshot` s, never on the widget (handout does not import widgets).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..watching import Snapshot

__all__ = ["DEFAULT_MAX_FRAMES", "WatchFrames", "pack_snapshots"]

DEFAULT_MAX_FRAMES = 100  # snapshots whose panels a handout holds; more are thinned evenly (first and last kept)


@dataclass(frozen=True)
class WatchFrames:
    """The snapshot panels a watcher's handout holds.

    ``frames``: (K,) indices of the snapshots with panels, ascending; ``filters``: (K, C, kh, kw, 3) uint8 or
    ``None``; ``maps``: (K, images, channels, h, w) uint8 or ``None``; ``embeddings``: (E, N, 2) float32 t-SNE
    maps and ``embedding_steps`` (E,) their snapshot steps, ascending (the page shows the newest map not after
    the snapshot on show, as the live view does).
    """

    frames: np.ndarray
    filters: np.ndarray | None
    maps: np.ndarray | None
    embeddings: np.ndarray | None
    embedding_steps: np.ndarray


def chosen_frames(count: int, max_frames: int) -> np.ndarray:
    """Indices of at most ``max_frames`` of ``count`` snapshots, evenly spread, the first and the last kept."""
    if isinstance(max_frames, bool) or not isinstance(max_frames, (int, np.integer)) or max_frames < 2:
        raise ValueError(f"max_frames: expected an int of at least 2, got {max_frames!r}")
    if count <= max_frames:
        return np.arange(count, dtype=np.int32)
    return np.unique(np.rint(np.linspace(0, count - 1, int(max_frames))).astype(np.int32))


def _stack(parts: list[np.ndarray | None]) -> np.ndarray | None:
    if not parts or any(p is None for p in parts):
        return None
    return np.stack([np.asarray(p, dtype=np.uint8) for p in parts])


def pack_snapshots(
    snapshots: Sequence[Snapshot], embeddings: Mapping[int, np.ndarray], max_frames: int = DEFAULT_MAX_FRAMES
) -> WatchFrames:
    """Pack the panels of ``snapshots`` (thinned to ``max_frames``) and the t-SNE maps they show.

    Parameters
    ----------
    snapshots : sequence of Snapshot
        The watcher's snapshots, oldest first.
    embeddings : mapping of int to numpy.ndarray
        The (N, 2) t-SNE maps by snapshot step.
    max_frames : int, default 100
        At most this many snapshots keep their panels (evenly spread; the first and the last always).

    Returns
    -------
    WatchFrames
        The packed panels.
    """
    index = chosen_frames(len(snapshots), max_frames)
    chosen = [snapshots[int(i)] for i in index]
    steps = sorted(int(s) for s in embeddings)
    used: set[int] = set()
    for snap in chosen:  # the newest map not after each kept snapshot
        before = [s for s in steps if s <= snap.step]
        if before:
            used.add(before[-1])
    kept = sorted(used)
    maps = np.stack([np.asarray(embeddings[s], dtype=np.float32) for s in kept]) if kept else None
    return WatchFrames(
        frames=index,
        filters=_stack([s.filters for s in chosen]),
        maps=_stack([s.maps for s in chosen]),
        embeddings=maps,
        embedding_steps=np.array(kept, dtype=np.int32),
    )
