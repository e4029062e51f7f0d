"""Which scalar of the model's output an attribution explains, for every input.

``target`` may be ``None`` (the predicted class of each input), an ``int`` (one class for all
inputs), one ``int`` per input (list, tuple, numpy array or tensor), or a callable mapping the
model's output for a batch of rows to one scalar per row. :func:`resolve_target` checks it once
against the clean output; :meth:`Target.scores` then picks the scalars from any batch of rows,
where ``owners[r]`` says which input row ``r`` belongs to (noise samples, IG steps, occluded
copies …).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["Target", "TargetSpec", "resolve_target"]

TargetSpec = None | int | Sequence[int] | np.ndarray | torch.Tensor | Callable[[torch.Tensor], torch.Tensor]


@dataclass
class Target:
    """A resolved target: ``classes`` (N int64 tensor) for class targets, or ``fn`` for a callable.

    ``pending`` marks "the predicted class" before the clean outputs are known (see
    :meth:`predict`); scoring a pending target is an error."""

    n_inputs: int
    classes: torch.Tensor | None = None
    fn: Callable[[torch.Tensor], torch.Tensor] | None = None
    pending: bool = False

    def predict(self, output: torch.Tensor, start: int, stop: int) -> None:
        """Fill in the predicted classes of inputs ``start:stop`` from their clean ``output``."""
        if self.pending:
            assert self.classes is not None
            self.classes[start:stop] = output.detach().reshape(stop - start, -1).argmax(dim=1).cpu()
            self.pending = bool((self.classes < 0).any())

    def scores(self, output: torch.Tensor, owners: torch.Tensor | None = None) -> torch.Tensor:
        """One scalar per row of ``output`` (shape ``(rows,)``); ``owners`` maps rows to inputs
        (default: row ``r`` is input ``r``)."""
        rows = output.shape[0]
        if self.fn is not None:
            value = self.fn(output)
            if not isinstance(value, torch.Tensor) or value.shape != (rows,):
                got = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
                raise ValueError(f"target: the callable must return a tensor of shape ({rows},), one scalar per row, got {got}")
            return value
        assert self.classes is not None
        classes = self.classes
        if owners is not None:
            classes = classes[owners.cpu()]
        elif rows != self.n_inputs:
            raise ValueError(f"target: {rows} output rows but {self.n_inputs} targets; pass owners")
        if self.pending and bool((classes < 0).any()):
            raise RuntimeError("target: the predicted classes are not known yet; call predict() first")
        classes = classes.to(output.device)
        return output.reshape(rows, -1).gather(1, classes[:, None])[:, 0]

    def as_array(self) -> np.ndarray | None:
        """The class per input as an int64 numpy array, or ``None`` for a callable target."""
        return None if self.classes is None else self.classes.detach().cpu().numpy().astype(np.int64)


def _class_count(output: torch.Tensor) -> int:
    if output.ndim != 2:
        raise ValueError(
            f"target: class targets need a model output of shape (N, classes), got {tuple(output.shape)}; "
            "pass a callable target that returns one scalar per row instead"
        )
    return int(output.shape[1])


def resolve_target(target: TargetSpec, output: torch.Tensor, *, n_inputs: int | None = None, argument: str = "target") -> Target:
    """Check ``target`` against the model's clean ``output`` and return a :class:`Target` for
    ``n_inputs`` inputs (default: one per output row).

    ``output`` may hold fewer rows than ``n_inputs`` (e.g. one probe row): it is then used only
    to check the class count and a callable's result, and ``target=None`` comes back ``pending``
    until :meth:`Target.predict` sees the clean outputs. Raises ``ValueError`` for a class out of range or a wrong
    number of targets and ``TypeError``
    for anything that is not one of the accepted forms.
    """
    rows = int(output.shape[0])
    n = rows if n_inputs is None else int(n_inputs)
    if callable(target) and not isinstance(target, torch.Tensor):
        Target(rows, fn=target).scores(output.detach())  # validates the returned shape once
        return Target(n, fn=target)
    if target is None:
        _class_count(output)
        resolved = Target(n, classes=torch.full((n,), -1, dtype=torch.int64), pending=True)
        if rows == n:
            resolved.predict(output, 0, n)
        return resolved
    if isinstance(target, bool):
        raise TypeError(f"{argument}: expected None, an int, one int per input or a callable, got bool")
    if isinstance(target, (int, np.integer)):
        classes = torch.full((n,), int(target), dtype=torch.int64)
    elif isinstance(target, (torch.Tensor, np.ndarray, list, tuple)):
        classes = torch.as_tensor(np.asarray(target.cpu() if isinstance(target, torch.Tensor) else target))
        if classes.dtype.is_floating_point or classes.dtype == torch.bool or classes.ndim != 1:
            raise TypeError(
                f"{argument}: expected one int per input (a 1-D integer sequence), "
                f"got {classes.dtype} of shape {tuple(classes.shape)}"
            )
        if classes.shape[0] != n:
            raise ValueError(
                f"{argument}: got {classes.shape[0]} targets for {n} inputs; give one class per input or a single int"
            )
        classes = classes.to(torch.int64)
    else:
        raise TypeError(f"{argument}: expected None, an int, one int per input or a callable, got {type(target).__name__}")
    k = _class_count(output)
    bad = (classes < 0) | (classes >= k)
    if bool(bad.any()):
        raise ValueError(f"{argument}: class {int(classes[bad][0])} is out of range for a model with {k} outputs (0…{k - 1})")
    return Target(n, classes=classes)
