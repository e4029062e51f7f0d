"""FastestOf: each candidate is timed in turn on real calls, the fastest per item then runs, and
rechecks re-time the others (a scripted clock stands in for the real one)."""

from __future__ import annotations

import pytest

from nbviz import _fastest


class Clock:
    """Each call of a candidate advances the clock by that candidate's cost per item × items."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def candidates(clock: Clock, costs: list[float], calls: list[int]):
    def make(index: int):
        def run(items: int) -> int:
            calls.append(index)
            clock.now += costs[index] * items
            return index * 1000 + items

        return run

    return [make(i) for i in range(len(costs))]


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(_fastest, "trial_clock", fake)
    return fake


def test_times_each_in_turn_then_runs_the_fastest_per_item(clock):
    calls: list[int] = []
    fastest = _fastest.FastestOf(candidates(clock, [3.0, 1.0, 2.0], calls), items=lambda n: n, recheck=0)
    assert fastest.chosen is None
    results = [fastest(n) for n in (10, 40, 20, 30, 30)]
    assert calls == [0, 1, 2, 1, 1]  # per item, not per call: candidate 1 ran 40 items and still wins
    assert results[1] == 1040 and fastest.chosen == 1
    assert fastest.per_item == [3.0, 1.0, 2.0]


def test_rechecks_retime_the_others_in_turn(clock):
    calls: list[int] = []
    costs = [1.0, 2.0, 3.0]
    fastest = _fastest.FastestOf(candidates(clock, costs, calls), items=lambda n: n, recheck=2)
    for _ in range(3):
        fastest(5)
    costs[0] = 9.0  # but the fastest timing counts: a slow round does not unseat candidate 0
    for _ in range(6):
        fastest(5)
    assert calls == [0, 1, 2, 0, 2, 0, 1, 0, 2]
    assert fastest.chosen == 0
    costs[1] = 0.5  # a recheck that finds a faster candidate switches to it
    for _ in range(4):
        fastest(5)
    assert calls[-4:] == [0, 1, 1, 2] and fastest.chosen == 1  # then the rechecks go on, to 2


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="candidates: expected at least one"):
        _fastest.FastestOf([], items=len)
    with pytest.raises(ValueError, match="recheck: expected a count"):
        _fastest.FastestOf([len], items=len, recheck=-1)
    with pytest.raises(ValueError, match="min_items: expected a count"):
        _fastest.FastestOf([len], items=len, min_items=0)


def test_small_calls_run_the_first_untimed_and_preparation_is_not_timed(clock):
    calls: list[int] = []
    runs = candidates(clock, [1.0, 2.0], calls)
    prepared: list[int] = []

    class Prepared:
        def prepare(self) -> None:
            prepared.append(1)
            clock.now += 1000.0  # a one-time cost that must not count against the candidate

        def __call__(self, items: int) -> int:
            return runs[1](items)

    fastest = _fastest.FastestOf([runs[0], Prepared()], items=lambda n: n, recheck=0, min_items=4)
    fastest(1)
    fastest(3)
    assert calls == [0, 0] and fastest.per_item == [float("inf")] * 2  # too small to time
    fastest(4)
    fastest(4)
    assert prepared == [1] and fastest.per_item == [1.0, 2.0] and fastest.chosen == 0
    fastest(8)
    assert prepared == [1] and calls == [0, 0, 0, 1, 0]
