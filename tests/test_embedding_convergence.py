"""t-SNE stops when the KL curve has flattened after exaggeration, or after n_iter if asked."""

import numpy as np
import pytest

pytest.importorskip("openTSNE")

from sklearn.manifold import trustworthiness as sklearn_trustworthiness

from nbviz.embedding import TSNESession, tsne
from nbviz.embedding._convergence import DEFAULT_TOL, Convergence


def met(iterations, kl, index, tol=DEFAULT_TOL, window=50, after=0) -> bool:
    """The rule by hand: the frame at least `window` iterations back, both after `after`."""
    i = iterations[index]
    back = [k for k in range(index) if iterations[k] <= i - window and iterations[k] >= after]
    return bool(back) and (kl[back[-1]] - kl[index]) / kl[index] < tol


def test_rule_on_a_closed_form_curve():
    # KL(t) = 1 + 10 / t: the 50-iteration drop is 500 / (t (t + 50)) / (1 + 10 / (t + 50))
    iterations = list(range(10, 2001, 10))
    kl = [1 + 10 / t for t in iterations]
    rule = Convergence(tol=1e-3, window=50, after=100)
    first = next(k for k in range(len(kl)) if rule.reached(iterations[: k + 1], kl[: k + 1]))
    t = iterations[first]
    assert 500 / ((t - 50) * t) / (1 + 10 / t) < 1e-3 <= 500 / ((t - 60) * (t - 10)) / (1 + 10 / (t - 10))
    assert not Convergence(after=t).reached(iterations[: first + 1], kl[: first + 1])  # window reaches into exaggeration


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    return load_digits().data[:600]


def test_converged_run_stops_where_the_rule_is_first_met_and_close_to_the_fixed_run(digits):
    fixed = tsne(digits, n_iter=1000, stop="fixed", progress=False)
    result = tsne(digits, n_iter=1000, progress=False)
    assert fixed.converged_at is None and fixed.iterations[-1] == 1000
    k = result.converged_at
    assert k is not None and 125 < k < 1000 and result.iterations[-1] == k
    its, kl = result.iterations.tolist(), result.kl.tolist()
    assert met(its, kl, len(its) - 1, after=125)
    assert not any(met(its, kl, j, after=125) for j in range(len(its) - 1))
    # the same trajectory up to the stop; the map is as trustworthy as after 1,000 iterations and its
    # KL close (the rule bounds the recent descent, not what is left: measured 1.3 % above here)
    np.testing.assert_allclose(result.kl, fixed.kl[: len(result.kl)], rtol=1e-10)
    assert result.final_kl <= 1.02 * fixed.final_kl
    t_stop = sklearn_trustworthiness(digits, result.embedding, n_neighbors=10)
    assert abs(t_stop - sklearn_trustworthiness(digits, fixed.embedding, n_neighbors=10)) <= 0.005


def test_warm_started_perplexity_change_converges_in_a_fraction_of_a_cold_run(digits):
    session = TSNESession(digits, 0)
    cold = session.run(30)
    warm = session.run(40)
    assert warm.params["init"] == "warm" and warm.converged_at is not None
    assert warm.converged_at < 0.5 * cold.converged_at


def test_stop_and_tol_are_checked(digits):
    with pytest.raises(ValueError, match="stop"):
        tsne(digits[:50], perplexity=5, stop="never")
    with pytest.raises(ValueError, match="tol"):
        tsne(digits[:50], perplexity=5, tol=0)
