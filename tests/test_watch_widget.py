"""WatchExplorer: snapshots on schedule, the scrubber replays them, the optimiser hook, argument errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import nbviz
from nbviz.widgets.watch import WatchExplorer


def setup(seed: int = 0) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(8, 2),
    )  # fmt: skip
    x = torch.rand(48, 3, 10, 10)
    y = (x[:, 0].mean((1, 2)) > x[:, 1].mean((1, 2))).long()  # learnable: which channel is brighter
    return model, x, y


def train(watcher: WatchExplorer, model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, call_step: bool = True) -> None:
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if call_step:
            watcher.step(loss=loss)


def test_snapshots_follow_the_schedule_and_fill_the_timeline() -> None:
    model, x, y = setup()
    w = nbviz.watch(model, (x, y), every=4, adaptive=False, probe_size=32, tsne=False, surface=False)
    assert isinstance(w, WatchExplorer) and w.map_layer == "2"
    train(w, model, x, y, 13)
    w.wait()  # sends the step count and losses held back between snapshots
    assert list(w.snapshot_steps) == [0, 4, 8, 12]
    assert w.steps_done == 13 and len(w.train_loss) == 13
    assert w.sparsity.shape == (4, len(w.layer_names)) and w.dead.shape == w.sparsity.shape
    assert w.frame == 3 and w.live
    assert w.filters.shape == (6, 3, 3, 3) and w.maps.shape == (8, 6, 10, 10)
    assert w.probe_images.shape == (8, 10, 10, 3)
    assert np.isfinite(w.probe_accuracy).all()
    w.close()


def test_the_scrubber_replays_an_earlier_snapshot() -> None:
    model, x, y = setup()
    w = WatchExplorer(model, (x, y), every=3, adaptive=False, probe_size=32, tsne=False, surface=False)
    train(w, model, x, y, 10)
    first = w.snapshots[0]
    w.live = False
    w.frame = 0
    np.testing.assert_array_equal(w.filters, first.filters)
    np.testing.assert_array_equal(w.maps, first.maps)
    assert not np.array_equal(w.snapshots[-1].filters, first.filters)  # training changed them
    train(w, model, x, y, 3)  # not following: new snapshots do not move the frame
    assert w.frame == 0 and len(w.snapshot_steps) == 5
    w.close()


def test_background_views_arrive_for_the_newest_snapshot() -> None:
    model, x, y = setup()
    w = WatchExplorer(model, (x, y), every=2, adaptive=False, probe_size=40)
    train(w, model, x, y, 7)
    w.wait(300)
    assert w.error == ""
    assert w.embedding.shape == (40, 2) and w.embedding_step == 6
    assert w.surface.shape == (9, 9) and w.surface_step == 6 and len(w.path) == 4
    assert np.allclose(w.path[-1], 0)  # the newest snapshot is the surface's centre
    w.close()


def test_finish_adds_a_last_snapshot_with_every_view_whatever_the_budget() -> None:
    model, x, y = setup()
    w = WatchExplorer(model, (x, y), every=4, adaptive=False, probe_size=40)
    w.schedule.affords = lambda seconds: False  # a budget that affords no background view
    train(w, model, x, y, 11)
    w.wait()
    assert w.embedding_step == 0 and w.surface is None  # only the first map, made before training
    assert list(w.path_steps) == [0, 4, 8]  # the path alone (PCA, cheap), no surface
    w.finish()
    assert w.snapshot_steps[-1] == 11 and w.embedding_step == 11 and w.surface_step == 11
    assert sorted(w.maps_by_step) == [0, 11] and w.error == ""
    w.close()


def test_attach_steps_after_every_optimiser_step_until_detached() -> None:
    model, x, y = setup()
    w = WatchExplorer(model, (x, y), every=1, adaptive=False, probe_size=16, tsne=False, surface=False)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    w.attach(opt)
    for _ in range(3):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    assert w.steps_done == 3 and list(w.snapshot_steps) == [0, 1, 2, 3]  # 0: when it was made
    w.detach()
    opt.step()
    assert w.steps_done == 3
    with pytest.raises(TypeError, match="optimizer"):
        w.attach(model)
    w.close()


def test_the_adaptive_interval_keeps_the_measured_overhead_in_budget() -> None:
    model, x, y = setup()
    w = WatchExplorer(model, (x, y), every=1, budget=0.1, probe_size=48, tsne=False, surface=False)
    train(w, model, x, y, 60)
    # a snapshot (a forward of 48 probe images and copies) costs more than 7 % of one step here,
    # so the interval must have widened beyond every=1 and the overhead stays near the budget
    assert w.interval > 1
    assert len(w.snapshot_steps) < 60
    w.close()


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(every=0), ValueError, "every"),
        (dict(budget=2.0), ValueError, "budget"),
        (dict(loss_fn=3), TypeError, "loss_fn"),
        (dict(layer="8"), ValueError, "layer"),
        (dict(evry=3), TypeError, "every"),
    ],
)
def test_arguments_are_checked(kwargs, error, name) -> None:
    model, x, y = setup()
    with pytest.raises(error, match=name):
        WatchExplorer(model, (x, y), **kwargs)
    with pytest.raises(TypeError, match="model"):
        WatchExplorer("model", (x, y))
