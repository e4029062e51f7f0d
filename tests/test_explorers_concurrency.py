"""Every explorer computes on a worker thread while the notebook keeps using the same model: the
notebook's forwards, ``train()``/``eval()``, backward passes, optimiser steps and hooks must see exactly
what an untouched copy of the model shows, and nothing the notebook does may be undone."""

from __future__ import annotations

import copy
import time

import pytest
from torch import nn

import nbviz
from guard_checks import NotebookUser

MIN_OVERLAP = 3  # notebook steps taken while the explorer's work was running


@pytest.fixture(scope="module")
def digits():
    return nbviz.datasets.digits()


def _explorers(model: nn.Module, digits) -> dict:
    images, labels = digits.images, digits.labels
    ce = nn.CrossEntropyLoss()
    return {
        "layers": lambda: nbviz.LayerExplorer(model, images[:8], dataset=images[:400]),
        "saliency": lambda: nbviz.SaliencyExplorer(model, images[:6]),
        "occlusion": lambda: nbviz.OcclusionExplorer(model, images[:3], window=2, stride=1),
        "tsne": lambda: nbviz.TSNEExplorer((model, images[:300], "features.8"), n_iter=300),
        "landscape": lambda: nbviz.LandscapeExplorer(model, ce, (images[:600], labels[:600]), resolution=15, preview=None),
        "featurevis": lambda: nbviz.FeatureVisExplorer(model, images[:60], layer="features.3", units=[0, 1], steps=150),
        "predictions": lambda: nbviz.PredictionExplorer(model, images[:64], labels[:64]),
        "explore": lambda: nbviz.explore(model, digits, n_iter=250),
    }


@pytest.fixture
def slow_worker():
    """Module calls on nbviz's worker thread take longer (the first 40 by 20 ms, later ones by 1 ms;
    a global hook: the user's model carries none), so even the shortest work overlaps several of the
    notebook's steps on any machine."""
    import threading

    calls = [0]

    def pause(module, inputs):
        if threading.current_thread().name.startswith("nbviz-worker"):
            calls[0] += 1
            time.sleep(0.02 if calls[0] <= 40 else 0.001)

    handle = nn.modules.module.register_module_forward_pre_hook(pause)
    yield
    handle.remove()


def _busy(explorer) -> bool:
    parts = getattr(explorer, "explorers", (explorer,))
    return any(part._runner.busy for part in parts)


KINDS = ["layers", "saliency", "occlusion", "tsne", "landscape", "featurevis", "predictions", "explore"]


@pytest.mark.parametrize("kind", KINDS)
def test_notebook_trains_the_model_while_an_explorer_computes(kind, digits, slow_worker):
    model = copy.deepcopy(nbviz.zoo.digits_cnn().model)
    user = NotebookUser(model, digits.images[:16])
    explorer = _explorers(model, digits)[kind]()
    overlap = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        busy = _busy(explorer)
        user.step()
        overlap += busy and _busy(explorer)
        if not busy and user.steps >= MIN_OVERLAP:
            break
    explorer.wait(120)
    assert overlap >= MIN_OVERLAP, f"only {overlap} notebook steps overlapped the work"
    parts = getattr(explorer, "explorers", (explorer,))
    errors = [part.error for part in parts if part.error]
    assert not errors, errors
    user.step()  # and after the work, still the user's model
    explorer.close()


def test_the_issue_reproduction_training_during_a_landscape(digits):
    """Issue 16's reproduction: while a LandscapeExplorer computes, ``m.train(); loss(m(X), y).backward()``
    failed with "element 0 of tensors does not require grad" (the guard had frozen every parameter)."""
    model = copy.deepcopy(nbviz.zoo.digits_cnn().model)
    loss = nn.CrossEntropyLoss()
    X, y = digits.images[:400], digits.labels[:400]
    land = nbviz.LandscapeExplorer(model, loss, (X, y), resolution=41, preview=None)
    try:
        assert land._runner.busy
        model.train()
        loss(model(X), y).backward()
        assert all(p.grad is not None for p in model.parameters())
        assert land._runner.busy, "the check ran while the landscape was computing"
    finally:
        land.close()
