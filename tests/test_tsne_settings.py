"""TSNEExplorer's settings defaults, checked by hand: the perplexity limit is (N - 1) / 3 and the
quality scores need k < N / 2."""

from __future__ import annotations

import pytest

from nbviz.widgets._tsne_settings import (
    check_learning_rate,
    check_metrics_k,
    default_max_perplexity,
    default_metrics_k,
    default_perplexities,
    run_settings,
)


def test_defaults_follow_the_number_of_points():
    assert default_max_perplexity(None) == 100.0 and default_max_perplexity(1000) == 100.0
    assert default_max_perplexity(40) == 12.0  # (40 - 1) / 3 = 13 is the limit itself, not allowed
    assert default_max_perplexity(4) == 1.0  # limit 1: at least 1
    assert default_perplexities(1000) == [2.0, 5.0, 30.0, 50.0, 100.0]
    assert default_perplexities(15) == [2.0, 4.0] and default_perplexities(5) == [1.0]
    assert default_metrics_k(None) == 10 and default_metrics_k(100) == 10 and default_metrics_k(9) == 4


def test_checks_name_the_argument():
    assert check_learning_rate("auto") == 0.0 and check_learning_rate(200) == 200.0
    with pytest.raises(ValueError, match="learning_rate: expected 'auto' or a positive number"):
        check_learning_rate(-1)
    assert check_metrics_k(4, 9) == 4
    with pytest.raises(ValueError, match="metrics_k: must be below N / 2 = 4.5"):
        check_metrics_k(5, 9)
    with pytest.raises(ValueError, match="metrics_k: expected a positive integer"):
        check_metrics_k(True, None)


def test_run_settings_fill_and_check():
    settings = run_settings(
        40, checked=True, perplexity=None, max_perplexity=None, perplexities=None, metrics_k=None,
        learning_rate="auto", n_iter=100,
    )
    assert settings == dict(
        perplexity=12.0, max_perplexity=12.0, learning_rate=0.0, n_iter=100, metrics_k=10,
        perplexities=[2.0, 5.0, 12.0],
    )
    raised = run_settings(40, checked=True, perplexity=10, max_perplexity=5, perplexities=[3], metrics_k=None,
                          learning_rate=50.0, n_iter=10)
    assert raised["max_perplexity"] == 10.0 and raised["perplexities"] == [3.0]  # raised to the perplexity
    with pytest.raises(ValueError, match="n_iter: expected a positive integer"):
        run_settings(40, checked=True, perplexity=None, max_perplexity=None, perplexities=None, metrics_k=None,
                     learning_rate="auto", n_iter=0)
