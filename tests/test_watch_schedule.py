"""The watcher's schedule and time slicer: the interval and the ledger by hand, a simulated training loop
on a fake clock (costs in, snapshots and slices out, the count never above budget), and the slicer's
turn-taking between two real threads (asserted on order, never on durations)."""

from __future__ import annotations

import math
import random
import threading

import pytest

from nbviz.watching import Schedule
from nbviz.watching.schedule import AIM
from nbviz.watching.slices import TimeSlicer


# -- the interval and the ledger by hand -----------------------------------------------------------
def test_the_interval_widens_to_keep_snapshots_within_their_share_of_the_budget() -> None:
    s = Schedule(every=10, budget=0.1)
    assert s.interval == 10 and s.due(0)
    s.taken(0)
    s.add_step_time(0.1)
    s.add_cost(0.35)
    # 0.35 s per snapshot at 0.1 s per step: 0.35 / (0.7 · 0.1 · 0.1) = 50 steps
    assert s.interval == 50
    assert Schedule(every=10, adaptive=False).interval == 10
    cheap = Schedule(every=10)
    cheap.add_step_time(0.1)
    cheap.add_cost(0.001)
    assert cheap.interval == 10  # never below every


def test_a_due_snapshot_waits_until_the_ledger_has_room_for_it() -> None:
    s = Schedule(every=1, budget=0.1)
    s.taken(0)
    s.add_cost(0.3, typical=False)  # the first snapshot: counted, not averaged, the estimate until one is
    assert s.spent == pytest.approx(0.3) and s.sync_cost is None and s.expected_cost == pytest.approx(0.3)
    first = math.ceil(0.6 / (AIM * 0.1) / 0.1)  # steps of 0.1 s until AIM · budget covers 0.3 + 0.3 s: 67
    for step in range(1, first):
        s.add_step_time(0.1)
        assert s.interval == 43 and not s.due(step)  # 0.3 / (0.7 · 0.1 · 0.1): the first cost until one is averaged
    s.add_step_time(0.1)
    s.add_step_time(0.1)
    assert s.due(first + 1)
    s.taken(first + 1)
    s.add_cost(0.05)  # now 0.35 s spent, within the aim; interval ⌈0.05 / (0.7 · 0.1 · 0.1)⌉ = 8
    assert s.interval == 8 and s.expected_cost == pytest.approx(0.05)
    for step in range(first + 2, first + 30):
        s.add_step_time(0.1)
        assert s.due(step) == (step >= first + 1 + 8)
    assert Schedule(every=3, adaptive=False).affords(1e9)


def test_background_slices_leave_room_for_the_next_snapshot_and_the_margin() -> None:
    s = Schedule(every=10, budget=0.1)
    for _ in range(100):
        s.add_step_time(0.1)  # 10 s of training: 1 s of budget
    s.add_cost(0.25)
    assert s.room == pytest.approx(AIM * 1.0 - 0.25)
    assert s.margin == pytest.approx(0.25)  # no background measured yet: a snapshot's cost
    assert s.slice == pytest.approx(AIM - 0.25 - 0.25 - 0.25)
    s.note_chunk(0.05)
    s.note_chunk(0.02)  # the margin is the longest piece seen
    assert s.margin == pytest.approx(0.05) and s.slice == pytest.approx(AIM - 0.25 - 0.25 - 0.05)
    s.add_background(0.3)
    s.add_spent(0.01)
    assert s.background == pytest.approx(0.3) and s.spent == pytest.approx(0.56)
    assert s.overhead == pytest.approx(0.056)
    assert s.affords(AIM - 0.57) and not s.affords(AIM - 0.55)  # room: AIM · 1 s − 0.56
    s.stop()  # training over: what follows is not its overhead
    s.add_background(5.0)
    s.add_cost(1.0)
    s.add_step_time(1.0)
    assert s.overhead == pytest.approx(0.056)
    assert Schedule(every=1, adaptive=False).slice == float("inf")


def test_a_step_slowed_by_the_watchers_work_just_before_it_counts_the_excess_as_the_watchers() -> None:
    s = Schedule(every=10, budget=0.1)
    for _ in range(4):
        s.add_step_time(0.005)  # typical steps: 5 ms
    s.add_cost(0.02)
    s.add_step_time(0.008)  # right after a snapshot: 3 ms more than typical
    assert s.after_effect == pytest.approx(0.003) and s.spent == pytest.approx(0.023)
    assert s.trained == pytest.approx(0.025) and s.step_time == pytest.approx(0.005)  # not averaged in
    s.add_step_time(0.008)  # not after work: an ordinary (slow) step, all training
    assert s.spent == pytest.approx(0.023) and s.trained == pytest.approx(0.033)
    s.add_background(0.01)
    s.add_step_time(s.step_time - 0.001)  # faster than typical after work: the signed excess (noise) goes back
    assert s.after_effect == pytest.approx(0.002)


@pytest.mark.parametrize(("kwargs", "name"), [(dict(every=0), "every"), (dict(every=2.5), "every"), (dict(every=5, budget=0), "budget")])
def test_schedule_arguments_are_checked(kwargs, name) -> None:
    with pytest.raises(ValueError, match=name):
        Schedule(**kwargs)


# -- a training loop on a fake clock ---------------------------------------------------------------
def simulate(steps: int, step_time: float, snapshot: float, chunk: float, bookkeeping: float, jitter: float, seed: int = 0):
    """Drive a Schedule as ``watcher.step()`` does, on a fake clock: every step trains ``step_time``,
    due steps pay a snapshot, and whenever there is background work (always, here) the slice the schedule
    offers is used and overrun by up to one ``chunk`` (work is cut into pieces of that size). Costs vary
    by ± ``jitter``. Yields the schedule after each step, with the first snapshot's cost."""
    rng = random.Random(seed)

    def vary(x: float) -> float:
        return x * (1 + rng.uniform(-jitter, jitter))

    s = Schedule(every=10, budget=0.1)
    first = vary(snapshot)
    s.taken(0)
    s.add_cost(first, typical=False)
    for step in range(1, steps + 1):
        s.add_step_time(vary(step_time))
        if s.due(step):
            s.taken(step)
            s.add_cost(vary(snapshot))
        offered = s.slice
        if offered > 0:
            pieces = int(offered // chunk) + 1  # the first check past the deadline ends the slice
            s.add_background(sum(vary(chunk) for _ in range(pieces)))
            s.note_chunk(chunk * (1 + jitter))
        s.add_spent(bookkeeping)
        yield s, first


@pytest.mark.parametrize(
    ("step_time", "snapshot", "chunk"),
    [(0.004, 0.02, 0.015), (0.004, 0.02, 0.1), (0.05, 0.6, 0.08), (0.2, 0.01, 0.005)],
    ids=["digits-like", "coarse pieces", "shapes-like", "slow steps, cheap views"],
)
def test_the_count_never_exceeds_the_budget(step_time, snapshot, chunk) -> None:
    bookkeeping = 1e-5
    unforeseen = max(0.0, chunk - snapshot)  # the first slice's overrun, before any piece was measured
    for step, (s, first) in enumerate(simulate(2000, step_time, snapshot, chunk, bookkeeping, jitter=0.0), 1):
        # the first snapshot is paid before training; after it nothing is spent beyond the budget but
        # the bookkeeping of each step (sends, counting: microseconds, metered after the fact) and an
        # overrun longer than the margin guessed before the first piece was measured
        assert s.spent <= max(first, s.budget * s.trained) + unforeseen + bookkeeping * step + 1e-12
    assert s.overhead <= s.budget
    assert s.background > 0  # the background did run
    assert s.overhead > 0.7 * s.budget  # and the budget was used, not wasted


def test_with_varying_costs_the_count_overshoots_by_at_most_one_snapshots_misestimate() -> None:
    jitter = 0.3
    for step, (s, first) in enumerate(simulate(3000, 0.004, 0.02, 0.015, 1e-5, jitter=jitter, seed=3), 1):
        assert s.spent <= max(first, s.budget * s.trained) + 2 * jitter * 0.02 + 1e-5 * step
    assert s.overhead <= s.budget + 2 * jitter * 0.02 / s.trained


# -- the slicer between two threads -----------------------------------------------------------------
class Work:
    """``pieces`` pieces of gated work on a worker thread, each recording whether the main thread was
    inside ``grant`` while it ran."""

    def __init__(self, slicer: TimeSlicer, pieces: int) -> None:
        self.slicer, self.pieces = slicer, pieces
        self.in_grant = False  # set by the main thread around grant()
        self.ran: list[bool] = []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        self.slicer.enter()
        try:
            for k in range(self.pieces):
                if k:
                    self.slicer.checkpoint()
                self.ran.append(self.in_grant)
        finally:
            self.slicer.leave()

    def grant(self, seconds: float) -> float:
        self.in_grant = True
        try:
            return self.slicer.grant(seconds)
        finally:
            self.in_grant = False


def wait_pending(slicer: TimeSlicer, thread: threading.Thread) -> None:
    while not slicer.pending and thread.is_alive():
        thread.join(0.001)


def test_gated_work_runs_only_inside_grants_one_piece_per_expired_slice() -> None:
    slicer = TimeSlicer(patience=3600.0)
    work = Work(slicer, pieces=5)
    assert slicer.grant(1.0) == 0.0  # nobody waiting: nothing happens
    work.thread.start()
    for k in range(5):
        wait_pending(slicer, work.thread)
        assert len(work.ran) == k  # between grants, nothing ran
        assert work.grant(1e-12) >= 0.0  # a slice over before it starts: exactly one piece
        assert len(work.ran) == k + 1
    work.thread.join(10)
    assert not work.thread.is_alive() and work.ran == [True] * 5
    assert slicer.chunk > 0.0 and not slicer.pending


def test_a_long_slice_runs_every_piece_and_returns_when_the_work_ends() -> None:
    slicer = TimeSlicer(patience=3600.0)
    work = Work(slicer, pieces=50)
    work.thread.start()
    wait_pending(slicer, work.thread)
    work.grant(3600.0)  # returns when the work leaves, not at the deadline
    assert work.ran == [True] * 50 and not work.thread.is_alive() or work.thread.join(10) is None


def test_free_and_idle_workers_run_without_grants() -> None:
    slicer = TimeSlicer(free=True)
    work = Work(slicer, pieces=3)
    work.thread.start()
    work.thread.join(10)
    assert work.ran == [False] * 3  # free: ran with nobody granting
    slicer.set_free(False)
    idle = TimeSlicer(patience=0.01)  # nobody touches it: the training thread counts as gone
    work = Work(idle, pieces=3)
    work.thread.start()
    work.thread.join(10)
    assert work.ran == [False] * 3 and not work.thread.is_alive()


def test_freeing_a_waiting_worker_lets_it_finish() -> None:
    slicer = TimeSlicer(patience=3600.0)
    work = Work(slicer, pieces=4)
    work.thread.start()
    wait_pending(slicer, work.thread)
    work.grant(1e-12)
    wait_pending(slicer, work.thread)
    slicer.set_free(True)  # finish() or close(): no more turns needed
    work.thread.join(10)
    assert work.ran == [True, False, False, False]


def test_slicer_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="patience"):
        TimeSlicer(patience=0)
