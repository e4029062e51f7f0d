"""Streaming openTSNE optimisation: one ``optimize`` call per phase, frames taken by a callback.

openTSNE evaluates the KL divergence only on iterations where callbacks run, so taking a frame
every ``snapshot_every`` iterations costs one KL evaluation per frame and nothing else (measured
1.03× one plain call; repeated short ``optimize`` calls cost 1.10–1.24×).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._progress import Progress, report
from ._convergence import Convergence
from ._locality import LocalOrder

__all__ = ["Frames", "Phase", "TSNECallback", "gradient_method", "run_phases"]

TSNECallback = Callable[[int, float, np.ndarray], "bool | None"]

# The FFT interpolation has a near-constant cost per iteration (its grid), Barnes-Hut grows as
# N log N. Measured with openTSNE's FFT (CPU s for 250 + 500 iterations, 50-D gaussian mixture, 1
# thread): 2,000: BH 3.7 / FFT 10.3; 5,000: 13.0 / 13.6; 8,000: 27.0 / 13.1; 12,000: 38.1 / 13.5.
# nbviz's own FFT repulsion (_fft_gradient.py) moved the cost crossover down to ~2,000 points (whole
# runs of 750 iterations, quiet machine: 1,500 BH 4.43 / FFT 4.89 s; 2,000 6.15 / 5.33; 3,500 11.05 /
# 6.61; 5,000 12.76 / 7.49), but below 5,000 Barnes-Hut's map ends with the lower KL (FFT's is +3.2 %
# at 1,000 points, +1.0 % at 2,000, +0.7 % at 3,500, +0.45 % at 5,000), so the switch stays at 5,000
# points, where FFT's KL is within half a percent (openTSNE's own "auto" waits until 10,000).
FFT_MIN_POINTS = 5_000


def gradient_method(n_points: int, method: str = "auto") -> str:
    """openTSNE's negative-gradient method: ``"fft"`` for large N, ``"bh"`` for small."""
    if method == "auto":
        return "fft" if n_points >= FFT_MIN_POINTS else "bh"
    if method not in ("fft", "bh"):
        raise ValueError(f"negative_gradient_method: expected 'auto', 'fft' or 'bh', got {method!r}")
    return method


@dataclass(frozen=True)
class Phase:
    """One optimisation phase: ``n_iter`` steps with a fixed exaggeration and momentum."""

    n_iter: int
    exaggeration: float
    momentum: float
    learning_rate: float | str = "auto"


@dataclass
class Frames:
    """Frames collected while optimising (positions as float32)."""

    snapshots: list[np.ndarray] = field(default_factory=list)
    iterations: list[int] = field(default_factory=list)
    kl: list[float] = field(default_factory=list)
    stopped: bool = False
    converged_at: int | None = None  # the iteration where the stopping rule was met
    order: LocalOrder | None = None  # the run's renumbering of the points; frames are stored in the user's order

    def add(self, iteration: int, kl: float, embedding: np.ndarray) -> None:
        if self.iterations and self.iterations[-1] == iteration:  # the final frame replaces a same-numbered one
            self.snapshots.pop(), self.iterations.pop(), self.kl.pop()
        positions = np.asarray(embedding, dtype=np.float32)
        self.snapshots.append(self.order.to_user(positions) if self.order is not None else positions.copy())
        self.iterations.append(int(iteration))
        self.kl.append(float(kl))


class _Stop(Exception):
    pass


class _Converged(Exception):
    pass


def run_phases(
    embedding: Any,
    phases: list[Phase],
    *,
    snapshot_every: int,
    callback: TSNECallback | None = None,
    progress: Progress | None = None,
    on_frame: Callable[[int, np.ndarray], None] | None = None,
    convergence: Convergence | None = None,
    first_frame: int = 0,
    order: LocalOrder | None = None,
) -> Frames:
    """Optimise an openTSNE ``TSNEEmbedding`` in place through ``phases``, collecting frames.

    Every ``snapshot_every`` iterations a frame (iteration, KL, positions) is stored, ``callback`` is
    called (``False`` stops the run; the frames so far are returned with ``stopped=True``) and
    ``progress`` is told how far the run is (``False`` raises :class:`~nbviz._progress.Cancelled`).
    The final embedding is always the last frame. With ``convergence``, the run ends at the first
    frame that meets its rule (``converged_at`` holds that iteration). ``first_frame`` > 0 adds a frame at
    that iteration of the first phase when it comes before ``snapshot_every`` (a warm start shows its first
    new positions after a step instead of after ``snapshot_every``; the other frames stay as they were).
    Exceptions raised by callbacks propagate after openTSNE has un-exaggerated its affinity matrix, so a
    shared ``P`` is never left corrupted. With ``order`` (the run's renumbering of the points, see
    :mod:`._locality`) every frame handed out is in the user's order.
    """
    from openTSNE.tsne import OptimizationInterrupt

    if isinstance(snapshot_every, bool) or not isinstance(snapshot_every, (int, np.integer)) or snapshot_every < 1:
        raise ValueError(f"snapshot_every: expected a positive number of iterations, got {snapshot_every!r}")
    frames = Frames(order=order)
    total = sum(p.n_iter for p in phases)
    P = embedding.affinities.P
    p_sum = float(P.sum())
    done = 0
    pending: list[BaseException] = []

    def on_callback(local_iteration: int, error: float, positions: np.ndarray) -> bool:
        iteration = done + local_iteration
        try:
            frames.add(iteration, error, positions)
            if on_frame is not None:
                on_frame(iteration, frames.snapshots[-1])
            if callback is not None and callback(iteration, float(error), frames.snapshots[-1]) is False:
                raise _Stop
            if convergence is not None and convergence.reached(frames.iterations, frames.kl):
                frames.converged_at = iteration
                raise _Converged
            report(progress, iteration / total, f"t-SNE iteration {iteration}/{total}, KL {error:.4f}")
        except BaseException as exc:  # noqa: BLE001 - handed back to openTSNE as a clean stop, re-raised below
            pending.append(exc)
            return True
        return False

    # (phase, iterations, frame every): the first phase splits at first_frame and at snapshot_every, so the
    # other frames stay where they were (openTSNE keeps momentum and gains across optimize calls: same path)
    segments = [(p, p.n_iter, int(snapshot_every)) for p in phases if p.n_iter > 0]
    if segments and 0 < first_frame < min(segments[0][1], snapshot_every):
        phase, n, every = segments[0]
        cuts = [int(first_frame), min(every, n)]
        segments[:1] = [(phase, cuts[0], cuts[0]), (phase, cuts[1] - cuts[0], cuts[1] - cuts[0])]
        if n > cuts[1]:
            segments.insert(2, (phase, n - cuts[1], every))
    try:
        for phase, n_iter, every in segments:
            kwargs: dict[str, Any] = dict(
                n_iter=n_iter,
                exaggeration=phase.exaggeration,
                momentum=phase.momentum,
                learning_rate=phase.learning_rate,
                callbacks=[on_callback],
                callbacks_every_iters=every,
                inplace=True,
                propagate_exception=True,
            )
            try:
                embedding.optimize(**kwargs)
            except OptimizationInterrupt:
                exc = pending[0] if pending else None
                if isinstance(exc, _Stop):
                    frames.stopped = True
                    return frames
                if isinstance(exc, _Converged):
                    report(progress, 1.0, f"t-SNE converged at iteration {frames.converged_at}, KL {frames.kl[-1]:.4f}")
                    return frames
                if exc is not None:
                    raise exc from None
                raise
            done += n_iter
    finally:
        # A KeyboardInterrupt inside openTSNE's loop can leave P multiplied by the exaggeration.
        now = float(P.sum())
        if p_sum > 0 and abs(now - p_sum) > 1e-6 * p_sum:
            P *= p_sum / now
    final = np.asarray(embedding)
    frames.add(total, float(embedding.kl_divergence), final)
    if on_frame is not None:
        on_frame(total, frames.snapshots[-1])
    report(progress, 1.0, f"t-SNE done, KL {embedding.kl_divergence:.4f}")
    return frames
