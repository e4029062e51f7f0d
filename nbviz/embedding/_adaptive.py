"""The cheaper of FFT and Barnes-Hut for the map as it is now, chosen by timing both on it.

FFT interpolation puts a grid over the map with one interval per unit of its extent (at least 50
per side, openTSNE's ``min_num_intervals`` and ``ints_in_interval``), so its cost grows with the
square of the extent; Barnes-Hut's grows as N log N and barely with the extent. A compact map is
cheaper by FFT, a spread one by Barnes-Hut. Measured on 10,000 noisy digits (64-D,
``benchmarks/tsne.py --data digits``; ms per gradient, 1 thread): FFT 12 → 36 → 106 → 220 as the map
spreads from 10 to 100, 163 and 209 units, Barnes-Hut 40–65 throughout; on the 50-D gaussian mixture
the map stays compact and FFT stays at ~15 ms, below Barnes-Hut. (Those are openTSNE's FFT times;
nbviz's own repulsion, :mod:`._fft_gradient`, costs less than half of them on a spread map, so the
digits run now switches to Barnes-Hut at iteration 384 instead of 270.) On a spread map Barnes-Hut (θ = 0.5)
is also the more accurate: against the gradient over all pairs, on both final 10,000-digit maps its
error was a fifth of FFT's (relative to the small net gradient of a map near its optimum: 0.47 vs
2.44 and 0.14 vs 0.72), and the maps it finished reach a KL 10 % lower in the same 750 iterations.

So no extent threshold is set here: :class:`AdaptiveGradient` times every gradient of the method in
use and, when that cost has grown past what the other method cost when last timed (or every
:data:`PROBE_GAP` evaluations in any case), evaluates the next gradient with the other method,
timing it. Both are approximations of the same gradient, so the probe's gradient is used, not
wasted: a probe costs only the difference between the two. The cheaper by the latest timings is
used from then on. Below :data:`~._optimize.FFT_MIN_POINTS` points Barnes-Hut is the cheaper even on a
compact map and FFT only grows dearer as the map spreads, so there the run keeps Barnes-Hut (and
matches openTSNE's Barnes-Hut run step for step).

The KL reported at a frame is the true one up to a documented approximation of its normaliser Z
(:mod:`._kl`): the FFT interpolation's value in an FFT step; in a Barnes-Hut step on a map wider than FFT's
smallest grid, Barnes-Hut's own Z (θ = 0.5), which comes with the gradient at no extra cost. There
the FFT interpolation (3 points per interval) is dearer and less accurate: on the final 10,000-digit
maps (extent ~200) against Z over all pairs, FFT put the KL 4.1 % and 3.2 % too high (270 ms per
evaluation), Barnes-Hut 0.8 % and 0.9 % too low (free with the gradient; 72–95 ms alone). On a
narrower map (where openTSNE's Barnes-Hut Z can fail, see :mod:`._kl`) and up to 700 points the KL
is evaluated as :func:`._kl.objective` does. Frame steps are not timed (their KL can make them dearer
than the gradient alone).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ._kl import EXACT_MAX_POINTS, objective

__all__ = ["PROBE_BUDGET", "PROBE_GAP", "AdaptiveGradient"]

PROBE_GAP = 200  # gradient evaluations between probes of the other method when nothing prompted one, at least
PROBE_BUDGET = 0.01  # unprompted probes of a dearer method cost at most this fraction of the gradients' time
_RECENT = 5  # the cost of the method in use is the median of its last few timed gradients


class AdaptiveGradient:
    """openTSNE objective (``negative_gradient_method``) switching between FFT and Barnes-Hut by measured cost.

    Parameters
    ----------
    n_points : int
        Points of the map (decides how the KL is evaluated, see :func:`._kl.objective`).
    start : {"fft", "bh"}, default "fft"
        The method of the first gradients.
    clock : callable, default time.perf_counter
        Seconds, read before and after each gradient (wall time: what the person waits for).
    """

    def __init__(self, n_points: int, start: str = "fft", clock: Callable[[], float] = time.perf_counter) -> None:
        from openTSNE.tsne import kl_divergence_bh

        if start not in ("fft", "bh"):
            raise ValueError(f"start: expected 'fft' or 'bh', got {start!r}")
        self._methods = {method: objective(method, n_points) for method in ("fft", "bh")}
        self._bh_own_kl = kl_divergence_bh if n_points > EXACT_MAX_POINTS else None
        self.method = start
        self.clock = clock
        self.cost: dict[str, float] = {}  # seconds per gradient, the latest estimate of each method
        self.recent: list[float] = []  # timed gradients of the method in use since it was chosen
        self.evaluations = 0
        self.switches: list[tuple[int, str]] = [(0, start)]  # (evaluations before, method from then on)
        self._since_probe = 0

    def __call__(self, embedding: Any, P: Any, *args: Any, should_eval_error: bool = False, **kwargs: Any) -> tuple[float, np.ndarray]:
        if kwargs.get("reference_embedding") is not None:  # placing new points (transform): the method in use
            return self._methods[self.method](embedding, P, *args, should_eval_error=should_eval_error, **kwargs)
        other = "bh" if self.method == "fft" else "fft"
        probe = not should_eval_error and self._probe_due(other)
        method = other if probe else self.method
        gradient = self._methods[method]
        if should_eval_error and method == "bh" and self._bh_own_kl is not None and _spread(embedding, kwargs.get("fft_params")):
            gradient = self._bh_own_kl
        start = self.clock()
        out = gradient(embedding, P, *args, should_eval_error=should_eval_error, **kwargs)
        elapsed = self.clock() - start
        self.evaluations += 1
        self._since_probe += 1
        if probe:
            self.cost[other] = elapsed
            self._since_probe = 0
            if elapsed < self._current_cost():
                self._switch(other)
        elif not should_eval_error:
            self.recent = (self.recent + [elapsed])[-_RECENT:]
            self.cost[self.method] = self._current_cost()
        return out

    def continue_from(self, previous: AdaptiveGradient) -> None:
        """Start where ``previous`` (the run that left the map where this one starts) ended: its method and timings.

        A warm start continues a spread map, on which FFT can cost several times Barnes-Hut; starting it
        on FFT again would spend :data:`PROBE_GAP` gradients before the first probe.
        """
        self.method = previous.method
        self.cost = dict(previous.cost)
        self.switches = [(0, self.method)]

    def _gap(self, other: str) -> float:
        """Evaluations between unprompted probes: :data:`PROBE_GAP`, or more when the other method was found so
        much dearer that a probe every ``PROBE_GAP`` would cost more than :data:`PROBE_BUDGET` of the run."""
        current, last = self._current_cost(), self.cost.get(other)
        if last is None or not np.isfinite(current) or current <= 0:
            return PROBE_GAP
        return max(PROBE_GAP, (last - current) / current / PROBE_BUDGET)

    def _current_cost(self) -> float:
        return float(np.median(self.recent)) if self.recent else float("inf")

    def _probe_due(self, other: str) -> bool:
        if len(self.recent) < _RECENT:  # the cost of the method in use is not known yet
            return False
        if self._since_probe >= self._gap(other):
            return True
        return other in self.cost and self._current_cost() > self.cost[other]

    def _switch(self, method: str) -> None:
        self.method = method
        self.recent = []
        self.switches.append((self.evaluations, method))


def _spread(embedding: Any, fft_params: Any) -> bool:
    """Whether the map is wider than FFT's smallest grid (openTSNE's ``min_num_intervals`` × ``ints_in_interval``)."""
    if not fft_params:
        return False
    floor = float(fft_params.get("min_num_intervals", 50)) * float(fft_params.get("ints_in_interval", 1))
    return float(np.ptp(np.asarray(embedding), axis=0).max()) > floor

