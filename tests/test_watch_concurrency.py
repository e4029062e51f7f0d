"""The user's model stays theirs while a training watcher works on it: the notebook trains the model,
switches train/eval, freezes and unfreezes a layer and runs its own hook, while the watcher's snapshots
(in the notebook's thread) and background views (the t-SNE map and the loss surface, on the worker) run.
At every step the model must equal an untouched copy given the same treatment, keep the modes,
``requires_grad`` flags and hooks the user set, and the watcher must have seen the user's weights."""

from __future__ import annotations

import copy
import threading
import time

import pytest
import torch
from torch import nn

import nbviz
from guard_checks import HOOK_DICTS, NotebookUser

MIN_OVERLAP = 3  # notebook steps taken while the watcher's background work was running
PROBE = 96


@pytest.fixture
def slow_worker():
    """Module calls on nbviz's worker thread (the loss surface's forwards) take 5 ms longer, so the
    background views overlap several of the notebook's steps on any machine (a global hook: the user's
    model carries none)."""

    def pause(module, inputs):
        if threading.current_thread().name.startswith("nbviz-worker"):
            time.sleep(0.005)

    handle = nn.modules.module.register_module_forward_pre_hook(pause)
    yield
    handle.remove()


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _hooks(model: nn.Module) -> int:
    return sum(len(getattr(m, d)) for m in model.modules() for d in HOOK_DICTS)


def test_the_notebook_changes_the_model_while_the_watcher_works(slow_worker):
    digits = nbviz.datasets.digits()
    model = copy.deepcopy(nbviz.zoo.digits_cnn().model)
    x, y = digits.images[:PROBE], digits.labels[:PROBE]
    user = NotebookUser(model, digits.images[:16])
    watcher = nbviz.watch(model, (x, y), every=1, adaptive=False)
    first = model.features[0]
    overlap, seen = 0, 0
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            busy = watcher._runner.busy
            user.step()  # eval forward, train(), backward, optimiser step, its own hook, eval() again
            with torch.no_grad():  # what the snapshot must see: the untouched copy's probe loss, in eval mode
                expected = nn.functional.cross_entropy(user.reference.eval()(x), y).item()
            # the training loop's own state when it calls the watcher: train mode, one layer frozen, a hook of its own
            model.train()
            first.weight.requires_grad_(False)
            calls: list[int] = []
            handle = first.register_forward_hook(lambda m, i, o, calls=calls: calls.append(1))
            before = _state(model)
            watcher.step()  # a snapshot every step: a guarded eval-mode forward of the probe, in this thread
            after = _state(model)
            assert all(torch.equal(before[k], after[k]) for k in before), f"step {user.steps}: the snapshot changed weights or BatchNorm statistics"
            assert all(m.training for m in model.modules()), f"step {user.steps}: the user's train() was undone"
            assert not first.weight.requires_grad and first.bias.requires_grad, f"step {user.steps}: requires_grad changed"
            assert calls == [], "the user's hook ran on the watcher's forward (it runs on the shadow)"
            assert _hooks(model) == 1, f"step {user.steps}: hooks other than the user's on the model"
            with torch.no_grad():  # a train-mode forward updates BatchNorm statistics: the copy gets the same
                model(x[:4]), user.reference.train()(x[:4])
            assert calls == [1], "the user's own hook did not run on the user's forward"
            handle.remove()
            first.weight.requires_grad_(True)
            snap = watcher.snapshots[-1]  # the snapshot saw the user's weights
            assert snap.step == user.steps and snap.loss == pytest.approx(expected, rel=1e-4, abs=1e-6)
            model.eval()
            seen += 1
            overlap += busy and watcher._runner.busy
            if overlap >= MIN_OVERLAP and seen >= 6:
                break
        assert overlap >= MIN_OVERLAP, f"only {overlap} notebook steps overlapped the watcher's background work"
        watcher.finish(120)
        assert not watcher.error, watcher.error
        assert len(watcher.maps_by_step) >= 2 and watcher.surface is not None and watcher.path.shape[0] >= 3
        user.step()  # and after the work, still the user's model
        assert _hooks(model) == 0
    finally:
        watcher.close()
