"""Image parameterisations for feature visualisation: what the optimiser actually changes.

- ``"pixel"``: one free value per pixel.
- ``"fft"``: a Fourier spectrum scaled by 1/frequency (lucid's trick: every frequency learns at a
  similar rate, so high-frequency noise does not win) with decorrelated colour for RGB.

Both squash through a sigmoid into [0, 1] unless ``squash=False`` (then the pixel values are free;
used by inversion). Every image in a batch draws its starting noise from its own generator, so an
image's trajectory does not depend on which other images share the batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .regularisers import gaussian_blur

__all__ = ["PARAMS", "ImageParam", "PixelImage", "FourierImage", "make_param"]

PARAMS = ("fft", "pixel")

# Square root of the colour correlation of natural images (lucid's ImageNet estimate), columns normalised.
_COLOR_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
_COLOR = _COLOR_SQRT / _COLOR_SQRT.norm(dim=0).max()


def _noise(seeds: Sequence[int], shape: tuple[int, ...], std: float) -> torch.Tensor:
    """One (shape) noise tensor per seed, stacked: independent of batch composition."""
    return torch.stack([torch.randn(shape, generator=torch.Generator().manual_seed(int(s))) * std for s in seeds])


def _logit(x: torch.Tensor) -> torch.Tensor:
    x = x.clamp(1e-3, 1 - 1e-3)
    return torch.log(x) - torch.log1p(-x)


class ImageParam:
    """A batch of N×C×H×W images built from free tensors (``parameters()``); ``image()`` is differentiable."""

    def __init__(self, squash: bool) -> None:
        self.squash = squash

    def parameters(self) -> list[torch.Tensor]:
        raise NotImplementedError

    def raw(self) -> torch.Tensor:
        """The image before the sigmoid."""
        raise NotImplementedError

    def image(self) -> torch.Tensor:
        """The current images, N×C×H×W (in [0, 1] when squashed)."""
        raw = self.raw()
        return torch.sigmoid(raw) if self.squash else raw

    def blur_(self, sigma: float) -> None:
        """Blur the (pre-sigmoid) images in place with a Gaussian of ``sigma`` pixels."""
        raise NotImplementedError

    def _to_raw(self, images: torch.Tensor) -> torch.Tensor:
        return _logit(images) if self.squash else images


class PixelImage(ImageParam):
    """One free value per pixel (pre-sigmoid when squashed)."""

    def __init__(self, shape: tuple[int, int, int], seeds: Sequence[int], *, squash: bool = True,
                 init: torch.Tensor | None = None, std: float = 0.01) -> None:
        super().__init__(squash)
        start = _noise(seeds, shape, std)
        if init is not None:
            start = start + self._to_raw(init)
        self.z = start.requires_grad_(True)

    def parameters(self) -> list[torch.Tensor]:
        return [self.z]

    def raw(self) -> torch.Tensor:
        return self.z

    def blur_(self, sigma: float) -> None:
        with torch.no_grad():
            self.z.copy_(gaussian_blur(self.z, sigma))


class FourierImage(ImageParam):
    """A spectrum scaled by 1/frequency, decorrelated colour for 3 channels (lucid's parameterisation)."""

    def __init__(self, shape: tuple[int, int, int], seeds: Sequence[int], *, squash: bool = True,
                 init: torch.Tensor | None = None, std: float = 0.01, decay: float = 1.0) -> None:
        super().__init__(squash)
        c, h, w = shape
        self.size = (h, w)
        fy = torch.fft.fftfreq(h)[:, None]
        fx = torch.fft.rfftfreq(w)[None, :]
        self.freq = torch.sqrt(fx * fx + fy * fy)
        self.scale = 1.0 / torch.clamp(self.freq, min=1.0 / max(h, w)) ** decay
        self.colour = _COLOR if c == 3 else None
        spectrum = _noise(seeds, (c, h, w // 2 + 1, 2), std)
        if init is not None:
            spectrum = spectrum + torch.view_as_real(self._spectrum_of(self._to_raw(init)))
        self.spectrum = spectrum.requires_grad_(True)

    def parameters(self) -> list[torch.Tensor]:
        return [self.spectrum]

    def raw(self) -> torch.Tensor:
        spatial = torch.fft.irfft2(torch.view_as_complex(self.spectrum) * self.scale, s=self.size, norm="ortho") / 4.0
        if self.colour is not None:
            spatial = torch.einsum("dc,nchw->ndhw", self.colour, spatial)
        return spatial

    def _spectrum_of(self, raw: torch.Tensor) -> torch.Tensor:
        """The inverse of :meth:`raw` (without noise)."""
        if self.colour is not None:
            raw = torch.einsum("dc,nchw->ndhw", torch.linalg.inv(self.colour), raw)
        return torch.fft.rfft2(raw * 4.0, norm="ortho") / self.scale

    def blur_(self, sigma: float) -> None:
        # A Gaussian blur is a multiplication of the spectrum by the Gaussian's transfer function.
        transfer = torch.exp(-2.0 * math.pi**2 * sigma**2 * self.freq**2)
        with torch.no_grad():
            self.spectrum.mul_(transfer[..., None])


def make_param(kind: str, shape: tuple[int, int, int], seeds: Sequence[int], *, squash: bool = True,
               init: torch.Tensor | None = None) -> ImageParam:
    """A parameterisation named ``kind`` (``"fft"`` or ``"pixel"``) for ``len(seeds)`` images of ``shape`` (C, H, W);
    ``init`` (N×C×H×W) gives starting images (plus the seeded noise)."""
    if kind == "pixel":
        return PixelImage(shape, seeds, squash=squash, init=init)
    if kind == "fft":
        return FourierImage(shape, seeds, squash=squash, init=init)
    raise ValueError(f"param: expected one of {', '.join(repr(p) for p in PARAMS)}, got {kind!r}")

