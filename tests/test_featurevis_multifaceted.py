"""Multifaceted feature visualisation: k distinct facets built from the unit's top activations."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
import torch

from featurevis_models import digits_images, digits_model
from nbviz.featurevis import multifaceted
from nbviz.layers import activations

LAYER, UNIT, K, N_TOP = "features.3", 1, 3, 60


@cache
def facets():
    return multifaceted(digits_model(), LAYER, UNIT, digits_images(), k=K, n_top=N_TOP, steps=40)


def test_members_are_the_top_activations():
    # independent top set: spatial maximum of the channel over the whole dataset, computed here
    maps = activations(digits_model(), digits_images(), LAYER)[LAYER][:, UNIT]
    best = maps.flatten(1).max(1).values
    top = set(torch.argsort(best, descending=True, stable=True)[:N_TOP].tolist())
    result = facets()
    assert len(result.members) == K
    union = np.concatenate(result.members)
    assert len(union) == len(set(union.tolist())) == N_TOP  # each top input in exactly one cluster
    assert set(union.tolist()) == top


def test_facets_are_distinct_and_excite_the_unit():
    result = facets()
    assert result.images.shape == (K, 1, 8, 8)
    flat = result.images.reshape(K, -1)
    for i in range(K):
        for j in range(i + 1, K):
            assert np.abs(flat[i] - flat[j]).mean() > 0.02, (i, j)
    # the AM step raised the channel mean above that of the start (the cluster mean image)
    start = activations(digits_model(), torch.from_numpy(result.starts), LAYER)[LAYER][:, UNIT].mean((1, 2)).numpy()
    assert (result.activations > start).all(), (result.activations, start)
    assert result.embedding.shape == (N_TOP, 2) and set(result.labels.tolist()) == set(range(K))


def test_plot():
    from matplotlib.figure import Figure

    assert isinstance(facets().plot(), Figure)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(k=0), ValueError, "k: expected"),
        (dict(n_top=3), ValueError, "n_top"),
        (dict(unit=[(1, 2, 2)]), TypeError, "unit: expected one channel"),
        (dict(unit=99), ValueError, "channel"),
    ],
)
def test_clear_errors(kwargs, error, match):
    args = dict(layer=LAYER, unit=UNIT, data=digits_images()[:50], k=2, n_top=10, steps=2) | kwargs
    with pytest.raises(error, match=match):
        multifaceted(digits_model(), **args)


def test_wide_pca_matches_embedding_pca_up_to_sign():
    from nbviz.embedding import pca
    from nbviz.featurevis.multifaceted import _pca

    X = np.random.default_rng(0).normal(size=(30, 200))
    np.testing.assert_allclose(np.abs(_pca(X, 5)), np.abs(pca(X, 5)), atol=1e-4)
