"""The measured batch-size choice (nbviz/_batch_size.py) and its use by the landscape evaluator."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from torch import nn

from landscape_models import at_point, digits, hand_loss, tiny_cnn
from nbviz._batch_size import ActivationMeter, BatchSizeChooser, candidate_sizes, trial_clock
from nbviz.landscape import plane
from nbviz.landscape.evaluate import DataSource, Evaluator


def test_candidates_are_powers_of_two_then_all():
    assert candidate_sizes(1797) == [16, 32, 64, 128, 256, 512, 1024, 1797]
    assert candidate_sizes(1024) == [16, 32, 64, 128, 256, 512, 1024]
    assert candidate_sizes(10) == [10]
    assert candidate_sizes(100, smallest=20) == [32, 64, 100]
    with pytest.raises(ValueError, match="n: expected a positive integer"):
        candidate_sizes(0)


def test_activation_meter_counts_each_output_once():
    # by hand, batch 5: Linear 5×8 floats, ReLU in place (the same tensor), Linear 5×3, the Sequential
    # returns the last Linear's tensor: (40 + 15) × 4 bytes
    inplace = nn.Sequential(nn.Linear(4, 8), nn.ReLU(inplace=True), nn.Linear(8, 3))
    with torch.inference_mode(), ActivationMeter(inplace) as meter:
        inplace(torch.randn(5, 4))
    assert meter.bytes == (40 + 15) * 4
    separate = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))  # ReLU makes a new 5×8 tensor
    with torch.inference_mode(), ActivationMeter(separate) as meter:
        separate(torch.randn(5, 4))
    assert meter.bytes == (40 + 40 + 15) * 4
    assert not separate._forward_hooks and not separate[0]._forward_hooks  # hooks removed


def test_activation_meter_counts_an_output_at_a_recycled_address():
    """The allocator may give a later output the address of an earlier, freed one (this happened in CI:
    the last Linear's 5×3 output landed where the first Linear's freed output had been, and went
    uncounted). Reproduced deterministically: two outputs at one address, the first gone before the second."""
    model = nn.Linear(2, 2)
    buffer = torch.zeros(10)
    with ActivationMeter(model) as meter:
        first = buffer[:5]  # a tensor object at (buffer's storage, offset 0)
        meter._hook(model, (), first)
        meter._hook(model, (), first)  # the same live tensor passed on (a container, an in-place op): once
        assert meter.bytes == 5 * 4
        del first
        meter._hook(model, (), buffer[:5])  # a new output at the same address after the first was freed
    assert meter.bytes == 2 * 5 * 4


def drive(chooser: BatchSizeChooser, per_sample, n: int, limit: int = 100) -> list[int]:
    """Run units until the chooser settles, with ``per_sample(size)`` seconds per sample; the sizes used."""
    used = []
    while not chooser.settled and len(used) < limit:
        size = chooser.size
        used.append(size)
        chooser.record(size, per_sample(size) * n, n)
    return used


@pytest.mark.parametrize("fastest", [16, 64, 256, 1024, 1797])
def test_chooser_finds_the_fastest_of_a_unimodal_cost(fastest):
    n = 1797
    sizes = candidate_sizes(n)

    def cost(b: int) -> float:  # per-sample seconds, lowest at ``fastest``, rising away from it on a log scale
        return 1e-5 * (1 + 0.3 * abs(sizes.index(b) - sizes.index(fastest)))

    chooser = BatchSizeChooser(n)
    used = drive(chooser, cost, n)
    assert chooser.settled and chooser.size == fastest
    assert len(used) <= 2 * len(sizes)
    assert used[0] == 256  # starts near the old default


def test_chooser_recovers_from_a_slow_first_timing():
    """A warm-up (or a disturbed) first timing of the true fastest size is re-measured before settling."""
    n, calls = 1797, {"n": 0}

    def cost(b: int) -> float:
        calls["n"] += 1
        base = 1e-5 * (1 + 0.1 * abs(np.log2(b) - np.log2(256)))
        return base * (3.0 if calls["n"] == 1 else 1.0)  # the first unit ran 3× slow

    chooser = BatchSizeChooser(n)
    drive(chooser, cost, n)
    assert chooser.size == 256


def test_forced_size_is_always_used():
    chooser = BatchSizeChooser(1797, forced=100)
    assert chooser.settled and chooser.size == 100
    chooser.record(100, 1.0, 1797)
    chooser.limit_memory(1e12)
    assert chooser.size == 100
    with pytest.raises(ValueError, match="batch_size: expected a positive integer"):
        BatchSizeChooser(1797, forced=0)


def test_memory_budget_caps_the_candidates():
    chooser = BatchSizeChooser(1797, memory_budget=64 * 2**20)
    chooser.limit_memory(2**20)  # 1 MiB a sample: at most 64 per forward
    assert chooser.candidates == [16, 32, 64]
    assert chooser.size == 64  # the nearest to the start that fits
    huge = BatchSizeChooser(1797, memory_budget=2**20)
    huge.limit_memory(2**30)  # not even the smallest fits: keep it rather than fail
    assert huge.candidates == [16]
    with pytest.raises(ValueError, match="memory_budget"):
        BatchSizeChooser(10, memory_budget=0)


def test_plane_values_do_not_depend_on_the_batch_size():
    """Measured, forced small (uneven last batch) and all-at-once batches give the same plane, which
    matches plain full-data forwards of a moved copy of the model (the independent reference)."""
    model, (x, y), loss_fn = tiny_cnn(), digits(300), nn.CrossEntropyLoss()
    runs = {b: plane(model, loss_fn, (x, y), resolution=5, seed=3, progress=False, batch_size=b) for b in (None, 7, 300)}
    for b in (7, 300):
        np.testing.assert_allclose(runs[b].loss, runs[None].loss, rtol=2e-6, atol=1e-7)
        np.testing.assert_allclose(runs[b].accuracy, runs[None].accuracy, atol=1e-12)
    r = runs[None]
    for i, j in [(0, 0), (2, 2), (4, 1)]:
        loss, acc = hand_loss(at_point(model, *r.directions, r.alphas[j], r.betas[i]), loss_fn, x, y)
        assert r.loss[i, j] == pytest.approx(loss, rel=2e-6)
        assert r.accuracy[i, j] == pytest.approx(acc, abs=1e-12)


def test_every_timed_pass_counts_toward_the_result():
    """The chooser's trials are the points themselves: the model sees each sample once per point, no more."""
    model, (x, y) = tiny_cnn(), digits(300)
    seen = []
    handle = model.register_forward_pre_hook(lambda _m, args: seen.append(int(args[0].shape[0])))
    try:
        theta = {n: p.detach() for n, p in model.named_parameters()}
        evaluator = Evaluator(model.eval(), nn.CrossEntropyLoss(), DataSource((x, y), None, torch.device("cpu")))
        points = list(range(30))
        values = evaluator.evaluate(lambda k: {n: t * (1 + 0.01 * k) for n, t in theta.items()}, points)
    finally:
        handle.remove()
    assert sum(seen) == len(points) * len(x)
    assert np.isfinite(values.loss).all()
    assert evaluator.chooser is not None and evaluator.chooser.timings  # sizes were timed on those points
    assert set(evaluator.chooser.timings) <= set(candidate_sizes(len(x)))


def test_generator_data_is_held_as_one_pair():
    (x, y) = digits(100)
    source = DataSource(((x[i : i + 30], y[i : i + 30]) for i in range(0, 100, 30)), None, torch.device("cpu"))
    pair = source.in_memory()
    assert pair is not None and torch.equal(pair[0], x) and torch.equal(pair[1], y)


def test_trial_clock_skips_time_off_the_cpu_on_one_thread_only():
    """One torch thread: the thread's CPU time (a sleep, like preemption, does not count); more: wall time."""
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        t0 = trial_clock()
        time.sleep(0.2)
        assert trial_clock() - t0 < 0.1
        torch.set_num_threads(2)
        t0 = trial_clock()
        time.sleep(0.2)
        assert trial_clock() - t0 >= 0.2
    finally:
        torch.set_num_threads(threads)


def test_chooser_looks_past_a_near_tie():
    """512 timed 1% slower than 256 (noise), 1,024 truly fastest: the climb goes past the near-tie.
    With ``tie=0`` it stops at 256, so the look-beyond is what finds 1,024."""
    n = 11_380
    timed = {256: 20e-6, 512: 20.2e-6, 1024: 17e-6, 2048: 17.5e-6}

    def cost(b: int) -> float:
        return timed.get(b, 25e-6)

    chooser = BatchSizeChooser(n)
    used = drive(chooser, cost, n)
    assert chooser.size == 1024 and len(used) <= 2 * len(chooser.candidates)
    strict = BatchSizeChooser(n, tie=0.0)
    drive(strict, cost, n)
    assert strict.size == 256
    with pytest.raises(ValueError, match="tie"):
        BatchSizeChooser(n, tie=1.5)


def test_recheck_leaves_a_size_that_looked_fast_under_a_burst_of_load():
    """The first trials ran under load (every size but 256 timed 40% slow); later units run at the
    true costs, fastest at 1,024. Without rechecks the chooser stays at 256 for good; with
    ``recheck=8`` it re-times a neighbour after 8 units, resumes the climb and ends at 1,024, and the
    rechecks cost at most one unit in 8 once settled there."""
    n = 11_380
    true = {256: 10e-6, 512: 8e-6, 1024: 7e-6, 2048: 7.6e-6}
    units = {"n": 0}

    def cost(b: int) -> float:
        units["n"] += 1
        base = true.get(b, 12e-6)
        return base * 1.4 if units["n"] <= 6 and b != 256 else base

    stuck = BatchSizeChooser(n)
    drive(stuck, cost, n)
    assert stuck.size == 256
    units["n"] = 0
    chooser = BatchSizeChooser(n, recheck=8)
    sizes = []
    for _ in range(200):
        size = chooser.size
        sizes.append(size)
        chooser.record(size, cost(size) * n, n)
    assert chooser.best == 1024
    tail = sizes[100:]
    assert tail.count(1024) >= len(tail) * 7 / 9
    with pytest.raises(ValueError, match="recheck"):
        BatchSizeChooser(n, recheck=-1)
    single = BatchSizeChooser(10, forced=4, recheck=2)
    for _ in range(5):
        single.record(4, 1.0, 10)
        assert single.size == 4


def test_extra_candidates_join_the_powers_of_two():
    chooser = BatchSizeChooser(445, extra=(83, 1000), start=83)
    assert chooser.candidates == [16, 32, 64, 83, 128, 256, 445]  # 1000 > n is left out
    assert chooser.size == 83  # timed first
    with pytest.raises(ValueError, match="extra: expected a positive integer"):
        BatchSizeChooser(445, extra=(0,))
