"""Shared fixtures-in-functions for the feature-visualisation tests: zoo models and their data."""

from __future__ import annotations

from functools import lru_cache

import torch

from nbviz import datasets, zoo


@lru_cache(maxsize=None)
def digits_model() -> torch.nn.Module:
    return zoo.digits_cnn().model


@lru_cache(maxsize=None)
def digits_images() -> torch.Tensor:
    return datasets.digits().images


@lru_cache(maxsize=None)
def shapes_model() -> torch.nn.Module:
    return zoo.shapes_cnn().model


@lru_cache(maxsize=None)
def shapes_images() -> torch.Tensor:
    return datasets.shapes(300, seed=1).images
