"""Assertions that an nbviz call left a model exactly as it found it."""

from __future__ import annotations

import torch
from torch import nn

HOOK_DICTS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")


class ModelSnapshot:
    """Deep copy of everything the model guard promises to restore."""

    def __init__(self, model: nn.Module) -> None:
        self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        self.training = [m.training for m in model.modules()]
        self.requires_grad = [p.requires_grad for p in model.parameters()]
        self.grads = [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()]
        self.hooks = [sum(len(getattr(m, d)) for d in HOOK_DICTS) for m in model.modules()]

    def assert_unchanged(self, model: nn.Module) -> None:
        state = model.state_dict()
        assert state.keys() == self.state.keys()
        for key, saved in self.state.items():
            assert torch.equal(state[key], saved), f"{key} changed"
        assert [m.training for m in model.modules()] == self.training, "train/eval flags changed"
        assert [p.requires_grad for p in model.parameters()] == self.requires_grad, "requires_grad changed"
        for p, saved in zip(model.parameters(), self.grads):
            assert (p.grad is None) == (saved is None) and (saved is None or torch.equal(p.grad, saved)), ".grad changed"
        hooks = [sum(len(getattr(m, d)) for d in HOOK_DICTS) for m in model.modules()]
        assert hooks == self.hooks, "hooks left registered"


def assert_guarded(model: nn.Module, call, *, interrupt_via_progress: bool = True) -> None:
    """Run ``call(progress)`` normally, with an exception and with a KeyboardInterrupt raised from
    ``progress``; after each the model must be unchanged. ``call`` must accept a progress callback
    and report at least once."""
    snapshot = ModelSnapshot(model)
    call(None)
    snapshot.assert_unchanged(model)
    for error in (RuntimeError("boom"), KeyboardInterrupt()):

        def progress(fraction: float, message: str, error=error):
            raise error

        try:
            call(progress)
        except (RuntimeError, KeyboardInterrupt):
            pass
        else:
            raise AssertionError("the progress callback was never called")
        snapshot.assert_unchanged(model)
