"""Issue 13, item 5: t-SNE maps of models with many classes (ImageNet-sized heads).

The colouring is checked against an independent count (``collections.Counter``): the ``top``
most frequent classes keep a colour, every other point is "other" (grey), and nothing refuses
1,000 classes — neither ``TSNEExplorer`` coloured by label or prediction nor ``nbviz.explore``.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
from torch import nn

import nbviz
from nbviz.widgets._categories import OTHER_RGB, coloring, top_categories
from nbviz.widgets.tsne import TSNEExplorer


def _thousand_class_cnn(seed: int = 0) -> nn.Module:
    """A small CNN for 1×8×8 digits with a 1,000-way head (random weights, nothing downloaded)."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.Tanh(),
        nn.Flatten(), nn.Linear(16 * 8 * 8, 1000),
    ).eval()


def _standard_digits(n: int) -> torch.Tensor:
    """``n`` digits standardised per pixel, so a random network's predictions spread over many classes."""
    x = nbviz.datasets.digits().images[:n]
    return (x - x.mean(0)) / (x.std(0) + 0.1)


def _check_against_counter(values: np.ndarray, names: list[str], c, top: int) -> None:
    """Codes, legend and palette of ``c`` agree with a hand count of ``values``."""
    counts = Counter(int(v) for v in values)
    ranked = sorted(counts, key=lambda k: (-counts[k], k))  # most frequent first, ties: lower index
    kept = sorted(ranked[:top])
    rest = len(counts) - len(kept)
    expected_legend = [names[k] for k in kept] + ([f"other ({rest} classes)"] if rest > 1 else [f"other ({rest} class)"] if rest else [])
    assert c.names == expected_legend
    assert c.palette.shape == (len(expected_legend), 3) and c.codes.dtype == np.uint8
    for value, code in zip(values, c.codes):
        if int(value) in kept:
            assert c.names[code] == names[int(value)]
        else:
            assert code == len(kept) and c.names[code].startswith("other")
    if rest:
        assert tuple(c.palette[-1]) == OTHER_RGB
        assert len({tuple(p) for p in c.palette[:-1]}) == len(kept)  # every kept class its own colour


def test_a_thousand_categories_keep_the_top_twenty_and_other():
    rng = np.random.default_rng(0)
    values = rng.zipf(1.3, 5000) % 1000  # a long tail over ~700 of 1,000 classes
    names = [f"class {i}" for i in range(1000)]
    c = coloring(values, len(values), names, argument="predictions")
    assert len(set(values.tolist())) > 256  # what used to be refused
    _check_against_counter(values, names, c, 20)
    c5 = coloring(values, len(values), names, top=5)
    _check_against_counter(values, names, c5, 5)


def test_few_present_classes_of_many_names_keep_their_colours_without_other():
    names = [str(i) for i in range(1000)]
    values = np.array([3, 3, 998, 500, 3, 500])
    c = top_categories(values, names)
    assert c.names == ["3", "500", "998"] and c.codes.tolist() == [0, 0, 2, 1, 0, 1]


def test_up_to_top_names_nothing_changes():
    c = coloring(np.array([0, 1, 2, 1]), 4, ["a", "b", "c"])
    assert c.names == ["a", "b", "c"] and c.codes.tolist() == [0, 1, 2, 1] and c.palette.shape == (3, 3)


def test_string_values_and_bad_top():
    values = np.array([f"w{i % 300}" for i in range(900)])
    c = coloring(values, 900, top=10)
    assert len(c.names) == 11 and c.names[-1] == "other (290 classes)"
    with pytest.raises(ValueError, match="top_classes"):
        TSNEExplorer.from_embedding(np.random.default_rng(0).normal(size=(10, 2)), top_classes=0)
    with pytest.raises(ValueError, match="1 … 255"):
        coloring(values, 900, top=256)


def test_tsne_explorer_colours_a_thousand_labels():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 1000, 3000)
    Y = rng.normal(size=(3000, 2))
    names = [f"n{i:04d}" for i in range(1000)]
    e = TSNEExplorer.from_embedding(Y, labels=labels, class_names=names)
    assert e.color_by == "label" and len(e.legend) == 21 and e.legend[-1].startswith("other (")
    _check_against_counter(labels, names, coloring(labels, 3000, names), 20)
    np.testing.assert_array_equal(e.labels, labels)  # hover still names every class
    assert e.class_names == names
    e.close()


def test_tsne_model_form_colours_predictions_of_a_thousand_class_model():
    model = _thousand_class_cnn()
    x = _standard_digits(200)
    e = TSNEExplorer((model, x, "3"), color_by="prediction", n_iter=30, perplexity=10.0, run=False)
    e.wait()
    assert e.error == ""
    with torch.no_grad():
        predicted = model(x).argmax(1).numpy()  # independent of nbviz.predict
    assert len(set(predicted.tolist())) > 21  # more classes than colours: "other" is needed
    np.testing.assert_array_equal(e.predictions, predicted)
    names = [str(i) for i in range(1000)]
    _check_against_counter(predicted, names, coloring(predicted, 200, names), 20)
    assert e.color_by == "prediction" and list(e.legend) == coloring(predicted, 200, names).names
    e.close()


def test_explore_works_on_a_thousand_class_model():
    model = _thousand_class_cnn()
    x = _standard_digits(60)
    labels = torch.as_tensor(np.random.default_rng(2).integers(0, 1000, 60))  # 1,000-class labels
    explored = nbviz.explore(model, (x, labels), n_iter=30, perplexity=5.0)
    explored.tsne.color_by = "prediction"
    explored.tsne.selected = [4]
    explored.wait()
    assert [e.error for e in explored.explorers] == ["", "", "", ""]
    with torch.no_grad():
        predicted = model(x).argmax(1).numpy()
    assert list(explored.tsne.legend) == coloring(predicted, 60, [str(i) for i in range(1000)]).names
    assert explored.tsne.legend[-1].startswith("other (")
    assert explored.saliency.index == 4 and explored.saliency.maps.shape[0] >= 1
    assert explored.saliency.probabilities.shape == (1000,)
    explored.tsne.color_by = "label"
    assert len(explored.tsne.legend) == 21
    explored.close()
