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


class NotebookUser:
    """What a notebook does with its own model while nbviz works on it in the background: forwards in
    eval mode, ``train()``, a backward pass and an optimiser step, its own hook, ``eval()`` again.

    ``reference`` is an untouched copy that gets exactly the same treatment; after every step the
    model must match it (outputs, weights, gradients), keep the user's modes and ``requires_grad``
    flags, and carry no hooks but the user's. ``x`` is a batch the model accepts."""

    def __init__(self, model: nn.Module, x: torch.Tensor, *, lr: float = 1e-3) -> None:
        import copy

        self.model, self.x = model, x
        for p in model.parameters():
            p.requires_grad_(True)
        self.reference = copy.deepcopy(model)
        self._opt = torch.optim.SGD(model.parameters(), lr=lr)
        self._ref_opt = torch.optim.SGD(self.reference.parameters(), lr=lr)
        self._leaf = next(m for m in model.modules() if not list(m.children()))
        self.steps = 0

    def step(self) -> None:
        model, reference, x = self.model, self.reference, self.x
        where = f"step {self.steps}"
        model.eval(), reference.eval()
        assert not any(m.training for m in model.modules()), f"{where}: the user's eval() was undone"
        with torch.no_grad():
            out, expected = model(x), reference(x)
        assert torch.allclose(out, expected, rtol=1e-5, atol=1e-6), f"{where}: eval output differs from the untouched copy"
        model.train(), reference.train()
        assert all(m.training for m in model.modules()), f"{where}: the user's train() was undone"
        seen: list[int] = []
        handle = self._leaf.register_forward_hook(lambda m, i, o: seen.append(1))
        for m, opt in ((model, self._opt), (reference, self._ref_opt)):
            opt.zero_grad()
            torch.manual_seed(self.steps)  # the same dropout masks for both
            m(x).float().square().mean().backward()
            opt.step()
        handle.remove()
        assert seen == [1], f"{where}: the user's own hook did not run exactly once"
        assert all(p.requires_grad for p in model.parameters()), f"{where}: requires_grad flags changed"
        for (name, p), q in zip(model.named_parameters(), reference.parameters()):
            assert p.grad is not None and torch.allclose(p.grad, q.grad, rtol=1e-4, atol=1e-6), f"{where}: {name}.grad differs"
            assert torch.allclose(p, q, rtol=1e-5, atol=1e-6), f"{where}: {name} differs from the untouched copy"
        hooks = sum(len(getattr(m, d)) for m in model.modules() for d in HOOK_DICTS)
        assert hooks == 0, f"{where}: {hooks} hooks registered on the user's model"
        model.eval(), reference.eval()
        self.steps += 1


class ForwardCalls(list):
    """The inputs of every forward call of ``module`` (default: the whole ``model``), made by anyone:
    the user (on the module itself) or nbviz (on its shadow). nbviz's work does not run the user's
    own hooks, so tests count its forwards with a global hook (the model carries none); use as a
    context manager."""

    def __init__(self, model: nn.Module, module: nn.Module | None = None) -> None:
        super().__init__()
        from nbviz._shadow import shadow_of

        self._shadow, self._module = shadow_of(model), model if module is None else module
        self._handle = None

    def _hook(self, module: nn.Module, inputs: tuple) -> None:
        if module is self._module or module is self._shadow.resolve(self._module):
            self.append(inputs)

    def __enter__(self) -> ForwardCalls:
        self._handle = nn.modules.module.register_module_forward_pre_hook(self._hook)
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.remove()
