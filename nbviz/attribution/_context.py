"""What every attribution method needs while the model is guarded: the inputs, the clean output,
the resolved target, the probe, the memory budget and the progress callback — plus the one loop
they all share: feed rows to the model in budget-sized passes and sum weighted input gradients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
from torch import nn

from .._guard import ModelGuard
from .._progress import Progress, report
from ._probe import Probe
from .targets import Target

__all__ = ["Context", "RowMaker"]

# (start, stop) → (rows, owners, weights): rows to feed, the input each row belongs to, and the
# weight of each row's gradient in its input's sum.
RowMaker = Callable[[int, int], "tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]"]


@dataclass
class Context:
    model: nn.Module
    x: torch.Tensor
    target: Target
    guard: ModelGuard
    probe: Probe
    batch_size: int | None
    budget_bytes: int
    progress: Progress | None = None
    span: tuple[float, float] = (0.0, 1.0)
    method: str = ""  # the saliency method being computed (named in notes)
    # what the result should say about itself (e.g. guided backprop found no ReLU); see meaning.py
    notes: list[str] = field(default_factory=list)
    # max |output| per input from the clean passes (the scale numerical noise is judged against)
    reference: torch.Tensor | None = None

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    def rows_per_pass(self, start_call: int = 0, *, backward: bool = True) -> int:
        """Rows per model pass: ``batch_size`` if given, else what fits the memory budget."""
        if self.batch_size is not None:
            return self.batch_size
        per_row = self.probe.backward_bytes_per_row(start_call) if backward else self.probe.forward_bytes_per_row()
        return max(1, int(self.budget_bytes // max(per_row, 1)))

    def report(self, fraction: float, message: str) -> None:
        low, high = self.span
        report(self.progress, low + (high - low) * fraction, message)

    def chunks(self, total: int, rows: int, message: str) -> Iterator[tuple[int, int]]:
        """``(start, stop)`` ranges covering ``total`` rows, reporting progress before each."""
        for start in range(0, total, rows):
            self.report(start / max(total, 1), message)
            yield start, min(total, start + rows)
        self.report(1.0, message)

    def scores(self, output: torch.Tensor, owners: torch.Tensor, clean: bool) -> torch.Tensor:
        """Target scores of a pass's rows; ``clean`` rows are the inputs ``owners`` themselves,
        whose outputs settle a pending "predicted class" target."""
        if clean:
            self.note_reference(output, int(owners[0]), int(owners[-1]) + 1)
        if clean and self.target.pending:
            self.target.predict(output, int(owners[0]), int(owners[-1]) + 1)
        return self.target.scores(output, owners)

    def note_reference(self, output: torch.Tensor, start: int, stop: int) -> None:
        """Keep max |output| of the clean inputs ``start:stop`` (their ``output`` rows)."""
        if self.reference is None:
            self.reference = torch.full((self.n,), float("nan"), dtype=torch.float64)
        self.reference[start:stop] = output.detach().reshape(stop - start, -1).abs().amax(dim=1).double().cpu()

    def input_gradients(self, rows: torch.Tensor, owners: torch.Tensor, clean: bool = False) -> torch.Tensor:
        """d target score / d rows for a batch of rows (same shape as ``rows``)."""
        rows = rows.detach().requires_grad_(True)
        with torch.enable_grad():
            scores = self.scores(self.model(rows), owners, clean)
            if not scores.requires_grad:
                raise ValueError("target: the explained score does not depend on the input")
            (grads,) = torch.autograd.grad(scores.sum(), rows)
        return grads

    def summed_gradients(self, total: int, make_rows: RowMaker, message: str, *, clean: bool = False) -> torch.Tensor:
        """Sum over ``total`` rows of ``weight · gradient`` per input: an N×C×H×W tensor
        (``clean``: row i is input i, see :meth:`scores`)."""
        sums = torch.zeros_like(self.x)
        for start, stop in self.chunks(total, self.rows_per_pass(), message):
            rows, owners, weights = make_rows(start, stop)
            grads = self.input_gradients(rows, owners, clean)
            if weights is not None:
                grads = grads * weights.view(-1, *([1] * (grads.ndim - 1)))
            sums.index_add_(0, owners.to(sums.device), grads)
        return sums

    def forward_outputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """The model's outputs for ``inputs``, without gradients, in budget-sized passes."""
        rows = self.rows_per_pass(backward=False)
        with torch.no_grad():
            return torch.cat([self.model(inputs[s : s + rows]) for s in range(0, inputs.shape[0], rows)])

    def forward_scores(self, inputs: torch.Tensor) -> torch.Tensor:
        """Target scores of N inputs (row i explains input i), without gradients."""
        return self.target.scores(self.forward_outputs(inputs))
