"""The frames of a running t-SNE, kept in Python: the worker adds them, the kernel thread reads
the one the scrubber shows, and :class:`FrameSender` paces what goes to the browser (the page holds
one frame, so 70,000 points × many frames never pile up there)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["FRAME_BYTES_PER_SECOND", "FrameBuffer", "FrameSender"]

FRAME_BYTES_PER_SECOND = 40e6  # positions streamed to the browser at most this fast (and ≤ 20 frames/s)


class FrameBuffer:
    """Every snapshot of one run: positions (N, 2) float32, its iteration and KL divergence.

    Thread-safe: the optimisation's callback adds frames on the worker while the scrubber reads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._positions: list[np.ndarray] = []
        self._iterations: list[int] = []
        self._kl: list[float] = []

    def __len__(self) -> int:
        with self._lock:
            return len(self._positions)

    def replace(self, positions: Sequence[np.ndarray], iterations: Sequence[int], kl: Sequence[float]) -> None:
        """Hold exactly these frames (an empty run, a finished run's snapshots or one static layout).

        Parameters
        ----------
        positions : sequence of numpy.ndarray
            One (N, 2) layout per frame.
        iterations : sequence of int
            The iteration of each frame.
        kl : sequence of float
            The KL divergence of each frame (NaN when unknown).
        """
        with self._lock:
            self._positions = [np.asarray(p, dtype=np.float32) for p in positions]
            self._iterations = [int(i) for i in iterations]
            self._kl = [float(k) for k in kl]

    def add(self, iteration: int, kl: float, positions: np.ndarray) -> None:
        """Append a frame; a second frame for the same iteration replaces the first.

        Parameters
        ----------
        iteration : int
            The optimisation step the frame shows.
        kl : float
            Its KL divergence.
        positions : numpy.ndarray
            (N, 2) layout, copied as float32.
        """
        with self._lock:
            if self._iterations and self._iterations[-1] == iteration:
                self._positions.pop(), self._iterations.pop(), self._kl.pop()
            self._positions.append(np.array(positions, dtype=np.float32))
            self._iterations.append(int(iteration))
            self._kl.append(float(kl))

    def stack(self) -> np.ndarray:
        """Every frame so far, (S, N, 2) float32 ((0, 0, 2) when empty)."""
        with self._lock:
            return np.stack(self._positions) if self._positions else np.zeros((0, 0, 2), np.float32)

    def curve(self) -> tuple[np.ndarray, np.ndarray, int, np.ndarray | None]:
        """The run's curve and newest frame: iterations (S,) int32, KL (S,) float32, the newest
        frame's index (-1 when empty) and its positions (``None`` when empty)."""
        with self._lock:
            last = len(self._positions) - 1
            return (
                np.asarray(self._iterations, dtype=np.int32),
                np.asarray(self._kl, dtype=np.float32),
                last,
                self._positions[last] if last >= 0 else None,
            )

    def pick(self, index: int | None) -> tuple[int, np.ndarray] | None:
        """The frame at ``index`` clamped to the frames held (``None`` = the newest) with its
        positions, or ``None`` when there is no frame.

        Parameters
        ----------
        index : int or None
            The frame wanted; ``None`` for the newest.

        Returns
        -------
        tuple or None
            ``(index, positions)``.
        """
        with self._lock:
            if not self._positions:
                return None
            last = len(self._positions) - 1
            chosen = last if index is None else min(max(int(index), 0), last)
            return chosen, self._positions[chosen]


class FrameSender:
    """Calls ``send`` no faster than the browser can take frames: ≤ 20 per second and ≤ 40 MB/s.

    Parameters
    ----------
    send : callable
        Sends the newest frame (no arguments).
    n_points : int
        Points per frame (8 bytes each on the wire).
    """

    def __init__(self, send: Callable[[], None], n_points: int) -> None:
        self.send = send
        self.interval = max(0.05, n_points * 8 / FRAME_BYTES_PER_SECOND)
        self.last = -np.inf

    def maybe_send(self) -> None:
        """Send if at least ``interval`` seconds passed since the last send."""
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self.send()
