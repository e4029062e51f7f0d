"""A TSNESession run does what its settings say and records them: a random start is a 2-D layout,
``params`` names the settings the run used (the explorer and handouts read them back), small
multiples run with the exaggeration they are given, and an initial layout must be finite."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

from nbviz.embedding import TSNESession


@pytest.fixture(scope="module")
def few() -> np.ndarray:
    return load_digits().data[:120]


def test_random_init_gives_a_two_dimensional_layout(few):
    result = TSNESession(few, init="random").run(5, n_iter=20, early_iter=10, snapshot_every=10)
    assert result.embedding.shape == (len(few), 2)
    assert result.snapshots.shape[1:] == (len(few), 2)
    assert result.params["init"] == "random"


def test_params_name_the_settings_of_the_run(few):
    result = TSNESession(few).run(5, n_iter=20, early_iter=10, exaggeration=4, final_exaggeration=2, seed=3, snapshot_every=10)
    expected = dict(perplexity=5.0, n_iter=20, early_iter=10, exaggeration=4.0, final_exaggeration=2.0,
                    learning_rate="auto", init="pca", seed=3, snapshot_every=10, engine="openTSNE", stopped=False)
    assert {k: result.params[k] for k in expected} == expected


def test_small_multiples_run_with_the_given_exaggeration(few):
    settings = dict(n_iter=20, early_iter=10, snapshot_every=10)
    multiples = TSNESession(few).small_multiples((5,), exaggeration=4, **settings)
    assert multiples.results[0].params["exaggeration"] == 4.0
    alone = TSNESession(few).run(5, exaggeration=4, warm_start=False, **settings)
    np.testing.assert_allclose(multiples.results[0].embedding, alone.embedding, atol=1e-6)
    default = TSNESession(few).run(5, warm_start=False, **settings)  # exaggeration 12: a different layout
    assert not np.allclose(multiples.results[0].embedding, default.embedding, atol=1e-3)


def test_initial_layout_must_be_finite(few):
    start = np.zeros((len(few), 2))
    start[7, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        TSNESession(few, init=start)
    with pytest.raises(ValueError, match="finite"):
        TSNESession(few).run(5, n_iter=20, init=start)
