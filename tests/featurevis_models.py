"""Shared fixtures-in-functions for the feature-visualisation tests: zoo models and their data."""

from __future__ import annotations

from functools import cache

import torch

from nbviz import datasets, zoo


@cache
def digits_model() -> torch.nn.Module:
    return zoo.digits_cnn().model


@cache
def digits_images() -> torch.Tensor:
    return datasets.digits().images


@cache
def shapes_model() -> torch.nn.Module:
    return zoo.shapes_cnn().model


@cache
def shapes_images() -> torch.Tensor:
    return datasets.shapes(300, seed=1).images
