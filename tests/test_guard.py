import pytest
import torch
from torch import nn

from guard_checks import ModelSnapshot
from nbviz._guard import model_device, model_guard


def net() -> nn.Module:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    model.train()
    model[0].bias.requires_grad_(False)
    model(torch.randn(2, 1, 8, 8)).sum().backward()  # an existing .grad to keep
    model[1].eval()  # mixed modes
    return model


def vandalise(model: nn.Module, guard) -> None:
    """Everything the guard promises to undo."""
    guard.forward_hook(model[0], lambda m, i, o: None)
    guard.forward_pre_hook(model[2], lambda m, i: None)
    guard.backward_hook(model[4], lambda m, gi, go: None)
    model.train()
    model(torch.randn(4, 1, 8, 8))  # BN running stats change in train mode
    with torch.no_grad():
        model[4].weight.add_(1.0)
    for p in model.parameters():
        p.requires_grad_(True)
        p.grad = None


@pytest.mark.parametrize("ending", ["return", "error", "interrupt"])
def test_guard_restores_everything(ending):
    model = net()
    snapshot = ModelSnapshot(model)
    with pytest.raises((RuntimeError, KeyboardInterrupt)) if ending != "return" else _nothing():
        with model_guard(model, writes_parameters=True) as guard:
            assert not any(m.training for m in model.modules()), "eval inside"
            assert not any(p.requires_grad for p in model.parameters()), "frozen inside"
            vandalise(model, guard)
            if ending == "error":
                raise RuntimeError("boom")
            if ending == "interrupt":
                raise KeyboardInterrupt
    snapshot.assert_unchanged(model)


def test_snapshot_detects_changes():
    """The assertion helper itself must be able to fail."""
    model = net()
    snapshot = ModelSnapshot(model)
    model[0].register_forward_hook(lambda m, i, o: None)
    with pytest.raises(AssertionError, match="hooks"):
        snapshot.assert_unchanged(model)
    model = net()
    snapshot = ModelSnapshot(model)
    with torch.no_grad():
        model[4].weight[0, 0] += 1e-7
    with pytest.raises(AssertionError, match="changed"):
        snapshot.assert_unchanged(model)


def test_guard_without_writes_keeps_weights_object_identity():
    model = net()
    weight = model[4].weight
    with model_guard(model):
        pass
    assert model[4].weight is weight


def test_input_gradients_flow_inside_guard():
    model = net()
    x = torch.randn(1, 1, 8, 8, requires_grad=True)
    with model_guard(model):
        model(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_guard_rejects_non_modules():
    with pytest.raises(TypeError, match="model"):
        with model_guard("not a model"):  # type: ignore[arg-type]
            pass


def test_model_device():
    assert model_device(nn.Linear(2, 2)) == torch.device("cpu")
    assert model_device(nn.ReLU()) == torch.device("cpu")


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_guards_on_one_model_from_two_threads_take_turns():
    """A worker thread's guarded work and a second guarded call never overlap on the same model,
    so neither snapshots the other's temporary state (eval mode, frozen parameters, hooks)."""
    import threading
    import time

    model = net()
    snapshot = ModelSnapshot(model)
    inside = []
    entered = threading.Event()

    def worker():
        with model_guard(model) as guard:
            guard.forward_hook(model[0], lambda m, i, o: None)
            inside.append("worker in")
            entered.set()
            time.sleep(0.2)
            inside.append("worker out")

    thread = threading.Thread(target=worker)
    thread.start()
    entered.wait(5)
    with model_guard(model):
        inside.append("main in")
        assert not model[0]._forward_hooks, "the worker's hooks are gone before the main call starts"
    thread.join()
    assert inside == ["worker in", "worker out", "main in"]
    snapshot.assert_unchanged(model)


def test_nested_guards_in_one_thread_do_not_deadlock():
    model = net()
    snapshot = ModelSnapshot(model)
    with model_guard(model):
        with model_guard(model, writes_parameters=True):
            pass
    snapshot.assert_unchanged(model)
