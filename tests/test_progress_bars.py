"""Long compute calls show a progress bar (tqdm.auto) when called without ``progress=``: one bar per
call (nested calls show none of their own), none with ``progress=False``, none for calls quicker than
AUTO_DELAY, none from worker threads (explorers pass their own callbacks), and callbacks as before."""

from __future__ import annotations

import threading

import pytest
import torch
from torch import nn

import nbviz
import nbviz._progress as progress_module


@pytest.fixture
def model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)).eval()


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(0)
    return torch.rand(12, 3, 16, 16, generator=g), torch.randint(0, 3, (12,), generator=g)


@pytest.fixture
def always(monkeypatch):
    """Every call counts as long (the delay is a setting, not a clock reading in the test)."""
    monkeypatch.setattr(progress_module, "AUTO_DELAY", 0.0)


def test_a_landscape_without_a_callback_shows_a_bar(model, data, always, capsys):
    nbviz.landscape.plane(model, nn.CrossEntropyLoss(), data, resolution=51, preview=None)
    err = capsys.readouterr().err
    assert "loss plane" in err and "%" in err


def test_progress_false_shows_none(model, data, always, capsys):
    nbviz.landscape.plane(model, nn.CrossEntropyLoss(), data, resolution=5, preview=None, progress=False)
    nbviz.saliency(model, data[0][:2], method="gradient", progress=False)
    assert capsys.readouterr().err == ""


def test_quick_calls_show_none(model, data, monkeypatch, capsys):
    monkeypatch.setattr(progress_module, "AUTO_DELAY", 3600.0)
    nbviz.saliency(model, data[0][:2], method="gradient")
    assert capsys.readouterr().err == ""


def test_a_callback_works_as_before_and_nested_calls_show_one_bar(model, data, always, capsys):
    seen = []
    nbviz.saliency(model, data[0][:2], method="integrated_gradients", progress=lambda f, m: seen.append(f))
    assert seen and seen[-1] == 1.0 and capsys.readouterr().err == ""
    masks = torch.zeros(12, 16, 16, dtype=torch.bool)
    masks[:, 4:12, 4:12] = True
    nbviz.pointing_game("gradient", model, data[0], masks, chunk_size=4)
    err = capsys.readouterr().err
    assert "pointing game" in err and "saliency" not in err  # the inner saliency calls show no bar


def test_worker_threads_show_none(model, data, always, capsys):
    thread = threading.Thread(target=lambda: nbviz.saliency(model, data[0][:2], method="gradient"))
    thread.start()
    thread.join()
    assert capsys.readouterr().err == ""
