"""3×3 convolutions by Winograd's minimal filtering (Lavin & Gray, "Fast Algorithms for Convolutional
Neural Networks", CVPR 2016): each m×m output tile comes from an (m+2)×(m+2) input tile with (m+2)²
multiplications per channel pair instead of 9·m², as one matrix product over channels per transform
point, between cheap linear transforms of the input tiles and of the products.

The transforms are Toom-Cook interpolation at chosen points (:func:`toom_cook`; with points 0, ±1, ±2
it gives Lavin & Gray's matrices exactly). :data:`F4X4_3X3` is F(4×4, 3×3) at 0, 1, −1, ½, −2 and ∞:
36 products where a direct convolution takes 144 (2.25× fewer at 8×8 outputs; 7×7 outputs are padded
to 8×8 tiles, so 2.0× there). Its rounding error was measured against a float64 convolution on
unit-variance activations (64 images, float32): 1.2–1.7e-5 largest and 1.0–1.1e-6 RMS at 256 channels
14×14 and 512 channels 7×7, against 6.2–7.5e-6 and 0.4–0.5e-6 for torch's direct convolution;
Lavin & Gray's points 0, ±1, ±2 gave 3.3–4.3e-5 largest. F(2×2, 3×3) is more accurate than the direct
convolution (1.9–2.3e-6) but saved only 10–20 % of its time, against 30–50 % for F(4×4, 3×3).

The transforms are memory-bound, so :class:`WinogradConv` runs them on a few images at a time, sized
so one pass's transformed input stays near ``pass_bytes`` (cache-sized; 4–9 MB ran fastest at both
shapes above on a 4 MB-L2 Xeon), in buffers allocated once per call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import torch

__all__ = ["F4X4_3X3", "ToomCook", "WinogradConv", "toom_cook"]


@dataclass(frozen=True)
class ToomCook:
    """The three transforms of F(m×m, r×r): ``input`` (Bᵀ, n×n), ``kernel`` (G, n×r, float64) and
    ``output`` (Aᵀ, m×n), with ``n = m + r − 1``; ``ones`` is a point whose column of Aᵀ is all ones
    (the point 1), where a bias added to the products reaches every output of the tile once."""

    input: torch.Tensor
    kernel: torch.Tensor
    output: torch.Tensor
    ones: int

    @property
    def tile(self) -> int:
        """Outputs per tile along each axis (m)."""
        return self.output.shape[0]

    @property
    def points(self) -> int:
        """Transform points along each axis (n = m + r − 1)."""
        return self.input.shape[0]


def _polynomial(roots: Sequence[Fraction]) -> list[Fraction]:
    """Coefficients of Π (x − root), lowest power first."""
    coefficients = [Fraction(1)]
    for root in roots:
        shifted = [Fraction(0)] + coefficients
        coefficients = [shifted[i] - root * (coefficients[i] if i < len(coefficients) else 0) for i in range(len(shifted))]
    return coefficients


def toom_cook(m: int, r: int, points: Sequence[int | Fraction]) -> ToomCook:
    """The transforms of F(m×m, r×r) (correlation, as ``conv2d`` computes) by Toom-Cook interpolation at
    ``points`` and infinity, computed in exact rational arithmetic.

    Parameters
    ----------
    m : int
        Outputs per tile along each axis.
    r : int
        Kernel size along each axis.
    points : sequence of int or Fraction
        ``m + r − 2`` distinct finite interpolation points; must include 1 (see :class:`ToomCook`).

    Returns
    -------
    ToomCook
        Bᵀ and Aᵀ as float32, G as float64.
    """
    finite = [Fraction(p) for p in points]
    n = m + r - 1
    if len(finite) != n - 1 or len(set(finite)) != len(finite):
        raise ValueError(f"points: expected {n - 1} distinct values for F({m}, {r}), got {list(points)}")
    if Fraction(1) not in finite:
        raise ValueError(f"points: expected 1 among them (the bias enters there), got {list(points)}")
    output = [[p**i for p in finite] + [Fraction(int(i == m - 1))] for i in range(m)]
    kernel = []
    for j, p in enumerate(finite):
        scale = math.prod((p - q for k, q in enumerate(finite) if k != j), start=Fraction(1))
        kernel.append([p**k / scale for k in range(r)])
    kernel.append([Fraction(int(k == r - 1)) for k in range(r)])
    rows = [_polynomial([q for k, q in enumerate(finite) if k != j]) + [Fraction(0)] for j in range(n - 1)]
    rows.append(_polynomial(finite))

    def tensor(values: list[list[Fraction]], dtype: torch.dtype) -> torch.Tensor:
        return torch.tensor([[float(v) for v in row] for row in values], dtype=dtype)

    return ToomCook(tensor(rows, torch.float32), tensor(kernel, torch.float64), tensor(output, torch.float32), finite.index(Fraction(1)))


F4X4_3X3 = toom_cook(4, 3, [0, 1, -1, Fraction(1, 2), -2])
"""F(4×4, 3×3) at 0, 1, −1, ½, −2 and ∞ (more accurate than Lavin & Gray's 0, ±1, ±2; see the module)."""


def _prefix(buffer: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """The first elements of a flat ``buffer`` as a contiguous tensor of ``shape``."""
    return buffer[: math.prod(shape)].view(shape)


class WinogradConv:
    """A stride-1, undilated, ungrouped 3×3 convolution with zero padding, computed by Winograd's
    minimal filtering; equal to ``F.conv2d(x, weight, bias, padding=...)`` up to float rounding.

    Parameters
    ----------
    weight : torch.Tensor
        Cout×Cin×3×3.
    bias : torch.Tensor or None
        Cout.
    pad : tuple of int
        Zero padding ``(top, bottom, left, right)``.
    transform : ToomCook
        The tile transforms (r = 3).
    pass_bytes : int
        Transformed input per pass over a few images.
    """

    def __init__(
        self,
        weight: torch.Tensor,
        bias: torch.Tensor | None,
        pad: tuple[int, int, int, int],
        transform: ToomCook = F4X4_3X3,
        *,
        pass_bytes: int = 6 << 20,
    ) -> None:
        if weight.dim() != 4 or tuple(weight.shape[-2:]) != (3, 3) or transform.kernel.shape[1] != 3:
            raise ValueError(f"weight: expected Cout×Cin×3×3, got shape {tuple(weight.shape)}")
        self.weight = weight.detach()
        self._weights: torch.Tensor | None = None  # transformed on the first call (see weights)
        self.bias = None if bias is None else bias.detach().to(weight.dtype)
        self.pad = pad
        self.transform = transform
        self.pass_bytes = pass_bytes

    def prepare(self) -> None:
        """Transform the kernel now (:attr:`weights`), e.g. before a timed call."""
        self.weights  # noqa: B018 - computed and kept on first access

    @property
    def weights(self) -> torch.Tensor:
        """The kernel at the transform points, one Cin×Cout matrix per point (column point b, row point a:
        the order the input transform leaves): ``G w Gᵀ`` as one (n²×9)·(9×Cin·Cout) product in the kernel's
        own precision (float32 rounds it by ~1e-7 of itself, far below the tile transforms' error; float64 took
        3× as long), computed on first use (resnet18's 512-channel kernels: ~10 ms each, mostly writing the
        36 matrices)."""
        if self._weights is None:
            n, dtype = self.transform.points, self.weight.dtype
            out_channels, in_channels = self.weight.shape[:2]
            g = self.transform.kernel.to(self.weight.device, dtype)
            both = torch.kron(g, g)  # row (b, a), column (j, i): G[a, i]·G[b, j]
            taps = self.weight.permute(3, 2, 1, 0).reshape(9, in_channels * out_channels)
            self._weights = (both @ taps).view(n * n, in_channels, out_channels)
        return self._weights

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """The convolution of ``x`` (N×Cin×H×W), channels-last N×Cout×H'×W'."""
        t = self.transform
        m, n = t.tile, t.points
        batch, channels, height, width = x.shape
        top, bottom, left, right = self.pad
        out_h, out_w = height + top + bottom - 2, width + left + right - 2
        rows, cols = math.ceil(out_h / m), math.ceil(out_w / m)
        tiles = rows * cols
        per_pass = max(1, min(batch, self.pass_bytes // (n * n * tiles * channels * x.element_size())))
        out_channels = self.weights.shape[-1]
        bt, at = t.input.to(x.device, x.dtype), t.output.to(x.device, x.dtype)
        weights = self.weights.to(x.device)
        bias = None if self.bias is None else self.bias.to(x.device)

        padded = x.new_zeros(per_pass, m * rows + 2, m * cols + 2, channels)  # pixels × channels; borders stay 0
        by_rows = n * per_pass * rows * (m * cols + 2) * channels
        scratch = [x.new_empty(max(by_rows, n * n * per_pass * tiles * channels, m * m * per_pass * tiles * out_channels)), x.new_empty(by_rows)]
        transformed = x.new_empty(n * n * per_pass * tiles * max(channels, out_channels))
        products = x.new_empty(n * n * per_pass * tiles * out_channels)
        out = x.new_empty(batch, m * rows, m * cols, out_channels)
        pixels = x.permute(0, 2, 3, 1)
        for first in range(0, batch, per_pass):
            q = min(per_pass, batch - first)
            pad_q = padded[:q]
            pad_q[:, top : top + height, left : left + width] = pixels[first : first + q]
            # Bᵀ along rows, then along columns; the taps are strided views of the padded images
            taps = _prefix(scratch[0], (n, q, rows, m * cols + 2, channels))
            torch.stack([pad_q[:, i : i + m * rows : m] for i in range(n)], out=taps)
            along_rows = _prefix(scratch[1], (n, q, rows, m * cols + 2, channels))
            torch.mm(bt, taps.view(n, -1), out=along_rows.view(n, -1))
            taps = _prefix(scratch[0], (n, n, q, rows, cols, channels))
            torch.stack([along_rows[:, :, :, j : j + m * cols : m] for j in range(n)], out=taps)
            v = _prefix(transformed, (n * n, q * tiles, channels))  # column point b, row point a
            torch.mm(bt, taps.view(n, -1), out=v.view(n, -1))
            # one Cin→Cout product per point
            prod = _prefix(products, (n * n, q * tiles, out_channels))
            torch.bmm(v, weights, out=prod)
            if bias is not None:
                prod[t.ones * n + t.ones] += bias
            # Aᵀ along columns (b), then along rows (a)
            size = q * tiles * out_channels
            along_cols = _prefix(transformed, (m, n, size))
            torch.mm(at, prod.view(n, n * size), out=along_cols.view(m, n * size))
            tile_out = _prefix(scratch[0], (m, m, size))
            torch.matmul(at, along_cols, out=tile_out)
            # tile_out: (b', a', image, tile row, tile column, Cout) → out[image, row·m + a', column·m + b']
            out[first : first + q].view(q, rows, m, cols, m, out_channels).copy_(
                tile_out.view(m, m, q, rows, cols, out_channels).permute(2, 3, 1, 4, 0, 5)
            )
        if (m * rows, m * cols) != (out_h, out_w):
            out = out[:, :out_h, :out_w].contiguous()
        return out.permute(0, 3, 1, 2)
