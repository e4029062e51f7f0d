"""Demo data that ships with nbviz: nothing here downloads anything.

- :func:`digits` — scikit-learn's bundled 8×8 handwritten digits (1,797 real images).
- :func:`shapes` — generated RGB images of coloured shapes on textured backgrounds, with class labels
  and a ground-truth object mask per image, so saliency maps can be scored.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["ImageDataset", "digits", "shapes", "SHAPE_CLASSES"]

SHAPE_CLASSES = ("circle", "square", "triangle", "cross")
_CHUNK = 1024  # images generated per vectorised step


@dataclass(frozen=True)
class ImageDataset(torch.utils.data.Dataset):
    """Images with labels; indexing gives ``(image, label)``, so it works with a DataLoader.

    Parameters
    ----------
    images : torch.Tensor
        N×C×H×W float32 in [0, 1].
    labels : torch.Tensor
        N int64 class indices.
    class_names : tuple of str
        The name of each class index.
    masks : torch.Tensor or None, default None
        N×H×W bool, the pixels of the object (``shapes`` only).
    """

    images: torch.Tensor
    labels: torch.Tensor
    class_names: tuple[str, ...]
    masks: torch.Tensor | None = None

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[index], self.labels[index]

    def split(self, n_train: int) -> tuple[ImageDataset, ImageDataset]:
        """The first ``n_train`` samples and the rest, as two datasets.

        Parameters
        ----------
        n_train : int
            Samples in the first part.

        Returns
        -------
        tuple of (ImageDataset, ImageDataset)
            ``(first n_train, the rest)``.
        """

        def part(s: slice) -> ImageDataset:
            masks = None if self.masks is None else self.masks[s]
            return ImageDataset(self.images[s], self.labels[s], self.class_names, masks)

        return part(slice(0, n_train)), part(slice(n_train, None))


def digits(size: int = 8) -> ImageDataset:
    """scikit-learn's 1,797 handwritten digits as image tensors (bundled with scikit-learn: nothing downloads).

    Parameters
    ----------
    size : int, default 8
        Side of the returned images in pixels, at least 8; above 8 the 8×8 originals are upsampled bilinearly.

    Returns
    -------
    ImageDataset
        ``images`` N×1×size×size float32 in [0, 1], ``labels`` 0–9, ``class_names`` ``("0", …, "9")``.
    """
    from sklearn.datasets import load_digits

    size = _check_int(size, "size", 8)
    bunch = load_digits()
    images = torch.from_numpy(bunch.images.astype(np.float32) / 16.0).unsqueeze(1)
    if size != 8:
        images = torch.nn.functional.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    labels = torch.from_numpy(bunch.target.astype(np.int64))
    return ImageDataset(images.contiguous(), labels, tuple(str(i) for i in range(10)))


def _check_int(value: object, argument: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{argument}: expected an int ≥ {minimum}, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{argument}: expected an int ≥ {minimum}, got {value!r}")
    return int(value)


def _backgrounds(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """Smooth random backgrounds, n×H×W×3: a base colour, three coloured sine gratings, pixel noise."""
    grid = np.arange(size, dtype=np.float32) / size
    base = rng.uniform(0.2, 0.8, size=(n, 1, 3)).astype(np.float32)
    freq = rng.uniform(0.5, 3.0, size=(n, 3, 2)).astype(np.float32)  # (fy, fx) per grating
    phase = rng.uniform(0, 2 * np.pi, size=(n, 3)).astype(np.float32)
    amp = rng.uniform(0.03, 0.12, size=(n, 3, 3)).astype(np.float32)  # per grating, per channel
    arg = 2 * np.pi * (freq[..., 0, None, None] * grid[:, None] + freq[..., 1, None, None] * grid) + phase[..., None, None]
    gratings = np.sin(arg).reshape(n, 3, size * size).transpose(0, 2, 1)  # n×HW×3 gratings
    img = base + gratings @ amp + rng.normal(0.0, 0.05, size=(n, size * size, 3)).astype(np.float32)
    return img.reshape(n, size, size, 3)


def _shape_masks(kinds: np.ndarray, size: int, cy: np.ndarray, cx: np.ndarray, r: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """n×H×W bool masks: shape ``kinds[i]`` (index into SHAPE_CLASSES) of radius ``r[i]`` at (cy, cx), rotated."""
    centre = np.arange(size, dtype=np.float32) + 0.5
    dy = centre[None, :, None] - cy[:, None, None]
    dx = centre[None, None, :] - cx[:, None, None]
    c, s = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    u, v = c * dx + s * dy, -s * dx + c * dy  # rotated coordinates
    r = r[:, None, None]
    h = v + r * 0.5  # triangle: height above its base, pointing up in the rotated frame
    arm = r * 0.32
    candidates = np.stack([
        dx**2 + dy**2 <= r**2,  # circle
        (np.abs(u) <= r * 0.85) & (np.abs(v) <= r * 0.85),  # square
        (h >= 0) & (h <= 1.5 * r) & (np.abs(u) <= (1.5 * r - h) / np.sqrt(3)),  # triangle
        ((np.abs(u) <= arm) & (np.abs(v) <= r)) | ((np.abs(v) <= arm) & (np.abs(u) <= r)),  # cross
    ])
    return candidates[kinds, np.arange(len(kinds))]


def _contrasting_colours(rng: np.random.Generator, against: np.ndarray, min_gap: float = 0.35) -> np.ndarray:
    """One random RGB colour per row of ``against`` (n×3) differing from it by ≥ ``min_gap`` in some channel."""
    colours = rng.uniform(0, 1, size=against.shape).astype(np.float32)
    while (redraw := np.abs(colours - against).max(1) < min_gap).any():
        colours[redraw] = rng.uniform(0, 1, size=(int(redraw.sum()), 3))
    return colours


def shapes(n: int = 2000, size: int = 32, seed: int = 0) -> ImageDataset:
    """Generated RGB images of a circle, square, triangle or cross.

    Random colour, position, scale (radius 16–30 % of ``size``) and rotation on a textured noisy
    background; labels cycle through :data:`SHAPE_CLASSES` in shuffled order, so classes are balanced.

    Parameters
    ----------
    n : int, default 2000
        Number of images, at least 1.
    size : int, default 32
        Side of the images in pixels, at least 16.
    seed : int, default 0
        Seed of the generator: the same seed gives the same images.

    Returns
    -------
    ImageDataset
        ``images`` N×3×size×size float32 in [0, 1], ``labels`` N int64, ``masks`` N×size×size bool marking
        the object.
    """
    n = _check_int(n, "n", 1)
    size = _check_int(size, "size", 16)
    seed = _check_int(seed, "seed", 0)
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(SHAPE_CLASSES))
    images = np.empty((n, size, size, 3), np.float32)
    masks = np.empty((n, size, size), bool)
    for lo in range(0, n, _CHUNK):  # bounded memory; the random draws depend only on n and seed
        kinds = labels[lo : lo + _CHUNK]
        m = len(kinds)
        background = _backgrounds(rng, m, size)
        r = rng.uniform(0.16, 0.3, size=m) * size
        cy, cx = (r[:, None] + 1 + rng.uniform(size=(m, 2)) * (size - 2 * r[:, None] - 2)).T
        mask = _shape_masks(kinds, size, cy, cx, r, rng.uniform(0, 2 * np.pi, size=m))
        colour = _contrasting_colours(rng, background.mean((1, 2)))
        shade = colour[:, None, None, :] + rng.normal(0, 0.03, size=background.shape).astype(np.float32)
        images[lo : lo + m] = np.where(mask[..., None], shade, background)
        masks[lo : lo + m] = mask
    tensor = torch.from_numpy(np.clip(images, 0, 1)).permute(0, 3, 1, 2).contiguous()
    return ImageDataset(tensor, torch.from_numpy(labels.astype(np.int64)), SHAPE_CLASSES, torch.from_numpy(masks))
