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
     (and give the linear estimate as a by-product); the every-4th lattice first, so a complete
     coarse map is on show as early as in exact mode;
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

Length: ~460 lines, above the house's ~400, for a stated reason: the run object and the public
function (with its documentation) share the module's constants, which the tests patch here.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from nbviz._guard import ModelGuard, model_device, model_guard
from nbviz._inputs import check_model, model_input
from nbviz._progress import Progress, report, with_progress_bar
from nbviz.attribution import _occlusion_grid as grid
from nbviz.attribution._occlusion_evaluators import (
    MEMORY_BUDGET,
    Evaluator,
    IncrementalEvaluator,
    PlainEvaluator,
    make_evaluator,
    target_score,
)
from nbviz.attribution._occlusion_result import OcclusionResult
from nbviz.attribution.targets import resolve_target
from nbviz.execution import resolve_executor

__all__ = ["MEMORY_BUDGET", "OcclusionResult", "OcclusionRun", "occlusion"]

log = logging.getLogger(__name__)

APPROXIMATE_BOX_LIMIT: float | None = None
APPROXIMATE_REFINE = 0.4
APPROXIMATE_CUT_FRACTION = 0.35
APPROXIMATE_REFINE_THRESHOLD = 0.2
APPROXIMATE_MISFIT = 0.6
ANCHOR_STEP = 4
EXACT_FULL_FRACTION = 0.5

Mode = Literal["exact", "approximate", "plain"]


def _as_image(x: Any) -> torch.Tensor:
    if not isinstance(x, (torch.Tensor, np.ndarray)):
        raise TypeError(f"x: expected one image as a C×H×W or 1×C×H×W tensor, got {type(x).__name__}")
    x = torch.as_tensor(x)
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if x.dim() != 4 or x.shape[0] != 1:
        raise ValueError(
            f"x: expected one image as a C×H×W or 1×C×H×W tensor (or N×C×H×W images), got shape {tuple(x.shape)}"
        )
    if not x.dtype.is_floating_point:
        x = x.float()
    return x.detach()


class OcclusionRun:
    """One occlusion of one image, as named steps (what :func:`occlusion` calls inside the guard).

    :meth:`start` runs the unoccluded forward and picks the :class:`Evaluator`; :meth:`run` then
    evaluates the windows: :meth:`approximate_linearised` (approximate mode, when a cut exists),
    else :meth:`coarse_to_fine` (every position, or the interpolation rule's share). Each level goes
    through :meth:`run_level` in batches (:meth:`evaluate`); :meth:`publish` hands partial maps to
    ``on_partial`` and :meth:`result` builds them.

    Parameters
    ----------
    guard : ModelGuard
        The model's guard; its shadow ``guard.model`` is what runs.
    image : torch.Tensor
        The checked image, 1×C×H×W on the model's device.
    window : tuple of int
        (height, width) of the window.
    stride : tuple of int
        (vertical, horizontal) step between windows.
    baseline : str, float or torch.Tensor
        What replaces the window (see :func:`occlusion`).
    target : int, callable or None
        What is scored (see :func:`occlusion`).
    mode : {"exact", "approximate", "plain"}
        How windows are evaluated.
    batch_size : int or "auto"
        Windows per evaluation.
    order : {"coarse_to_fine", "raster"}
        The order of positions (approximate mode is always coarse to fine).
    progress : Progress or None
        Receives the fraction done.
    on_partial : callable or None
        ``on_partial(result, fraction)`` after each level.
    """

    def __init__(
        self, guard: ModelGuard, image: torch.Tensor, *, window: tuple[int, int], stride: tuple[int, int],
        baseline: str | float | torch.Tensor, target: Any, mode: Mode, batch_size: int | Literal["auto"],
        order: Literal["coarse_to_fine", "raster"], progress: Progress | None,
        on_partial: Callable[[OcclusionResult, float], Any] | None,
    ) -> None:
        self.guard, self.image, self.window, self.stride = guard, image, window, stride
        self.baseline, self.target, self.mode, self.order = baseline, target, mode, order
        self.requested_batch, self.batch = batch_size, batch_size
        self.progress, self.on_partial = progress, on_partial
        self.height, self.width = image.shape[-2:]
        self.oy = grid.origins(self.height, window[0], stride[0])
        self.ox = grid.origins(self.width, window[1], stride[1])
        self.shape = (len(self.oy), len(self.ox))
        size = self.shape[0] * self.shape[1]
        self.scores = np.full(size, np.nan, dtype=np.float32)
        self.computed = np.zeros(size, dtype=bool)
        self.change = np.zeros(size, dtype=np.float32)  # linear score change per window (approximate)
        self.rows_of, self.cols_of = np.divmod(np.arange(size), self.shape[1])
        self.total, self.done = size, 0

    # -- steps ------------------------------------------------------------------------------------
    def start(self) -> None:
        """The unoccluded forward: baseline image, evaluator, target and its score."""
        report(self.progress, 0.0, "occlusion: unoccluded forward")
        self.base_image, self.baseline_name = grid.make_baseline(self.baseline, self.image, self.window)
        self.evaluator: Evaluator = make_evaluator(
            self.guard.model, self.image, self.base_image, self.window, self.mode, self.guard,
            full_fraction=EXACT_FULL_FRACTION, box_limit=APPROXIMATE_BOX_LIMIT,
        )
        self.base_output = self.evaluator.base_output
        if not isinstance(self.base_output, torch.Tensor) or self.base_output.dim() < 2:
            raise TypeError("model: expected the model to return a tensor of class scores (1×K)")
        self.resolved = resolve_target(self.target, self.base_output)
        self.base_score = float(target_score(self.resolved, self.base_output)[0])
        self.probabilities = torch.softmax(self.base_output.reshape(1, -1).float(), 1)[0].cpu().numpy()
        self.target_class = None if self.resolved.classes is None else int(self.resolved.classes[0])

    def run(self) -> OcclusionResult:
        """Every step after :meth:`start`; returns the final result."""
        cut = self.linear_cut() if self.mode == "approximate" else None
        if cut is not None:
            try:
                final = self.approximate_linearised()
            except Exception as error:  # noqa: BLE001 - an op the linearisation mishandles
                log.warning("occlusion: linearised approximation failed (%s); refining by interpolation", error)
                self.scores[:], self.computed[:], self.done, self.total, final = np.nan, False, 0, self.scores.size, None
            if final is not None:
                return final
        return self.coarse_to_fine()

    def linear_cut(self) -> Any:
        """The node past which approximate mode linearises, or ``None`` (then: interpolate and refine).

        One central window is run exactly to see how far boxes grow; the cut is the deepest node
        that everything downstream depends on alone and whose box still covers at most
        ``APPROXIMATE_CUT_FRACTION`` of its layer."""
        if not isinstance(self.evaluator, IncrementalEvaluator):
            return None
        oy, ox = self.oy, self.ox
        ys = torch.as_tensor(oy[len(oy) // 2 : len(oy) // 2 + 1], device=self.image.device)
        xs = torch.as_tensor(ox[len(ox) // 2 : len(ox) // 2 + 1], device=self.image.device)
        try:
            return self.evaluator.linearize(ys, xs, self.resolved, APPROXIMATE_CUT_FRACTION)
        except Exception as error:  # noqa: BLE001 - no linearisation: use the interpolation rule
            log.info("occlusion: cannot linearise (%s); refining by interpolation", error)
            return None

    def approximate_linearised(self) -> OcclusionResult | None:
        """Exact anchors, linear estimates elsewhere, residual interpolated, then refined.
        ``None`` when the linearisation does not fit the anchors (the caller interpolates)."""
        shape = self.shape
        if self.batch == "auto":
            self.batch = self.evaluator.batch_size()  # the probe measured a central patch
        rows_a, cols_a = grid.anchors(shape[0], ANCHOR_STEP), grid.anchors(shape[1], ANCHOR_STEP)
        is_anchor = np.zeros(shape, dtype=bool)
        is_anchor[np.ix_(rows_a, cols_a)] = True
        anchor, rest = np.flatnonzero(is_anchor), np.flatnonzero(~is_anchor)
        # exact scores and the linear estimate at the anchors: those on the every-ANCHOR_STEP lattice first
        # (a complete coarse map, as exact mode's first level), then the last row and column
        lattice = (self.rows_of[anchor] % ANCHOR_STEP == 0) & (self.cols_of[anchor] % ANCHOR_STEP == 0)
        self.run_level(anchor[lattice], "tap")
        self.publish(ANCHOR_STEP, False)
        self.run_level(anchor[~lattice], "tap")
        exact_at = self.scores[anchor]
        misfit = np.ptp(exact_at - self.base_score - self.change[anchor]) / max(float(np.ptp(exact_at)), 1e-30)
        if misfit > APPROXIMATE_MISFIT:
            log.info("occlusion: the linearised tail misfits the anchors (%.2f); refining by interpolation", misfit)
            return None
        self.run_level(rest, "stop")  # the linear estimate everywhere else
        linear = (self.base_score + self.change).reshape(shape)
        residual = np.where(is_anchor, self.scores.reshape(shape) - linear, 0.0)
        correction, spread = grid.interpolate_from_anchors(residual, rows_a, cols_a)
        estimate = linear + correction
        span = float(estimate.max() - estimate.min())
        refine = rest[spread.ravel()[rest] > APPROXIMATE_REFINE_THRESHOLD * span]
        self.total = self.done + len(refine)
        self.publish(1, False, estimate)
        self.run_level(refine)
        return self.publish(1, True, estimate)

    def coarse_to_fine(self) -> OcclusionResult:
        """Every position level by level (every 4th row/column, every 2nd, the rest; or in raster
        order); in approximate mode the last level is the interpolation rule's share only."""
        plan = grid.levels(self.shape, self.order == "coarse_to_fine" or self.mode == "approximate")
        estimate, final = None, None
        for number, (step_fill, level) in enumerate(plan):
            level = level[~self.computed[level]]  # anchors of a misfitting linearisation are kept
            if self.mode == "approximate" and step_fill == 1 and len(plan) > 1:
                estimate, spread = grid.interpolate_from_even(self.scores.reshape(self.shape))
                ranked = level[np.argsort(-spread.ravel()[level], kind="stable")]
                level = np.sort(ranked[: int(round(APPROXIMATE_REFINE * len(level)))])
                self.total = self.done + len(level)
            self.run_level(level)
            final = self.publish(step_fill, number == len(plan) - 1, estimate)
        if final is None:  # the last level always publishes
            raise RuntimeError("occlusion: the grid has no positions")
        return final

    # -- parts ------------------------------------------------------------------------------------
    def run_level(self, level: np.ndarray, linear: str | None = None) -> None:
        """Evaluate the positions ``level`` (flat indices) in batches of at most the batch size, split
        evenly (533 windows at 512 run as 267 + 266, not 512 + 21: a small batch costs more per
        window); with ``batch_size="auto"`` one window first, to measure what a window costs."""
        start = 0
        while start < len(level):
            if self.batch == "auto":
                self.evaluate(level[:1], linear)
                start, self.done = 1, self.done + 1
                self.batch = self.evaluator.batch_size()
                continue
            left = len(level) - start
            index = level[start : start + math.ceil(left / math.ceil(left / self.batch))]
            self.evaluate(index, linear)
            start, self.done = start + len(index), self.done + len(index)
            report(self.progress, self.done / self.total, f"occlusion: {self.done}/{self.total} windows")

    def evaluate(self, index: np.ndarray, linear: str | None = None) -> None:
        """Score the windows at flat positions ``index``. ``linear`` ``"tap"``: exact scores and the
        linear change; ``"stop"``: the linear change only. An incremental failure goes plain."""
        ys = torch.as_tensor(self.oy[self.rows_of[index]], device=self.image.device)
        xs = torch.as_tensor(self.ox[self.cols_of[index]], device=self.image.device)
        if linear is not None:  # linearised tail: errors propagate to run()'s fallback
            if not isinstance(self.evaluator, IncrementalEvaluator):
                raise RuntimeError("occlusion: only the incremental evaluator is linearised")
            out = self.evaluator.linear(ys, xs, linear)
            if linear == "stop":
                self.change[index] = out.float().cpu().numpy()
                return
            out, delta = out
            self.change[index] = delta.float().cpu().numpy()
        else:
            try:
                out = self.evaluator(ys, xs)
            except Exception as error:  # an op the engine mishandles: go plain
                if isinstance(self.evaluator, PlainEvaluator):
                    raise
                log.warning("occlusion: incremental inference failed (%s); falling back to plain", error)
                self.go_plain()
                out = self.evaluator(ys, xs)
        self.scores[index] = target_score(self.resolved, out).float().cpu().numpy()
        self.computed[index] = True

    def go_plain(self) -> None:
        """Replace the evaluator by plain batched forwards (keeps the unoccluded output)."""
        self.evaluator = PlainEvaluator(
            self.guard.model, self.image, self.base_image, self.window, self.guard, self.base_output
        )
        self.batch = self.evaluator.batch_size() if self.requested_batch == "auto" else self.requested_batch

    def publish(self, step_fill: int, last: bool, estimate: np.ndarray | None = None) -> OcclusionResult | None:
        """The map so far to ``on_partial`` (and returned) when someone listens or it is the last."""
        if self.on_partial is None and not last:
            return None
        partial = self.result(step_fill, last, estimate)
        if self.on_partial is not None:
            self.on_partial(partial, self.done / self.total)
        return partial

    def result(self, step_fill: int, final: bool, estimate: np.ndarray | None = None) -> OcclusionResult:
        """An :class:`OcclusionResult` of the scores so far; positions not computed are filled from
        ``estimate`` or from the coarse position above-left (every ``step_fill``-th row/column)."""
        shape = self.shape
        grid_scores = self.scores.reshape(shape)
        if not self.computed.all():
            if estimate is None:
                anchor_r = (np.arange(shape[0]) // step_fill) * step_fill
                anchor_c = (np.arange(shape[1]) // step_fill) * step_fill
                estimate = grid_scores[np.ix_(anchor_r, anchor_c)]
            grid_scores = np.where(self.computed.reshape(shape), grid_scores, estimate)
        drop = (self.base_score - grid_scores).astype(np.float32)
        return OcclusionResult(
            probability=grid_scores.astype(np.float32),
            drop=drop,
            drop_map=grid.upsample(drop, self.oy, self.ox, self.window, (self.height, self.width)),
            origins_y=self.oy,
            origins_x=self.ox,
            window=self.window,
            stride=self.stride,
            baseline=self.baseline_name,
            target=self.target_class,
            base_probability=self.base_score,
            probabilities=self.probabilities,
            computed=self.computed.reshape(shape).copy(),
            mode=self.evaluator.mode,
            final=final,
        )


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
    executor: str | None = None,
) -> OcclusionResult | list[OcclusionResult]:
    """Slide a window over an image, replacing it by a baseline, and watch the target's probability.

    Given N > 1 images (N×C×H×W), each is occluded on its own and a list of N results is returned;
    with ``executor="ray"`` the images are sharded over the Ray workers (each runs this function
    locally on its shard) and the results joined in input order, equal to the local ones.

    The window moves over a grid of ``ceil((H - window) / stride) + 1`` rows (same for columns);
    the drop in probability is upsampled to H×W by averaging the windows covering each pixel (the
    numbers of Captum's ``Occlusion``). Runs under the model guard.

    Parameters
    ----------
    model : torch.nn.Module
        An image classifier returning 1×K class scores.
    x : torch.Tensor or numpy.ndarray
        One image, C×H×W or 1×C×H×W, or N×C×H×W images; checked and converted by :func:`nbviz._inputs.model_input`
        (the dtype of the model's parameters; errors for NaN/inf or the wrong channel count).
    target : int, sequence of int, callable or None, default None
        ``None``: the predicted class; an int: that class; a callable: maps the output rows to one
        scalar each (scored as is, not through softmax). With N images, also one int per image.
    window : int or tuple of int, default 8
        Window size, square or (height, width).
    stride : int or tuple of int, default 4
        Step between windows, equal or (vertical, horizontal).
    baseline : {"zero", "mean", "blur"}, float or torch.Tensor, default "zero"
        What replaces the window: zeros, the image's per-channel mean, a Gaussian blur of the image
        (σ = window / 4), a constant, or a tensor broadcastable to C×H×W.
    mode : {"exact", "approximate", "plain"}, default "exact"
        ``"exact"``: incremental inference, equal to plain up to float rounding; ``"approximate"``:
        linearised past a cut layer and corrected from exact anchors (see the module docstring;
        SSIM ≥ 0.9 against exact on resnet18); ``"plain"``: batched forwards of full copies.
    batch_size : int or "auto", default "auto"
        Windows per evaluation; ``"auto"`` measures one window and fills a 256 MB activation budget,
        and in exact/approximate mode runs the part of the network computed on whole tensors in
        chunks whose size is chosen by timing the first chunks (an int: that many, no chunks).
    order : {"coarse_to_fine", "raster"}, default "coarse_to_fine"
        Every 4th grid row/column first, then every 2nd, then the rest (complete coarse maps early);
        or row by row.
    progress : Progress, False or None, default None
        Receives the fraction done; ``None`` shows a progress bar if the call takes a while,
        ``False`` shows none.
    on_partial : callable or None, default None
        ``on_partial(result, fraction)`` receives the map (an :class:`OcclusionResult` with
        ``final`` False) after each coarse-to-fine level; one image only.
    executor : str or None, default None
        ``"local"``, ``"ray"`` or ``None`` (the kernel's choice, :func:`nbviz.use_ray`); Ray is used
        for N > 1 images (progress is then reported per shard).

    Returns
    -------
    OcclusionResult or list of OcclusionResult
        Probability and drop per window, the H×W drop map and what ran; a list, in input order, for
        N > 1 images.
    """
    check_model(model)
    if isinstance(x, (torch.Tensor, np.ndarray)) and x.ndim == 4 and x.shape[0] > 1:
        kwargs = dict(window=window, stride=stride, baseline=baseline, mode=mode, batch_size=batch_size, order=order)
        return _occlusion_many(model, torch.as_tensor(x), target, kwargs, progress, on_partial, executor)
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

    with model_guard(model) as guard, torch.no_grad():
        run = OcclusionRun(
            guard, image.to(model_device(model)), window=win, stride=step, baseline=baseline, target=target,
            mode=mode, batch_size=batch_size, order=order, progress=progress, on_partial=on_partial,
        )
        run.start()
        return run.run()


def _occlusion_many(
    model: nn.Module, images: torch.Tensor, target: Any, kwargs: dict[str, Any], progress: Progress | None,
    on_partial: Callable[[OcclusionResult, float], Any] | None, executor: str | None,
) -> list[OcclusionResult]:
    """:func:`occlusion` of each of N images, here or sharded over Ray, in input order."""
    n = images.shape[0]
    if on_partial is not None:
        raise ValueError("on_partial: partial maps are for one image; occlude the images one at a time to watch them")
    if isinstance(target, (list, tuple, np.ndarray, torch.Tensor)):
        if len(target) != n:
            raise ValueError(f"target: expected one target per image ({n}), got {len(target)}")
        targets = [int(t) for t in target]
    else:
        targets = [target] * n
    if resolve_executor(executor) == "ray":
        from nbviz.execution.ray_images import occlusion_many

        return occlusion_many(occlusion, model, images.detach().cpu(), targets, kwargs, progress)
    results = []
    for i in range(n):
        # False: no progress bar of its own per image (with_progress_bar), the caller's bar covers the set
        sub: Any = False if progress is None else _scaled(progress, i / n, (i + 1) / n)
        one = occlusion(model, images[i], targets[i], progress=sub, **kwargs)
        assert isinstance(one, OcclusionResult)  # one image in, one result out
        results.append(one)
    return results


def _scaled(progress: Progress, low: float, high: float) -> Progress:
    return lambda fraction, message: progress(low + (high - low) * fraction, message)
