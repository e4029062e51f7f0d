"""Small networks trained on the shipped data on a CPU, cached on disk: two CNNs (seconds) and a
small hybrid vision transformer (about a minute).

Nothing downloads: the first call trains deterministically (a fixed seed, fixed data order; bitwise
repeatable for a given torch thread count) without touching the caller's torch RNG state, and saves
the weights under ``$NBVIZ_CACHE`` (default ``~/.cache/nbviz``); later calls load them with
``weights_only=True``. A corrupt or stale cache file is retrained, never a crash, and a cache that
cannot be written (read-only, full, or a path that is a file) gives a warning and a working model.
Files nbviz wrote are listed in ``zoo-manifest.json`` in the cache folder; replacing the weights of an
older recipe deletes only files listed there, never a user's own ``digits_cnn-*.pt``.

Measured on 2 CPU cores: ``shapes_cnn`` 8–11 s to 98.8 % held-out accuracy, ``digits_cnn`` 2 s to 96.7 %,
``shapes_vit`` 6 epochs (see :func:`shapes_vit` for its time and accuracy).

Length: ~410 lines, above the house's ~400, for a stated reason: the zoo is one concept, and its
three architectures stay beside the recipes that train them and the cache that keeps them, so model,
data and training read in one place.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from . import datasets
from ._progress import Progress, report

__all__ = ["TrainedModel", "digits_cnn", "shapes_cnn", "shapes_vit", "cache_dir", "DigitsCNN", "ShapesCNN", "ShapesViT"]

log = logging.getLogger(__name__)
_FORMAT = 2  # bump when the file layout or the training recipe changes
_MANIFEST = "zoo-manifest.json"  # the weight files nbviz wrote into the cache folder, by name


class DigitsCNN(nn.Module):
    """1×8×8 digits → 10 classes: conv-BN-ReLU, conv-ReLU-pool, conv-ReLU-pool, linear (~25k params)."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(64 * 2 * 2, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of a batch of images.

        Parameters
        ----------
        x : torch.Tensor
            N×1×8×8 images.

        Returns
        -------
        torch.Tensor
            N×10 logits.
        """
        return self.classifier(self.features(x))


class ShapesCNN(nn.Module):
    """3×32×32 shapes → 4 classes (~113k params): a 64-channel conv block at the full 32×32 resolution,
    three more conv blocks (32, 64, 128 channels) at 16, 8 and 4 pixels, every conv followed by
    BatchNorm and ReLU, then global max pooling and a linear head.

    Max rather than average pooling at the end: the object covers 3–30 % of the image, and averaging
    drowns its evidence in the textured background (the average-pooled version needs several times
    more training to leave chance level).

    Parameters
    ----------
    n_classes : int, default 4
        Outputs of the linear head (``len(nbviz.datasets.SHAPE_CLASSES)``).
    """

    def __init__(self, n_classes: int = len(datasets.SHAPE_CLASSES)) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
        )
        self.classifier = nn.Sequential(nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(128, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of a batch of images.

        Parameters
        ----------
        x : torch.Tensor
            N×3×32×32 images.

        Returns
        -------
        torch.Tensor
            N×n_classes logits.
        """
        return self.classifier(self.features(x))


class ShapesViT(nn.Module):
    """3×32×32 shapes → 4 classes: a hybrid vision transformer (Dosovitskiy et al. 2021, §3.1; ~90k params).

    A small conv stem (two conv-BN-ReLU-pool blocks) turns the image into an 8×8 grid of 64-dim patch
    tokens; a class token and learned positions join them; two pre-norm transformer blocks built on
    ``nn.MultiheadAttention`` (4 heads) and a head on the class token follow. A pure ViT does not
    learn these shapes in minutes on a CPU; the stem gives the patches their features, the attention
    is the part to explain (Grad-CAM on tokens, attention maps, rollout).

    Parameters
    ----------
    n_classes : int, default 4
        Outputs of the head (``len(nbviz.datasets.SHAPE_CLASSES)``).
    dim : int, default 64
        Width of the tokens (the stem's last channel count).
    heads : int, default 4
        Attention heads per block; ``dim`` must be divisible by it.
    layers : int, default 2
        Transformer blocks.
    """

    def __init__(self, n_classes: int = len(datasets.SHAPE_CLASSES), dim: int = 64, heads: int = 4, layers: int = 2) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, dim, 3, padding=1, bias=False), nn.BatchNorm2d(dim), nn.ReLU(), nn.MaxPool2d(2),
        )  # fmt: skip
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.positions = nn.Parameter(torch.randn(1, 1 + 8 * 8, dim) * 0.02)
        block = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=2 * dim, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of a batch of images.

        Parameters
        ----------
        x : torch.Tensor
            N×3×32×32 images.

        Returns
        -------
        torch.Tensor
            N×n_classes logits.
        """
        tokens = self.stem(x).flatten(2).transpose(1, 2)  # N×64×dim, row-major over the 8×8 grid
        tokens = torch.cat([self.class_token.expand(len(tokens), -1, -1), tokens], 1) + self.positions
        return self.head(self.norm(self.encoder(tokens))[:, 0])


@dataclass
class TrainedModel:
    """A zoo model (in eval mode) with how it was trained.

    Parameters
    ----------
    model : torch.nn.Module
        The trained network, in eval mode.
    accuracy : float
        Accuracy on the held-out part of its dataset, in [0, 1].
    train_seconds : float
        Seconds the training took (when it was trained, not loaded from the cache).
    checkpoints : list of dict of str to torch.Tensor, default []
        State dicts saved after each epoch, oldest first (the last equals the model's): for
        loss-landscape trajectories.
    """

    model: nn.Module
    accuracy: float
    train_seconds: float
    checkpoints: list[dict[str, torch.Tensor]] = field(default_factory=list)


@dataclass(frozen=True)
class _Recipe:
    name: str
    build: Callable[[], nn.Module]
    dataset: str  # a function in nbviz.datasets, called with data_kwargs
    data_kwargs: tuple[tuple[str, int], ...]
    n_train: int  # the first n_train samples train, the rest are held out
    epochs: int
    batch_size: int
    lr: float
    channels_last: bool = False  # a training speed-up only; the returned model is contiguous

    def model(self) -> nn.Module:
        """A freshly initialised model; the caller's torch RNG state is left as it was."""
        with torch.random.fork_rng():
            return self.build()

    def data(self) -> datasets.ImageDataset:
        return getattr(datasets, self.dataset)(**dict(self.data_kwargs))

    def key(self) -> str:
        fields = (_FORMAT, self.name, repr(self.model()), self.dataset, self.data_kwargs, self.n_train,
                  self.epochs, self.batch_size, self.lr, self.channels_last)
        return hashlib.sha256("|".join(map(str, fields)).encode()).hexdigest()[:12]


_DIGITS = _Recipe("digits_cnn", DigitsCNN, "digits", (), n_train=1400, epochs=12, batch_size=32, lr=3e-3)
_SHAPES = _Recipe(
    "shapes_cnn", ShapesCNN, "shapes", (("n", 5000), ("seed", 0)),
    n_train=4000, epochs=4, batch_size=64, lr=5e-3, channels_last=True,
)
_SHAPES_VIT = _Recipe(
    "shapes_vit", ShapesViT, "shapes", (("n", 5000), ("seed", 0)), n_train=4000, epochs=6, batch_size=64, lr=3e-3,
)  # fmt: skip
_EVAL_BATCH = 250  # held-out images per forward pass (bounds memory: 64×32×32 maps are 256 KB each)


def cache_dir() -> Path:
    """Where trained zoo weights live: ``$NBVIZ_CACHE``, else ``$XDG_CACHE_HOME/nbviz``, else ``~/.cache/nbviz``.

    Returns
    -------
    pathlib.Path
        The folder (it may not exist yet).
    """
    root = os.environ.get("NBVIZ_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "nbviz")
    return Path(root)


def _contiguous_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone(memory_format=torch.contiguous_format) for k, v in model.state_dict().items()}


def _accuracy(model: nn.Module, data: datasets.ImageDataset) -> float:
    with torch.no_grad():
        correct = sum(
            int((model(x).argmax(1) == y).sum())
            for x, y in zip(data.images.split(_EVAL_BATCH), data.labels.split(_EVAL_BATCH))
        )
    return correct / len(data)


def _train(recipe: _Recipe, progress: Progress | None = None) -> TrainedModel:
    """Train ``recipe`` from seed 0 in a fixed data order; the caller's torch RNG state is untouched."""
    start = time.perf_counter()
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = recipe.build()
        train, test = recipe.data().split(recipe.n_train)
        images = train.images
        if recipe.channels_last:
            model = model.to(memory_format=torch.channels_last)
            images = images.contiguous(memory_format=torch.channels_last)
        optimiser = torch.optim.Adam(model.parameters(), lr=recipe.lr)
        batches = recipe.epochs * -(-len(train) // recipe.batch_size)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=recipe.lr, total_steps=batches)
        checkpoints = []
        model.train()
        for epoch in range(recipe.epochs):
            report(progress, epoch / recipe.epochs, f"training {recipe.name}: epoch {epoch + 1} of {recipe.epochs}")
            for batch in torch.randperm(len(train)).split(recipe.batch_size):
                optimiser.zero_grad()
                loss = nn.functional.cross_entropy(model(images[batch]), train.labels[batch])
                loss.backward()
                optimiser.step()
                schedule.step()
            checkpoints.append(_contiguous_state(model))
        model = model.to(memory_format=torch.contiguous_format).eval()
        model.zero_grad(set_to_none=True)
        accuracy = _accuracy(model, test)
    report(progress, 1.0, f"trained {recipe.name}: {accuracy:.1%} held-out accuracy")
    return TrainedModel(model, accuracy, time.perf_counter() - start, checkpoints)


def _load_or_train(recipe: _Recipe, retrain: bool, progress: Progress | None) -> TrainedModel:
    path = cache_dir() / f"{recipe.name}-{recipe.key()}.pt"
    if path.exists() and not retrain:
        try:
            saved = torch.load(path, map_location="cpu", weights_only=True)
            model = recipe.model()
            model.load_state_dict(saved["state_dict"])
            model.eval()
            return TrainedModel(model, float(saved["accuracy"]), float(saved["train_seconds"]), list(saved["checkpoints"]))
        except Exception as error:  # noqa: BLE001 - corrupt, truncated or from another layout: retrain
            log.warning("nbviz: retraining %s, the cached weights at %s could not be loaded (%s)", recipe.name, path, error)
    trained = _train(recipe, progress)
    try:
        _save(trained, path)
        _forget_older(recipe, path)
    except (OSError, RuntimeError) as error:  # torch.save reports an unwritable file as RuntimeError
        log.warning("nbviz: could not cache %s at %s, it will be trained again next time (%s)", recipe.name, path, error)
    return trained


def _save(trained: TrainedModel, path: Path) -> None:
    """Write ``trained`` to ``path`` atomically (a concurrent reader never sees half a file) and record
    the file in the cache's manifest; leaves no temporary file behind when writing fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    payload = {
        "state_dict": trained.model.state_dict(),
        "accuracy": trained.accuracy,
        "train_seconds": trained.train_seconds,
        "checkpoints": trained.checkpoints,
    }
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _write_manifest(path.parent, _read_manifest(path.parent) | {path.name})


def _forget_older(recipe: _Recipe, path: Path) -> None:
    """Delete the weights nbviz cached for older versions of ``recipe``: only files in the manifest."""
    written = _read_manifest(path.parent)
    older = {name for name in written if name.startswith(f"{recipe.name}-") and name != path.name}
    for name in older:
        (path.parent / name).unlink(missing_ok=True)
    if older:
        _write_manifest(path.parent, written - older)


def _read_manifest(folder: Path) -> set[str]:
    """Names of the files nbviz wrote into ``folder`` (empty if there is no readable manifest)."""
    try:
        names = json.loads((folder / _MANIFEST).read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    if not isinstance(names, list):
        return set()
    return {n for n in names if isinstance(n, str) and Path(n).name == n}  # plain names inside the folder only


def _write_manifest(folder: Path, names: set[str]) -> None:
    tmp = folder / f"{_MANIFEST}.{os.getpid()}.tmp"
    try:
        tmp.write_text(json.dumps({"files": sorted(names)}, indent=1))
        os.replace(tmp, folder / _MANIFEST)
    finally:
        tmp.unlink(missing_ok=True)


def digits_cnn(*, retrain: bool = False, progress: Progress | None = None) -> TrainedModel:
    """A :class:`DigitsCNN` trained on the first 1,400 digits (held-out accuracy on the other 397).

    Loaded from the cache when there; else trained (~3 s) and cached.

    Parameters
    ----------
    retrain : bool, default False
        Train again even when cached weights exist (and replace them).
    progress : callable or None, default None
        ``progress(fraction, message)``, called during training (not when loading); ``None``: silent.

    Returns
    -------
    TrainedModel
        The model in eval mode, its held-out accuracy, training seconds and per-epoch checkpoints.
    """
    return _load_or_train(_DIGITS, retrain, progress)


def shapes_cnn(*, retrain: bool = False, progress: Progress | None = None) -> TrainedModel:
    """A :class:`ShapesCNN` trained on ``shapes(5000, seed=0)[:4000]`` (held out: the last 1,000).

    Loaded from the cache when there; else trained (~10 s on 2 cores) and cached.

    Parameters
    ----------
    retrain : bool, default False
        Train again even when cached weights exist (and replace them).
    progress : callable or None, default None
        ``progress(fraction, message)``, called during training (not when loading); ``None``: silent.

    Returns
    -------
    TrainedModel
        The model in eval mode, its held-out accuracy, training seconds and per-epoch checkpoints.
    """
    return _load_or_train(_SHAPES, retrain, progress)


def shapes_vit(*, retrain: bool = False, progress: Progress | None = None) -> TrainedModel:
    """The hybrid vision transformer :class:`ShapesViT` trained on ``shapes(5000, seed=0)``.

    The first 4,000 images train it, the last 1,000 are held out: 6 epochs of Adam with a one-cycle
    schedule, 75 % held-out accuracy; 334 s measured on 2 CPU cores busy with other work (cached
    afterwards). For transformer views: Grad-CAM on its tokens, ``nbviz.attention_maps`` and
    ``nbviz.attention_rollout``.

    Parameters
    ----------
    retrain : bool, default False
        Train again even when cached weights exist (and replace them).
    progress : callable or None, default None
        ``progress(fraction, message)``, called during training (not when loading); ``None``: silent.

    Returns
    -------
    TrainedModel
        The model in eval mode, its held-out accuracy, training seconds and per-epoch checkpoints.
    """
    return _load_or_train(_SHAPES_VIT, retrain, progress)
