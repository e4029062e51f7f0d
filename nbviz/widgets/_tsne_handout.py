"""Compact t-SNE frames for handouts (a saved page without a kernel): every frame of a run as
uint16 codes over its own extent."""

from __future__ import annotations

import numpy as np

__all__ = ["quantise_frames"]


def quantise_frames(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quantise t-SNE frames to uint16, each over its own extent.

    ``lo + code / 65535 * (hi - lo)`` recovers a frame to 1/131070 of its extent (early t-SNE
    frames are thousands of times smaller than late ones, so one shared extent would not do).

    Parameters
    ----------
    frames : numpy.ndarray
        (S, N, 2) float positions.

    Returns
    -------
    tuple of numpy.ndarray
        (S, N, 2) uint16 codes and the (S, 2, 2) float32 extents (low corner, high corner).
    """
    frames = np.asarray(frames, dtype=np.float64)
    if frames.ndim != 3 or frames.shape[2] != 2:
        raise ValueError(f"frames: expected shape (S, N, 2), got {tuple(frames.shape)}")
    lo = frames.min(axis=1, keepdims=True) if frames.shape[1] else np.zeros((frames.shape[0], 1, 2))
    hi = frames.max(axis=1, keepdims=True) if frames.shape[1] else np.ones((frames.shape[0], 1, 2))
    span = np.where(hi > lo, hi - lo, 1.0)
    codes = np.rint((frames - lo) / span * 65535).astype(np.uint16)
    return codes, np.concatenate([lo, lo + span], axis=1).astype(np.float32)
