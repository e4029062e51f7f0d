"""Occlusion maps (Zeiler & Fergus 2014): slide a patch over the image and watch the target
probability fall.

Three ways to evaluate the occluded copies, all under the model guard:

* ``"plain"`` — batched forwards of full occluded copies (what Captum's ``Occlusion`` does);
* ``"exact"`` — incremental inference (:mod:`nbviz.attribution.incremental`): only the region each
  patch can reach is recomputed on top of the cached unoccluded activations; equal to plain up to
  float rounding. Models that ``torch.fx`` cannot trace fall back to plain (logged);
* ``"approximate"`` — limit how far each change is propagated, then correct from exact anchors:

  1. *cut*: one central window is run exactly; the cut is the deepest node that everything
     downstream depends on alone (a ResNet block output, any layer of a plain chain) whose changed
     box still covers ≤ ``APPROXIMATE_CUT_FRACTION`` (35 %) of its layer (resnet18 at 224²: the
     output of ``layer2``). The rest of the network is linearised there: one backward pass gives
     ``g = ∂score/∂activation`` at the unoccluded image;
  2. *anchors*: every ``ANCHOR_STEP``-th (4th) grid row and column plus the last ones run exactly
     (and give the linear estimate as a by-product);
  3. every other window is propagated only up to the cut (incremental boxes, the cheap part of
     the network) and scored ``base + ⟨g, Δactivation⟩``; the residual exact − linear at the
     anchors is interpolated bilinearly and added;
  4. *refine*: windows whose four surrounding anchors' residuals spread by more than
     ``APPROXIMATE_REFINE_THRESHOLD`` (0.2) of the estimated map's range are evaluated exactly.

  If the linearisation misfits the anchors (range of the residual > ``APPROXIMATE_MISFIT`` = 0.6
  of the range of the exact anchor values: strongly non-linear tails such as small trained
  nets), or no cut exists, the interpolation rule runs instead: the even grid rows/columns are
  evaluated, the rest interpolated bilinearly, and the ``APPROXIMATE_REFINE`` share (40 %) of
  the positions whose four even neighbours differ most evaluated after all. Krypton's
  projective-field threshold (``APPROXIMATE_BOX_LIMIT``) is available in the engine but off: on
  untrained networks it costs more quality than it saves time.

  Quality against exact: SSIM of the upsampled drop maps. resnet18 (untrained, 224², window 16,
  stride 8, smooth images, 4 seeds): 0.913–0.942 with 9–21 % of the windows exact and the front
  part at ~¼ of a window's exact cost, ≥ 5× faster than Captum (``benchmarks/occlusion.py``);
  trained shapes CNN (interpolation rule): 0.92–0.99; tests require ≥ 0.9.

Positions are computed coarse to fine (every 4th grid row/column first, then every 2nd, then the
rest), so ``on_partial`` can draw a complete coarse map early.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from nbviz._guard import model_device, model_guard
from nbviz._inputs import check_model, model_input
from nbviz._progress import Progress, report, with_progress_bar
from nbviz.attribution import _occlusion_grid as grid
from nbviz.attribution.incremental import IncrementalEngine
from nbviz.attribution.targets import Target, resolve_target

__all__ = ["OcclusionResult", "occlusion"]

log = logging.getLogger(__name__)

MEMORY_BUDGET = 256 * 2**20  # bytes of activations one batch of occluded copies may use
APPROXIMATE_BOX_LIMIT: float | None = None
APPROXIMATE_REFINE = 0.4
APPROXIMATE_CUT_FRACTION = 0.35
APPROXIMATE_REFINE_THRESHOLD = 0.2
APPROXIMATE_MISFIT = 0.6
ANCHOR_STEP = 4
EXACT_FULL_FRACTION = 0.5

Mode = Literal["exact", "approximate", "plain"]


@dataclass
class OcclusionResult:
    """Occlusion of one image.

    ``probability`` (rows×cols): the target's softmax probability with the window at each grid
    position (a callable target's value instead, for callable targets); ``drop`` = unoccluded minus
    occluded; ``drop_map`` (H×W): ``drop`` averaged over the windows covering each pixel (Captum's
    ``Occlusion`` attribution of the target probability). ``origins_y``/``origins_x``: window
    top-left corners per grid row/column. ``probabilities`` (K,): unoccluded class probabilities.
    ``computed`` marks the positions evaluated by the model; in partial results (``final`` False)
    the others hold the value of the nearest coarse position above-left, so the map is always
    complete; in approximate results they are interpolated.
    """

    probability: np.ndarray
    drop: np.ndarray
    drop_map: np.ndarray
    origins_y: np.ndarray
    origins_x: np.ndarray
    window: tuple[int, int]
    stride: tuple[int, int]
    baseline: str
    target: int | None
    base_probability: float
    probabilities: np.ndarray
    computed: np.ndarray
    mode: str
    final: bool = True

    def top(self, k: int = 5) -> list[tuple[int, float]]:
        """The ``k`` most probable classes of the unoccluded image as ``(class, probability)``."""
        order = np.argsort(-self.probabilities)[:k]
        return [(int(i), float(self.probabilities[i])) for i in order]

    def plot(self, image: np.ndarray | torch.Tensor | None = None):
        """A matplotlib Figure: the image (if given), the per-window probability grid and the drop map."""
        from .._figures import figure

        panels = [("probability per window", self.probability, "viridis"), ("drop in probability", self.drop_map, "RdBu_r")]
        if image is not None:
            img = torch.as_tensor(image).detach().cpu().float().squeeze(0)
            img = img.permute(1, 2, 0) if img.dim() == 3 else img
            img = (img - img.min()) / (img.max() - img.min() + 1e-12)
            panels.insert(0, ("image", img.squeeze(-1).numpy(), "gray"))
        fig = figure(figsize=(3.2 * len(panels), 3.2))
        for i, (title, data, cmap) in enumerate(panels):
            ax = fig.add_subplot(1, len(panels), i + 1)
            if title.startswith("drop"):
                lim = float(np.abs(data).max()) or 1.0
                im = ax.imshow(data, cmap=cmap, vmin=-lim, vmax=lim)
            else:
                im = ax.imshow(data, cmap=cmap)
            if title != "image":
                fig.colorbar(im, ax=ax, fraction=0.046)
            ax.set_title(title)
            ax.axis("off")
        fig.suptitle(f"occlusion, class {self.target}, window {self.window}, stride {self.stride}, {self.baseline}")
        return fig


def _as_image(x: Any) -> torch.Tensor:
    if not isinstance(x, (torch.Tensor, np.ndarray)):
        raise TypeError(f"x: expected one image as a C×H×W or 1×C×H×W tensor, got {type(x).__name__}")
    x = torch.as_tensor(x)
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if x.dim() != 4 or x.shape[0] != 1:
        raise ValueError(f"x: expected one image as a C×H×W or 1×C×H×W tensor, got shape {tuple(x.shape)}")
    if not x.dtype.is_floating_point:
        x = x.float()
    return x.detach()


def _score(target: Target, output: torch.Tensor) -> torch.Tensor:
    """Softmax probability of the target class per row (or the callable's value)."""
    if target.fn is not None:
        return target.scores(output)
    probs = torch.softmax(output.reshape(output.shape[0], -1).float(), dim=1)
    return target.scores(probs, owners=torch.zeros(output.shape[0], dtype=torch.long))


class _Plain:
    """Forwards of full occluded copies."""

    mode = "plain"

    def __init__(self, model: nn.Module, x: torch.Tensor, baseline: torch.Tensor, window, guard, output=None):
        self.model, self.x, self.baseline, self.window = model, x, baseline, window
        largest = [x.numel()]

        def hook(module, inputs, out):
            if isinstance(out, torch.Tensor):
                largest[0] = max(largest[0], out.numel())

        handles = [guard.forward_hook(m, hook) for m in model.modules() if not list(m.children())]
        try:
            self.base_output = output if output is not None else model(x)  # measures activation sizes too
        finally:
            for handle in handles:
                handle.remove()
        self._batch = int(np.clip(MEMORY_BUDGET // (3 * x.element_size() * largest[0]), 1, 64))

    def batch_size(self) -> int:
        return self._batch

    def __call__(self, ys: torch.Tensor, xs: torch.Tensor) -> torch.Tensor:
        return self.model(grid.occluded_batch(self.x, self.baseline, ys, xs, self.window))


class _Incremental:
    """Incremental inference: only the changed boxes travel through the network."""

    def __init__(self, engine: IncrementalEngine, x: torch.Tensor, baseline: torch.Tensor, window, mode: str):
        self.engine, self.x, self.baseline, self.window, self.mode = engine, x, baseline, window, mode
        self.base_output = engine.base_output

    def __call__(self, ys: torch.Tensor, xs: torch.Tensor) -> torch.Tensor:
        values, starts = grid.occluded_boxes(self.x, self.baseline, ys, xs, self.window)
        return self.engine.run(values, starts)

    def batch_size(self) -> int:
        return int(np.clip(MEMORY_BUDGET // (3 * self.engine.peak_bytes_per_patch), 1, 512))

    def linear(self, ys: torch.Tensor, xs: torch.Tensor, how: str) -> Any:
        """``how`` 'stop': the linear score change per window; 'tap': (outputs, that change)."""
        values, starts = grid.occluded_boxes(self.x, self.baseline, ys, xs, self.window)
        return self.engine.run(values, starts, **{how: self.engine._cut})


def _linear_cut(evaluator, image, baseline, window, oy, ox, target: Target):
    """The node past which approximate mode linearises, or None (then: interpolate and refine).

    One central window is run exactly to see how far boxes grow; the cut is the deepest node
    that everything downstream depends on alone and whose box still covers at most
    ``APPROXIMATE_CUT_FRACTION`` of its layer."""
    if not isinstance(evaluator, _Incremental):
        return None
    engine = evaluator.engine
    ys = torch.as_tensor(oy[len(oy) // 2 : len(oy) // 2 + 1], device=image.device)
    xs = torch.as_tensor(ox[len(ox) // 2 : len(ox) // 2 + 1], device=image.device)
    try:
        evaluator(ys, xs)
        cuts = [c for c in engine.cuts() if engine.boxed.get(c, 1.0) <= APPROXIMATE_CUT_FRACTION]
        if not cuts:
            return None
        engine.linearize(cuts[-1], lambda out: _score(target, out))
    except Exception as error:  # noqa: BLE001 - no linearisation: use the interpolation rule
        log.info("occlusion: cannot linearise (%s); refining by interpolation", error)
        return None
    return cuts[-1]


def _evaluator(model: nn.Module, x: torch.Tensor, baseline: torch.Tensor, window, mode: str, guard):
    if mode != "plain":
        try:
            engine = IncrementalEngine(
                model,
                x,
                full_fraction=EXACT_FULL_FRACTION,
                box_limit=APPROXIMATE_BOX_LIMIT if mode == "approximate" else None,
            )
            return _Incremental(engine, x, baseline, window, mode)
        except Exception as error:  # noqa: BLE001 - any failure to trace means: use plain
            log.info("occlusion: %s; falling back to plain batched occlusion", error)
    return _Plain(model, x, baseline, window, guard)


@with_progress_bar("occlusion")
def occlusion(
    model: nn.Module,
    x: torch.Tensor | np.ndarray,
    target: Any = None,
    *,
    window: int | tuple[int, int] = 8,
    stride: int | tuple[int, int] = 4,
    baseline: str | float | torch.Tensor = "zero",
    mode: Mode = "exact",
    batch_size: int | Literal["auto"] = "auto",
    order: Literal["coarse_to_fine", "raster"] = "coarse_to_fine",
    progress: Progress | None = None,
    on_partial: Callable[[OcclusionResult, float], Any] | None = None,
) -> OcclusionResult:
    """Slide a ``window`` (int or (h, w)) with ``stride`` over one image ``x`` (C×H×W or 1×C×H×W),
    replacing it by ``baseline`` ('zero', 'mean', 'blur', a number or a tensor broadcastable to
    C×H×W), and return an :class:`OcclusionResult` with the target probability per window position
    (grid of ``ceil((H - window) / stride) + 1`` rows, same for columns) and the drop upsampled
    to H×W. ``target``: None (predicted class), a class index, or a callable mapping the output
    rows to one scalar each. ``mode``: 'exact' (incremental, = plain to float tolerance),
    'approximate' (linearised past a cut layer and corrected from exact anchors, see the module
    docstring; SSIM ≥ 0.9 vs exact on resnet18) or 'plain'. ``on_partial(result,
    fraction)`` receives the map after each coarse-to-fine level. ``x`` is checked and converted by
    :func:`nbviz._inputs.model_input` (dtype of the model's parameters; errors for NaN/inf or the
    wrong channel count).
    """
    check_model(model)
    image = model_input(_as_image(x), model)
    win, step = grid.as_pair(window, "window"), grid.as_pair(stride, "stride")
    height, width = image.shape[-2:]
    if win[0] > height or win[1] > width:
        raise ValueError(f"window: {win} is larger than the image ({height}×{width})")
    if mode not in ("exact", "approximate", "plain"):
        raise ValueError(f"mode: expected 'exact', 'approximate' or 'plain', got {mode!r}")
    if order not in ("coarse_to_fine", "raster"):
        raise ValueError(f"order: expected 'coarse_to_fine' or 'raster', got {order!r}")
    if batch_size != "auto" and (not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1):
        raise ValueError(f"batch_size: expected a positive int or 'auto', got {batch_size!r}")
    oy, ox = grid.origins(height, win[0], step[0]), grid.origins(width, win[1], step[1])
    shape = (len(oy), len(ox))

    with model_guard(model) as guard, torch.no_grad():
        image = image.to(model_device(model))
        report(progress, 0.0, "occlusion: unoccluded forward")
        base_image, baseline_name = grid.make_baseline(baseline, image, win)
        evaluator = _evaluator(guard.model, image, base_image, win, mode, guard)
        base_output = evaluator.base_output
        if not isinstance(base_output, torch.Tensor) or base_output.dim() < 2:
            raise TypeError("model: expected the model to return a tensor of class scores (1×K)")
        resolved = resolve_target(target, base_output)
        base_score = float(_score(resolved, base_output)[0])
        probabilities = torch.softmax(base_output.reshape(1, -1).float(), 1)[0].cpu().numpy()
        target_class = None if resolved.classes is None else int(resolved.classes[0])

        scores = np.full(shape[0] * shape[1], np.nan, dtype=np.float32)
        computed = np.zeros(shape[0] * shape[1], dtype=bool)
        rows_of, cols_of = np.divmod(np.arange(scores.size), shape[1])
        total, done, batch = scores.size, 0, batch_size

        def result(step_fill: int, final: bool, estimate: np.ndarray | None = None) -> OcclusionResult:
            grid_scores = scores.reshape(shape)
            if not computed.all():  # fill from an estimate or from the coarse anchor above-left
                if estimate is None:
                    anchor_r = (np.arange(shape[0]) // step_fill) * step_fill
                    anchor_c = (np.arange(shape[1]) // step_fill) * step_fill
                    estimate = grid_scores[np.ix_(anchor_r, anchor_c)]
                grid_scores = np.where(computed.reshape(shape), grid_scores, estimate)
            drop = (base_score - grid_scores).astype(np.float32)
            return OcclusionResult(
                probability=grid_scores.astype(np.float32),
                drop=drop,
                drop_map=grid.upsample(drop, oy, ox, win, (height, width)),
                origins_y=oy,
                origins_x=ox,
                window=win,
                stride=step,
                baseline=baseline_name,
                target=target_class,
                base_probability=base_score,
                probabilities=probabilities,
                computed=computed.reshape(shape).copy(),
                mode=evaluator.mode,
                final=final,
            )

        def evaluate(index: np.ndarray, linear: str | None = None) -> None:
            nonlocal evaluator, batch
            ys = torch.as_tensor(oy[rows_of[index]], device=image.device)
            xs = torch.as_tensor(ox[cols_of[index]], device=image.device)
            if linear is not None:  # linearised tail: errors propagate to the caller's fallback
                out = evaluator.linear(ys, xs, linear)
                if linear == "stop":
                    change[index] = out.float().cpu().numpy()
                    return
                out, delta = out
                change[index] = delta.float().cpu().numpy()
                scores[index] = _score(resolved, out).float().cpu().numpy()
                computed[index] = True
                return
            try:
                out = evaluator(ys, xs)
            except Exception as error:  # an op the engine mishandles: go plain
                if isinstance(evaluator, _Plain):
                    raise
                log.warning("occlusion: incremental inference failed (%s); falling back to plain", error)
                evaluator = _Plain(guard.model, image, base_image, win, guard, base_output)
                batch = evaluator.batch_size() if batch_size == "auto" else batch_size
                out = evaluator(ys, xs)
            scores[index] = _score(resolved, out).float().cpu().numpy()
            computed[index] = True

        def run_level(level: np.ndarray, linear: str | None = None) -> None:
            nonlocal batch, done
            start = 0
            while start < len(level):
                if batch == "auto":  # one patch first, to measure what a patch costs
                    evaluate(level[:1], linear)
                    start, done = 1, done + 1
                    batch = evaluator.batch_size()
                    continue
                index = level[start : start + batch]
                evaluate(index, linear)
                start, done = start + len(index), done + len(index)
                report(progress, done / total, f"occlusion: {done}/{total} windows")

        def publish(step_fill: int, last: bool, estimate: np.ndarray | None = None) -> OcclusionResult | None:
            if on_partial is None and not last:
                return None
            partial = result(step_fill, last, estimate)
            if on_partial is not None:
                on_partial(partial, done / total)
            return partial

        def approximate_linearised(cut) -> OcclusionResult | None:
            """Exact anchors, linear estimates elsewhere, residual interpolated, then refined.
            None when the linearisation does not fit the anchors (the caller interpolates)."""
            nonlocal batch, total
            if batch == "auto":
                batch = evaluator.batch_size()  # the probe measured a central patch
            rows_a, cols_a = grid.anchors(shape[0], ANCHOR_STEP), grid.anchors(shape[1], ANCHOR_STEP)
            is_anchor = np.zeros(shape, dtype=bool)
            is_anchor[np.ix_(rows_a, cols_a)] = True
            anchor, rest = np.flatnonzero(is_anchor), np.flatnonzero(~is_anchor)
            run_level(anchor, "tap")  # exact scores and the linear estimate at the anchors
            publish(ANCHOR_STEP, False)
            exact_at = scores[anchor]
            misfit = np.ptp(exact_at - base_score - change[anchor]) / max(float(np.ptp(exact_at)), 1e-30)
            if misfit > APPROXIMATE_MISFIT:
                log.info("occlusion: the linearised tail misfits the anchors (%.2f); refining by interpolation", misfit)
                return None
            run_level(rest, "stop")  # the linear estimate everywhere else
            linear = (base_score + change).reshape(shape)
            residual = np.where(is_anchor, scores.reshape(shape) - linear, 0.0)
            correction, spread = grid.interpolate_from_anchors(residual, rows_a, cols_a)
            estimate = linear + correction
            span = float(estimate.max() - estimate.min())
            refine = rest[spread.ravel()[rest] > APPROXIMATE_REFINE_THRESHOLD * span]
            total = done + len(refine)
            publish(1, False, estimate)
            run_level(refine)
            return publish(1, True, estimate)

        change = np.zeros(scores.size, dtype=np.float32)
        cut = _linear_cut(evaluator, image, base_image, win, oy, ox, resolved) if mode == "approximate" else None
        if cut is not None:
            try:
                final = approximate_linearised(cut)
            except Exception as error:  # noqa: BLE001 - an op the linearisation mishandles
                log.warning("occlusion: linearised approximation failed (%s); refining by interpolation", error)
                scores[:], computed[:], done, total, final = np.nan, False, 0, scores.size, None
            if final is not None:
                return final

        plan = grid.levels(shape, order == "coarse_to_fine" or mode == "approximate")
        estimate = None
        for number, (step_fill, level) in enumerate(plan):
            level = level[~computed[level]]  # anchors of a misfitting linearisation are kept
            if mode == "approximate" and step_fill == 1 and len(plan) > 1:
                estimate, spread = grid.interpolate_from_even(scores.reshape(shape))
                ranked = level[np.argsort(-spread.ravel()[level], kind="stable")]
                level = np.sort(ranked[: int(round(APPROXIMATE_REFINE * len(level)))])
                total = done + len(level)
            run_level(level)
            final = publish(step_fill, number == len(plan) - 1, estimate)
    return final
