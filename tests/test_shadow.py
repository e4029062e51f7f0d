"""The model's shadow (nbviz/_shadow.py) keeps the promises its docstring makes, checked one by one:
shared weight storage (no copy) unless asked to copy, tied weights stay tied, own containers, module
identity kept across syncs, bound methods and torch.compile wrappers rebound to shadows; and the
TorchScript fallback of the guard (nbviz/_guard.py) puts everything back.

Written to kill the mutants `python benchmarks/mutation.py guard` found surviving."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nbviz._guard import model_guard
from nbviz._shadow import Shadow


class Wrapper(nn.Module):
    """Calls its child through a bound method stored on the instance, and keeps a plain list."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
        self.tied = nn.Linear(4, 4, bias=False)
        self.tied.weight = self.inner[0].weight
        self.call_inner = self.inner.__call__
        self.notes = ["user"]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.tied(self.call_inner(x))


def synced(model: nn.Module, **kwargs) -> tuple[Shadow, nn.Module]:
    shadow = Shadow(model)
    return shadow, shadow.sync(**kwargs)


def test_parameters_share_the_users_storage_and_tied_weights_stay_tied():
    model = Wrapper()
    shadow, root = synced(model)
    user, own = model.inner[0].weight, root.inner[0].weight
    assert own is not user and own.data_ptr() == user.data_ptr()  # its own Parameter, no copy
    assert root.tied.weight is own  # tied in the user's model → one parameter in the shadow
    assert root.inner[1].running_mean is model.inner[1].running_mean  # buffers are the user's, read only


def test_copy_parameters_clones_weights_and_buffers():
    model = Wrapper()
    model.inner[1].running_mean.fill_(0.25)
    shadow, root = synced(model, copy_parameters=True)
    own, user = root.inner[0].weight, model.inner[0].weight
    assert own.data_ptr() != user.data_ptr() and torch.equal(own, user)
    mean = root.inner[1].running_mean
    assert mean is not model.inner[1].running_mean and torch.equal(mean, model.inner[1].running_mean)
    with torch.no_grad():
        own.add_(1.0)
        mean.add_(1.0)
    assert torch.equal(model.inner[1].running_mean, torch.full((4,), 0.25))
    assert not torch.equal(own, user)


def test_containers_are_copies():
    model = Wrapper()
    _, root = synced(model)
    root.notes.append("nbviz")
    assert model.notes == ["user"]


def test_bound_methods_call_into_the_shadows():
    model = Wrapper()
    shadow, root = synced(model)
    assert root.call_inner.__self__ is root.inner is shadow.resolve(model.inner)
    seen = []
    root.inner.register_forward_hook(lambda m, i, o: seen.append("shadow"))
    model.inner.register_forward_hook(lambda m, i, o: seen.append("user"))
    root.eval()(torch.randn(2, 4))
    assert seen == ["shadow"]


def test_sync_keeps_identity_and_follows_a_replaced_module():
    model = Wrapper()
    shadow = Shadow(model)
    first = shadow.sync()
    linear = first.inner[0]
    again = shadow.sync()
    assert again is first and again.inner[0] is linear  # same objects: cached probes stay valid
    model.inner[0] = nn.Conv1d(4, 4, 1)
    third = shadow.sync()
    assert type(third.inner[0]) is nn.Conv1d


def test_the_shadow_of_a_gone_model_says_so():
    shadow = Shadow(Wrapper())  # the model is dropped at once
    with pytest.raises(ReferenceError, match="the model of this shadow is gone"):
        _ = shadow.root


def test_torch_compile_wrapper_runs_the_original_module_uncompiled():
    model = nn.Sequential(nn.Linear(3, 2))
    compiled = torch.compile(model)
    shadow, root = synced(compiled)
    assert root.forward is shadow.resolve(model)  # the shadow of _orig_mod
    seen = []
    shadow.resolve(model[0]).register_forward_hook(lambda m, i, o: seen.append(1))
    root(torch.randn(2, 3))
    assert seen == [1]  # so nbviz's hooks fire there


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")
def test_torchscript_fallback_restores_modes_flags_grads_and_weights():
    model = torch.jit.script(nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3)).eval())
    weight = model[0].weight
    weight.grad = torch.ones_like(weight)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with model_guard(model, eval=False) as guard:
        assert guard.model is model
        model.train()
        model(torch.randn(8, 3))  # updates the BatchNorm statistics
        with torch.no_grad():
            weight.add_(1.0)
        weight.requires_grad_(False)
        weight.grad = None
    after = model.state_dict()
    assert all(torch.equal(after[k], v) for k, v in before.items())
    assert not model.training and not model[1].training
    assert weight.requires_grad and torch.equal(weight.grad, torch.ones_like(weight))
