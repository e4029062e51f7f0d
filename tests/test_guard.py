import pytest
import torch
from torch import nn

from guard_checks import ModelSnapshot, NotebookUser
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
            assert not any(m.training for m in guard.model.modules()), "eval inside"
            assert not any(p.requires_grad for p in guard.model.parameters()), "frozen inside"
            snapshot.assert_unchanged(model)  # the user's model is untouched while the block runs
            vandalise(guard.model, guard)
            snapshot.assert_unchanged(model)
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
    snapshot = ModelSnapshot(model)
    with model_guard(model) as guard:
        guard.model(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    snapshot.assert_unchanged(model)  # no parameter .grad accumulated


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


def test_user_sees_their_own_model_while_a_guarded_block_works_on_another_thread():
    """The issue's case: explorer work (hooks, eval, frozen flags, functional perturbation) on a worker
    thread while the notebook trains the same model; every notebook step sees exactly what an
    untouched copy shows, and its train()/flags/hooks are never undone."""
    import threading

    from torch.func import functional_call

    model = net()
    user = NotebookUser(model, torch.randn(8, 1, 8, 8), lr=0.01)
    inside, stop, perturbed = threading.Event(), threading.Event(), []

    def worker():
        with model_guard(model) as guard:
            guard.forward_hook(model[0], lambda m, i, o: o * 0)  # a user module, mapped to the shadow
            inside.set()
            x = torch.randn(2, 1, 8, 8)
            while not stop.is_set():
                state = {n: p + 1.0 for n, p in guard.model.named_parameters()}
                perturbed.append(functional_call(guard.model, state, (x,)))
                assert not guard.model.training and not any(p.requires_grad for p in guard.model.parameters())

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(10)
    try:
        for _ in range(30):
            user.step()
    finally:
        stop.set()
        thread.join(10)
    assert len(perturbed) > 0, "the worker ran while the notebook did"
    assert all(p.grad is not None for p in model.parameters())
