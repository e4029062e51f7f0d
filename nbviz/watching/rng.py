"""The random state training sees, untouched by the watcher's work in the training thread."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch

__all__ = ["training_rng_untouched"]


@contextmanager
def training_rng_untouched() -> Iterator[None]:
    """Run a block and put back every global random state it could draw from: torch's CPU generator,
    every CUDA device's generator (when CUDA is initialised), NumPy's global ``RandomState`` and Python's
    ``random``. Only for the thread that trains: restoring from another thread would undo the draws
    training made meanwhile, so background work must draw from no global generator at all."""
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    numpy_state = np.random.get_state()
    python_state = random.getstate()
    with torch.random.fork_rng(devices=devices):
        try:
            yield
        finally:
            np.random.set_state(numpy_state)
            random.setstate(python_state)
