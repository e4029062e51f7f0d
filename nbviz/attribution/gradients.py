"""Gradient-family attributions: plain gradient (Simonyan et al. 2014), gradient × input,
SmoothGrad (Smilkov et al. 2017), Integrated Gradients (Sundararajan et al. 2017) and guided
backpropagation (Springenberg et al. 2015). Each takes a :class:`Context` and returns an
:class:`Attribution`; rows (noise samples, IG steps) go through the model in budget-sized passes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from ._context import Context
from .meaning import ACTIVATIONS, ActivationCount, guided_note
from .result import Attribution

__all__ = [
    "IG_RULES",
    "gradient",
    "gradient_x_input",
    "guided_backprop",
    "guided_relus",
    "integrated_gradients",
    "ig_steps",
    "smoothgrad",
    "smoothgrad_noise",
]

IG_RULES = ("gausslegendre", "riemann_trapezoid")


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().float().cpu().numpy()


def abs_max_map(raw: torch.Tensor) -> np.ndarray:
    """N×H×W (N×L for sequences): the largest absolute value over channels (Simonyan et al.'s saliency
    map); tables (N×D) have no channels: N×D absolute values per feature."""
    return _numpy(raw.abs() if raw.ndim == 2 else raw.abs().amax(dim=1))


def sum_map(raw: torch.Tensor) -> np.ndarray:
    """N×H×W (N×L): the signed sum over channels (keeps completeness for IG); tables: N×D as they are."""
    return _numpy(raw if raw.ndim == 2 else raw.sum(dim=1))


def _plain_gradient(ctx: Context, message: str) -> torch.Tensor:
    def make_rows(start: int, stop: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        return ctx.x[start:stop], torch.arange(start, stop), None

    return ctx.summed_gradients(ctx.n, make_rows, message, clean=True)


def gradient(ctx: Context) -> Attribution:
    """Input gradient of the target score. ``raw`` is the signed gradient; ``maps`` its absolute
    maximum over channels (Captum ``Saliency(abs=True)`` followed by a channel max)."""
    raw = _plain_gradient(ctx, "gradient")
    return Attribution(abs_max_map(raw), _numpy(raw), "gradient", ctx.target.as_array())


def gradient_x_input(ctx: Context) -> Attribution:
    """Gradient times input (Captum ``InputXGradient``); ``maps`` is the signed channel sum."""
    raw = _plain_gradient(ctx, "gradient × input") * ctx.x
    return Attribution(sum_map(raw), _numpy(raw), "gradient_x_input", ctx.target.as_array())


def smoothgrad_noise(seed: int, shape: tuple[int, ...], skip: int = 0) -> torch.Generator:
    """SmoothGrad's noise stream: a CPU generator seeded with ``seed``, past its first ``skip`` draws of
    one ``shape`` tensor each (replayed one by one, so the next draw is bitwise the one a run from draw 0
    gets there; a bulk draw of the same count may consume the stream differently)."""
    generator = torch.Generator().manual_seed(int(seed))
    for _ in range(skip):
        torch.randn(shape, generator=generator)
    return generator


def smoothgrad(
    ctx: Context, *, n_samples: int = 25, noise_level: float = 0.15, seed: int = 0, _offset: int = 0
) -> Attribution:
    """Mean input gradient over ``n_samples`` noisy copies of each input.

    The noise is Gaussian with standard deviation ``noise_level × (max − min)`` of each input (the
    SmoothGrad paper's "noise level"), drawn from a CPU generator seeded with ``seed`` in
    input-major order, one C×H×W draw per sample — for an input whose range is 1 that is exactly
    the noise Captum's ``NoiseTunnel(Saliency)`` draws after ``torch.manual_seed(seed)``
    (``nt_type="smoothgrad"``, ``stdevs=noise_level``). ``raw`` is the mean signed gradient,
    ``maps`` its absolute maximum over channels.

    ``_offset`` (internal: the Ray backend's shards) is the index of ``ctx.x``'s first input in the
    whole batch: the stream skips ``_offset × n_samples`` draws, so a shard gets exactly the noise the
    one-batch run draws for its inputs.
    """
    if not isinstance(n_samples, int) or isinstance(n_samples, bool) or n_samples < 1:
        raise ValueError(f"n_samples: expected a positive int, got {n_samples!r}")
    if not isinstance(noise_level, (int, float)) or not 0 <= noise_level:
        raise ValueError(f"noise_level: expected a non-negative fraction of the input range, got {noise_level!r}")
    flat = ctx.x.reshape(ctx.n, -1)
    sigma = (flat.amax(dim=1) - flat.amin(dim=1)) * float(noise_level)
    shape = tuple(ctx.x.shape[1:])
    generator = smoothgrad_noise(seed, shape, _offset * n_samples)
    weight = torch.full((1,), 1.0 / n_samples, device=ctx.x.device)

    def make_rows(start: int, stop: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        owners = torch.arange(start, stop) // n_samples
        noise = torch.stack([torch.randn(shape, generator=generator) for _ in range(stop - start)])
        rows = ctx.x[owners] + noise.to(ctx.x.device) * sigma[owners].view(-1, *([1] * len(shape)))
        return rows, owners, weight.expand(stop - start)

    raw = ctx.summed_gradients(ctx.n * n_samples, make_rows, "smoothgrad")
    return Attribution(abs_max_map(raw), _numpy(raw), "smoothgrad", ctx.target.as_array())


def ig_steps(n_steps: int, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """``(alphas, step_sizes)`` of a path-integral rule on [0, 1]: Gauss–Legendre nodes and
    weights, or the trapezoid rule on ``n_steps`` equally spaced points (Captum's two rules)."""
    if rule == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(n_steps)
        return 0.5 * (1 + nodes), 0.5 * weights
    if rule == "riemann_trapezoid":
        if n_steps < 2:
            raise ValueError("n_steps: the trapezoid rule needs at least 2 steps")
        sizes = np.full(n_steps, 1.0 / (n_steps - 1))
        sizes[[0, -1]] /= 2
        return np.linspace(0, 1, n_steps), sizes
    raise ValueError(f"rule: expected one of {', '.join(IG_RULES)}, got {rule!r}")


def _baseline(ctx: Context, baseline: object) -> torch.Tensor:
    if baseline is None:
        return torch.zeros_like(ctx.x)
    if isinstance(baseline, (int, float)) and not isinstance(baseline, bool):
        return torch.full_like(ctx.x, float(baseline))
    if isinstance(baseline, np.ndarray):
        baseline = torch.from_numpy(baseline)
    if not isinstance(baseline, torch.Tensor):
        raise TypeError(f"baseline: expected None, a number or a tensor, got {type(baseline).__name__}")
    b = baseline.to(device=ctx.x.device, dtype=ctx.x.dtype)
    if b.shape == ctx.x.shape[1:]:
        b = b.unsqueeze(0)
    if b.ndim != ctx.x.ndim or b.shape[1:] != ctx.x.shape[1:] or b.shape[0] not in (1, ctx.n):
        expected = f"{tuple(ctx.x.shape[1:])} or {tuple(ctx.x.shape)}"
        raise ValueError(f"baseline: expected shape {expected}, got {tuple(baseline.shape)}")
    return b.expand_as(ctx.x)


def integrated_gradients(
    ctx: Context, *, n_steps: int = 50, baseline: object = None, rule: str = "gausslegendre"
) -> Attribution:
    """Integrated Gradients from ``baseline`` (default zeros; a number, C×H×W or N×C×H×W tensor)
    to each input with ``n_steps`` points of ``rule`` (Captum's default ``"gausslegendre"`` or
    ``"riemann_trapezoid"``, the trapezoid rule proper with weights 1/(n − 1) — Captum weights its
    n points 1/n, so its result is ours × (n − 1)/n). ``raw`` = (x − baseline) · Σ step · gradient; ``maps`` is its signed
    channel sum; ``delta`` = Σ raw − (f(x) − f(baseline)) per input (the completeness gap)."""
    if not isinstance(n_steps, int) or isinstance(n_steps, bool) or n_steps < 1:
        raise ValueError(f"n_steps: expected a positive int, got {n_steps!r}")
    alphas_np, sizes_np = ig_steps(n_steps, rule)
    base = _baseline(ctx, baseline)
    diff = ctx.x - base
    alphas = torch.tensor(alphas_np, dtype=ctx.x.dtype, device=ctx.x.device)
    sizes = torch.tensor(sizes_np, dtype=ctx.x.dtype, device=ctx.x.device)
    view = (-1,) + (1,) * (ctx.x.ndim - 1)

    def make_rows(start: int, stop: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        index = torch.arange(start, stop)
        owners, steps = index // n_steps, (index % n_steps).to(ctx.x.device)
        return base[owners] + alphas[steps].view(view) * diff[owners], owners, sizes[steps]

    raw = ctx.summed_gradients(ctx.n * n_steps, make_rows, "integrated gradients") * diff
    gap = ctx.forward_scores(ctx.x) - ctx.forward_scores(base.contiguous())
    delta = raw.reshape(ctx.n, -1).sum(dim=1) - gap
    return Attribution(sum_map(raw), _numpy(raw), "integrated_gradients", ctx.target.as_array(), delta=_numpy(delta))


@contextmanager
def guided_relus(ctx: Context) -> Iterator[ActivationCount]:
    """Within the block every ``nn.ReLU`` module passes back only positive gradients (guided
    backpropagation). Like Captum, a forward pre-hook hands the ReLU a clone of its input (so
    in-place ReLUs work) and hooks the original input's gradient: ``relu(grad_input)``.

    Limitation: only ``nn.ReLU`` *modules* are overridden; ``F.relu`` / ``torch.relu`` called
    inside ``forward`` and other activations (GELU, SiLU, ReLU6 …) keep their plain gradient.
    Yields an :class:`~nbviz.attribution.meaning.ActivationCount` of the ReLU and other activation
    modules that ran inside the block (see :func:`~nbviz.attribution.meaning.guided_note`)."""
    count = ActivationCount()

    def pre_hook(module: nn.Module, inputs: tuple) -> tuple:
        (value,) = inputs
        count.saw(module)
        if value.requires_grad:
            value.register_hook(lambda grad: grad.clamp(min=0))
        return (value.clone(),)

    def other_hook(module: nn.Module, _inputs: tuple) -> None:
        count.saw(module)

    modules = list(ctx.model.modules())
    handles = [ctx.guard.forward_pre_hook(m, pre_hook) for m in modules if isinstance(m, nn.ReLU)]
    handles += [ctx.guard.forward_pre_hook(m, other_hook) for m in modules if isinstance(m, ACTIVATIONS)]
    try:
        yield count
    finally:
        for handle in handles:
            handle.remove()


def guided_backprop_raw(ctx: Context) -> torch.Tensor:
    """N×C×H×W guided-backpropagation gradients; a note joins ``ctx.notes`` when the method
    (``ctx.method``) cannot be fully guided on this model (see :func:`guided_note`)."""
    with guided_relus(ctx) as count:
        raw = _plain_gradient(ctx, "guided backprop")
    note = guided_note(ctx.method or "guided_backprop", count)
    if note is not None and note not in ctx.notes:
        ctx.notes.append(note)
    return raw


def guided_backprop(ctx: Context) -> Attribution:
    """Guided backpropagation (Captum ``GuidedBackprop``); ``maps`` is the absolute channel max."""
    raw = guided_backprop_raw(ctx)
    return Attribution(abs_max_map(raw), _numpy(raw), "guided_backprop", ctx.target.as_array(), notes=list(ctx.notes))
