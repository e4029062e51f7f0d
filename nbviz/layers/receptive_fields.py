"""Exact receptive fields by NaN probing.

NaN survives every arithmetic op (0 × NaN = NaN, max-pooling and ReLU keep it), so an output value
depends on an input region exactly when it turns NaN once that region is NaN. The bounding box of
an output position's dependencies is found by binary search per side: "is it NaN when every input
row ≥ r is NaN?" holds exactly for r ≤ the last row it depends on (likewise for the other three
sides). This needs no knowledge of the architecture (residual branches, dilation, padding, borders
and global ops such as squeeze-excitation or attention are all accounted for) and costs about
4·log2(size) small forward passes, which stop at the layer. Ops that explicitly discard NaN
(comparisons used as masks, ``nan_to_num``) would hide dependencies.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .._guard import ModelGuard, model_guard
from .._progress import Progress, report
from .calls import CallRef, resolve_call
from .forward import prepare_input
from .outputs import output_tensor
from .recorder import Recorder

__all__ = ["probe_boxes", "receptive_field"]

# (side, threshold): NaN in rows ≥ t ("row_last"), rows ≤ t ("row_first"), likewise for columns.
_SIDES = ("row_first", "row_last", "col_first", "col_last")


def receptive_field(
    model: nn.Module,
    layer: str | nn.Module,
    input_shape: Sequence[int],
    positions: Sequence[Sequence[int]],
    channel: int = 0,
    progress: Progress | None = None,
) -> np.ndarray:
    """Input boxes that outputs ``(channel, row, col)`` of ``layer`` depend on.

    A position that depends on no input pixel gets ``(0, 0, 0, 0)``.

    Parameters
    ----------
    model : torch.nn.Module
        The model; never changed.
    layer : str or torch.nn.Module
        The layer, as a module or its name.
    input_shape : sequence of int
        ``(C, H, W)`` of one input.
    positions : sequence of (int, int)
        ``(row, col)`` positions in the layer's output.
    channel : int, default 0
        The output channel whose dependence is traced.
    progress : callable or None, default None
        ``progress(fraction, message)`` after each step; return ``False`` to stop. ``None``: silent.

    Returns
    -------
    numpy.ndarray
        P×4 int, half-open boxes ``(row_start, row_stop, col_start, col_stop)``, one per position.
    """
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"input_shape: expected (C, H, W) of positive sizes, got {tuple(input_shape)!r}")
    ref = resolve_call(model, layer)
    with model_guard(model) as guard:
        return probe_boxes(guard, ref, shape, positions, channel, progress=progress)


def probe_boxes(
    guard: ModelGuard,
    ref: CallRef,
    input_shape: tuple[int, int, int],
    positions: Sequence[Sequence[int]],
    channel: int,
    *,
    progress: Progress | None = None,
    span: tuple[float, float] = (0.0, 1.0),
) -> np.ndarray:
    """:func:`receptive_field` inside an open model guard."""
    pos = np.asarray(positions, dtype=np.int64).reshape(-1, 2)
    _, height, width = input_shape
    seen: dict[tuple[str, int], np.ndarray] = {}
    captured: list[torch.Tensor] = []

    def keep(out: object) -> None:
        captured.append(output_tensor(out, ref.key))

    def nan_maps(probes: list[tuple[str, int]]) -> None:
        todo = [p for p in dict.fromkeys(probes) if p not in seen]
        if not todo:
            return
        batch = torch.zeros((len(todo), *input_shape))
        for b, (side, t) in enumerate(todo):
            if side == "all":
                batch[b] = float("nan")
            elif side == "row_last":
                batch[b, :, t:, :] = float("nan")
            elif side == "row_first":
                batch[b, :, : t + 1, :] = float("nan")
            elif side == "col_last":
                batch[b, :, :, t:] = float("nan")
            else:
                batch[b, :, :, : t + 1] = float("nan")
        captured.clear()
        recorder.run(prepare_input(guard.model, batch, argument="input_shape"))
        out = captured[0]
        if out.ndim != 4:
            raise ValueError(f"layer: {ref.key!r} returns shape {tuple(out.shape)}; receptive fields need N×C×H×W outputs")
        if not 0 <= channel < out.shape[1]:
            raise ValueError(f"channel: {ref.key!r} has {out.shape[1]} channels, got {channel}")
        bad = (pos[:, 0] < 0) | (pos[:, 0] >= out.shape[2]) | (pos[:, 1] < 0) | (pos[:, 1] >= out.shape[3])
        if bad.any():
            raise ValueError(f"positions: {pos[bad][0].tolist()} lies outside the {tuple(out.shape[2:])} output of {ref.key!r}")
        flags = torch.isnan(out[:, channel]).cpu().numpy()
        for b, probe in enumerate(todo):
            seen[probe] = flags[b][pos[:, 0], pos[:, 1]]

    report(progress, span[0], "receptive fields")
    with Recorder(guard, {ref: keep}, argument="layer") as recorder:
        nan_maps([("all", 0)])
        depends = seen[("all", 0)]
        # Per position and side, a bracket (known-false, known-true) narrowed until adjacent.
        sizes = {"row_first": height, "row_last": height, "col_first": width, "col_last": width}
        lo = {s: np.where(s.endswith("last"), 0, -1) + np.zeros(len(pos), np.int64) for s in _SIDES}
        hi = {s: np.where(s.endswith("last"), sizes[s], sizes[s] - 1) + np.zeros(len(pos), np.int64) for s in _SIDES}
        steps = max(1, int(np.ceil(np.log2(max(height, width) + 1))))
        for step in range(steps + 1):
            mids = {s: (lo[s] + hi[s]) // 2 for s in _SIDES}
            open_ = {s: (hi[s] - lo[s] > 1) & depends for s in _SIDES}
            if not any(o.any() for o in open_.values()):
                break
            nan_maps([(s, int(m)) for s in _SIDES for m, o in zip(mids[s], open_[s]) if o])
            for s in _SIDES:
                for p in np.flatnonzero(open_[s]):
                    nan = bool(seen[(s, int(mids[s][p]))][p])
                    # "last" sides: NaN means the dependency reaches row/col ≥ mid → raise lo.
                    if s.endswith("last"):
                        (lo if nan else hi)[s][p] = mids[s][p]
                    else:
                        (hi if nan else lo)[s][p] = mids[s][p]
            report(progress, span[0] + (span[1] - span[0]) * (step + 1) / (steps + 1), "receptive fields")
    boxes = np.stack([hi["row_first"], lo["row_last"] + 1, hi["col_first"], lo["col_last"] + 1], axis=1)
    boxes[~depends] = 0
    return boxes
