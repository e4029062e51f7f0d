"""Explorers notice when the notebook changes the model's weights under their view: after an
optimiser step (torch's global step hook), while their work runs, or by any in-place edit before a
new request; ``refresh()`` (the front end's Refresh button) recomputes from the weights now."""

from __future__ import annotations

import copy
import gc
import threading
import time
import weakref

import numpy as np
import pytest
import torch
from torch import nn

import nbviz
from nbviz.widgets._weights import CHANGED_WHILE_COMPUTING, STALE_MESSAGE


@pytest.fixture
def model():
    return copy.deepcopy(nbviz.zoo.digits_cnn().model)


@pytest.fixture(scope="module")
def images():
    return nbviz.datasets.digits().images[:16]


def sgd_step(model: nn.Module, x: torch.Tensor, lr: float = 0.5) -> None:
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    opt.zero_grad()
    model(x).square().mean().backward()
    opt.step()


def test_an_optimiser_step_marks_the_view_stale_and_refresh_recomputes(model, images):
    e = nbviz.PredictionExplorer(model, images).wait()
    before = np.array(e.probabilities)
    assert e.stale == ""
    sgd_step(model, images)
    assert e.stale == STALE_MESSAGE  # at once, from the optimiser's step hook, with no new request
    assert np.array_equal(e.probabilities, before)  # the old view is kept, and flagged
    e.refresh()
    e.wait()
    assert e.stale == ""
    expected = torch.softmax(model.eval()(images), 1).detach().numpy()
    np.testing.assert_allclose(e.probabilities, expected, rtol=1e-5, atol=1e-6)
    e.close()


def test_an_in_place_edit_is_noticed_at_the_next_request(model, images):
    e = nbviz.SaliencyExplorer(model, images[:3], methods=["gradient"]).wait()
    with torch.no_grad():
        model.classifier[1].weight.mul_(2.0)  # no optimiser involved
    assert e.stale == ""
    e.index = 1
    e.wait()
    assert e.stale == STALE_MESSAGE
    e.close()


def test_weights_changing_while_the_work_runs_is_reported(model, images):
    started = threading.Event()

    def slow(module, inputs):  # the worker's forwards take a while: time for the notebook's step
        if threading.current_thread().name.startswith("nbviz-worker"):
            started.set()
            time.sleep(0.01)

    handle = nn.modules.module.register_module_forward_pre_hook(slow)
    try:
        e = nbviz.LandscapeExplorer(model, nn.CrossEntropyLoss(), (images, torch.arange(16) % 10), resolution=7, preview=None)
        assert started.wait(30)
        sgd_step(model, images)
        e.wait()
    finally:
        handle.remove()
    assert e.stale in (CHANGED_WHILE_COMPUTING, STALE_MESSAGE)
    e.refresh()
    e.wait()
    assert e.stale == ""
    e.close()


def test_the_front_end_refresh_message_refreshes(model, images):
    e = nbviz.OcclusionExplorer(model, images[:2], window=2, stride=2).wait()
    sgd_step(model, images)
    assert e.stale
    e._handle_custom_msg({"type": "refresh"}, [])
    e.wait()
    assert e.stale == ""
    e.close()


def test_the_weights_watch_keeps_no_explorer_alive(model, images):
    e = nbviz.PredictionExplorer(model, images[:4]).wait()
    ref = weakref.ref(e)
    e.close()
    del e
    gc.collect()
    assert ref() is None
    sgd_step(model, images)  # the global step hook meets only dead watches
