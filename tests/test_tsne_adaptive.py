"""The FFT / Barnes-Hut chooser: scripted costs on a fake clock (what it switches to and when), and on
real maps its gradients against the exact t-SNE gradient computed here over all pairs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

from nbviz.embedding import TSNESession
from nbviz.embedding._adaptive import PROBE_BUDGET, PROBE_GAP, AdaptiveGradient
from nbviz.embedding._kl import kl_divergence


class Scripted:
    """Fake FFT and Barnes-Hut whose cost (on a fake clock) follows ``cost(method, call)``."""

    def __init__(self, cost):
        self.now, self.calls, self.cost, self.used = 0.0, 0, cost, []

    def clock(self) -> float:
        return self.now

    def method(self, name):
        def gradient(embedding, P, *args, should_eval_error=False, **kwargs):
            self.now += self.cost(name, self.calls)
            self.calls += 1
            self.used.append(name)
            return 0.0, name

        return gradient


def chooser_with(cost, n_calls, frame_every=10):
    script = Scripted(cost)
    chooser = AdaptiveGradient(10_000, "fft", clock=script.clock)
    chooser._methods = {"fft": script.method("fft"), "bh": script.method("bh")}
    returned = [chooser(None, None, should_eval_error=(i % frame_every == 0))[1] for i in range(n_calls)]
    assert returned == script.used, "every gradient returned is the one the method used computed (probes included)"
    return chooser, script


def test_switches_to_barnes_hut_once_fft_grows_dearer():
    # FFT grows with the map's extent (10 ms → 310 ms over 600 gradients), Barnes-Hut stays at 50 ms:
    # FFT is the dearer from gradient 200 on
    chooser, script = chooser_with(lambda name, i: 0.010 + 0.0005 * i if name == "fft" else 0.050, 600)
    assert chooser.method == "bh"
    (_, first), (switched_at, second) = chooser.switches[:2]
    assert first == "fft" and second == "bh"
    assert PROBE_GAP <= switched_at <= PROBE_GAP + 20, "the first probe at PROBE_GAP finds Barnes-Hut cheaper soon after the crossing"
    assert "bh" not in script.used[:PROBE_GAP], "no probe on the collapsed start"
    # after the switch FFT only gets dearer: it is probed again only when a probe is due, never chosen back
    assert len(chooser.switches) == 2
    assert script.used[switched_at:].count("fft") <= (600 - switched_at) // PROBE_GAP + 1


def test_stays_on_fft_while_it_is_the_cheaper():
    # a compact map: FFT 15 ms throughout, Barnes-Hut 45 ms; one probe every PROBE_GAP gradients
    chooser, script = chooser_with(lambda name, i: 0.015 if name == "fft" else 0.045, 750)
    assert chooser.method == "fft" and chooser.switches == [(0, "fft")]
    assert script.used.count("bh") == 750 // PROBE_GAP
    assert chooser.cost == pytest.approx({"fft": 0.015, "bh": 0.045})


def test_frames_are_never_probes():
    # FFT dearer from the start; a frame every 2 gradients: the frames must still use the method in use
    chooser, script = chooser_with(lambda name, i: 0.2 if name == "fft" else 0.05, 500, frame_every=2)
    frame_methods = [script.used[i] for i in range(0, 500, 2)]
    switched_at = chooser.switches[1][0]
    assert all(m == "fft" for m in frame_methods[: switched_at // 2])
    assert all(m == "bh" for m in frame_methods[switched_at // 2 + 1 :])


def test_start_checked():
    with pytest.raises(ValueError, match="start: expected 'fft' or 'bh'"):
        AdaptiveGradient(10_000, "exact")


@pytest.fixture(scope="module")
def spread_map():
    """600 digits' affinities and a spread map (extent ~250), where the choice matters."""
    X = load_digits().data[:600]
    P = TSNESession(X, 0).affinities(20)
    Y = np.random.default_rng(0).normal(scale=40, size=(600, 2))
    return P, Y


def exact_gradient(P, Y):
    """openTSNE's gradient over all pairs: Σ_j p_ij w_ij (y_i − y_j) − Σ_j w_ij² (y_i − y_j) / Z."""
    d = Y[:, None] - Y[None]
    w = 1 / (1 + np.square(d).sum(-1))
    np.fill_diagonal(w, 0)
    return ((P.toarray() * w)[..., None] * d).sum(1) - ((w**2)[..., None] * d).sum(1) / w.sum()


@pytest.mark.parametrize("method", ["fft", "bh"])
def test_gradient_and_kl_of_either_method(spread_map, method):
    P, Y = spread_map
    chooser = AdaptiveGradient(len(Y), method)
    fft_params = dict(n_interpolation_points=3, min_num_intervals=50, ints_in_interval=1)
    kl, gradient = chooser(Y, P, 1, bh_params={"theta": 0.5}, fft_params=fft_params, should_eval_error=True)
    exact = exact_gradient(P, Y)
    error = np.linalg.norm(gradient - exact) / np.linalg.norm(exact)
    # measured: Barnes-Hut (θ = 0.5) 1.0 %, FFT 7.9 % on this sparse, spread map
    assert error < (0.02 if method == "bh" else 0.10)
    # the KL is the true one whichever method ran (over all pairs up to 700 points)
    assert kl == pytest.approx(kl_divergence(P, Y, exact=True), rel=1e-9)


def test_session_adapts_only_on_auto_from_fft_side():
    X = np.random.default_rng(0).normal(size=(5_000, 3))
    assert TSNESession(X).adaptive and TSNESession(X).method == "fft"
    assert not TSNESession(X, negative_gradient_method="fft").adaptive
    assert not TSNESession(X[:4_999]).adaptive, "below 5,000 points Barnes-Hut throughout"


def test_barnes_hut_frames_on_a_spread_map_use_its_own_kl(monkeypatch):
    """Above 700 points on a map wider than FFT's smallest grid, a Barnes-Hut frame's KL is Barnes-Hut's own
    (no second evaluation), within 1.5 % of the KL over all pairs; on a narrow map it is evaluated apart."""
    from nbviz.embedding import _kl

    X = load_digits().data
    P = TSNESession(X, 0).affinities(30)
    fft_params = dict(n_interpolation_points=3, min_num_intervals=50, ints_in_interval=1)
    evaluations = []
    original = _kl.kl_divergence
    monkeypatch.setattr(_kl, "kl_divergence", lambda *a, **k: evaluations.append(1) or original(*a, **k))
    rng = np.random.default_rng(1)
    for scale, apart in ((30.0, 0), (3.0, 1)):  # extent ~200 (spread) and ~20 (narrower than 50)
        Y = rng.normal(scale=scale, size=(len(X), 2))
        chooser = AdaptiveGradient(len(X), "bh")
        kl, _ = chooser(Y, P, 1, bh_params={"theta": 0.5}, fft_params=fft_params, should_eval_error=True)
        assert len(evaluations) == apart
        evaluations.clear()
        assert kl == pytest.approx(original(P, Y, exact=True), rel=0.015)


def test_a_warm_start_continues_on_the_method_the_last_run_ended_with():
    # the last run moved to Barnes-Hut (FFT dearer on its spread map): the next one starts there, knowing both costs
    before, _ = chooser_with(lambda name, i: 0.2 if name == "fft" else 0.05, 300)
    after, script = chooser_with(lambda name, i: 0.2 if name == "fft" else 0.05, 0)
    after.continue_from(before)
    after._methods = {"fft": script.method("fft"), "bh": script.method("bh")}
    for _ in range(50):
        after(None, None)
    assert after.method == "bh" and after.switches == [(0, "bh")]
    assert script.used == ["bh"] * 50, "no FFT gradient: FFT's last timing (0.2 s) is above Barnes-Hut's"


def test_probes_of_a_much_dearer_method_stay_within_the_budget():
    # a large map: FFT 0.1 s, Barnes-Hut 0.6 s per gradient; a probe every PROBE_GAP would cost 2.5 % of the run
    n = 3_000
    chooser, script = chooser_with(lambda name, i: 0.1 if name == "fft" else 0.6, n)
    assert chooser.method == "fft"
    probes = [i for i, m in enumerate(script.used) if m == "bh"]
    assert PROBE_GAP <= probes[0] <= PROBE_GAP + 1  # +1: gradient 200 is a frame, never a probe
    assert all(b - a >= (0.6 - 0.1) / 0.1 / PROBE_BUDGET for a, b in zip(probes, probes[1:]))
    assert len(probes) * (0.6 - 0.1) <= PROBE_BUDGET * 0.1 * n + (0.6 - 0.1), "the first probe plus at most the budget"
