"""Issue 13, item 7: every entry point that takes a dataset accepts tensors, a Dataset of
(input, label) pairs and a DataLoader, and finds labels, class names and thumbnails where present.

References: the tensor form of the same data (what each explorer already handled), and the
labels/images held by the container, read by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

import nbviz
from nbviz._data import examples, indexable, iter_pairs
from nbviz.widgets.featurevis import FeatureVisExplorer
from nbviz.widgets.tsne import TSNEExplorer, _thumbnails


class PairDataset(Dataset):
    """A map-style Dataset of (image, int label) items with torchvision's ``.classes``."""

    classes = [f"digit {i}" for i in range(10)]

    def __init__(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.images, self.targets = images, labels

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i: int):
        return self.images[i], int(self.targets[i])


class DictDataset(PairDataset):
    def __getitem__(self, i: int):
        return {"image": self.images[i], "label": int(self.targets[i])}


@pytest.fixture(scope="module")
def data():
    digits = nbviz.datasets.digits()
    return digits.images[:40], digits.labels[:40]


def _forms(x, y):
    pairs = TensorDataset(x, y)
    return {
        "pair": (x, y),
        "tensor dataset": pairs,
        "pair dataset": PairDataset(x, y),
        "dict dataset": DictDataset(x, y),
        "loader": DataLoader(pairs, batch_size=7),
        "loader of a pair dataset": DataLoader(PairDataset(x, y), batch_size=16),
    }


def test_examples_reads_inputs_and_labels_from_every_container(data):
    x, y = data
    for name, form in _forms(x, y).items():
        found = examples(form)
        torch.testing.assert_close(found.inputs, x, msg=name)
        assert found.labels is not None and found.labels.tolist() == y.tolist(), name
    assert examples(PairDataset(x, y)).class_names == PairDataset.classes
    assert examples(DataLoader(PairDataset(x, y))).class_names == PairDataset.classes  # through .dataset
    assert examples(x).labels is None and examples(TensorDataset(x)).labels is None
    assert len(examples(DataLoader(TensorDataset(x, y), batch_size=8), limit=10)) == 10
    regression = TensorDataset(x, torch.rand(40))  # float targets are not class labels
    assert examples(regression).labels is None


def test_a_shuffling_loader_is_read_once_so_inputs_and_labels_stay_aligned(data):
    x, y = data
    torch.manual_seed(0)
    found = examples(DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True))
    order = [int(torch.nonzero((x == row).flatten(1).all(1))[0]) for row in found.inputs]
    assert sorted(order) == list(range(40)) and order != list(range(40))
    assert found.labels.tolist() == [int(y[i]) for i in order]


def test_indexable_keeps_datasets_lazy(data):
    x, y = data
    ds = PairDataset(x, y)
    assert indexable(ds) is ds and indexable(DataLoader(ds, batch_size=4)) is ds
    torch.testing.assert_close(indexable(x.numpy()), x)
    torch.testing.assert_close(indexable(iter([(x[:20], y[:20]), (x[20:], y[20:])])), x)


def test_iter_pairs_batches_a_dataset_of_pairs(data):
    x, y = data
    batches = list(iter_pairs(PairDataset(x, y), batch_size=16))
    assert [b[0].shape[0] for b in batches] == [16, 16, 8]
    torch.testing.assert_close(torch.cat([b[0] for b in batches]), x)
    assert torch.cat([b[1] for b in batches]).tolist() == y.tolist()


@pytest.mark.parametrize("form", ["pair dataset", "dict dataset", "loader", "loader of a pair dataset"])
def test_tsne_model_form_finds_labels_and_thumbnails(data, form):
    x, y = data
    model = nbviz.zoo.digits_cnn().model
    e = TSNEExplorer((model, _forms(x, y)[form], "classifier.0"), n_iter=30, perplexity=5.0, run=False)
    e.wait()
    assert e.error == ""
    np.testing.assert_array_equal(e.labels, y.numpy())
    np.testing.assert_array_equal(e.thumbnails, _thumbnails(x, 40))
    assert e.color_by == "label" and "prediction" in e.color_options
    if form != "loader":
        assert e.class_names == PairDataset.classes
    with torch.no_grad():
        expected = model(x).argmax(1).numpy()
    np.testing.assert_array_equal(e.predictions, expected)
    e.close()


def test_explore_accepts_a_dataloader_and_a_dataset_of_pairs(data):
    x, y = data
    model = nbviz.zoo.digits_cnn().model
    for form in (DataLoader(PairDataset(x, y), batch_size=8), PairDataset(x, y)):
        explored = nbviz.explore(model, form, n_iter=30, perplexity=5.0, run=False)
        explored.wait()
        assert [e.error for e in explored.explorers] == ["", "", "", ""]
        assert explored.labels.tolist() == y.tolist() and explored.link.size == 40
        assert explored.saliency.class_names == PairDataset.classes
        torch.testing.assert_close(explored.images, x)
        explored.close()


def test_featurevis_explorer_accepts_a_dataloader(data):
    x, y = data
    model = nbviz.zoo.digits_cnn().model
    loader = DataLoader(PairDataset(x, y), batch_size=8, shuffle=True)
    e = FeatureVisExplorer(model, loader, steps=2, units=[0])
    e.wait()
    assert e.error == "" and e.dataset_size == 40
    torch.testing.assert_close(e._image(3), x[3])  # item by item from the loader's Dataset
    e.close()
    with pytest.raises(TypeError, match="dataset"):
        FeatureVisExplorer(model, 12)


@pytest.mark.parametrize("form", ["pair", "pair dataset", "loader of a pair dataset"])
def test_image_explorers_take_containers_with_their_labels_and_names(data, form):
    x, y = data
    model = nbviz.zoo.digits_cnn().model
    container = _forms(x, y)[form]
    saliency = nbviz.SaliencyExplorer(model, container, max_inputs=6)
    assert saliency.labels == y[:6].tolist() and saliency.n_inputs == 6
    torch.testing.assert_close(saliency._x, x[:6])
    predictions = nbviz.PredictionExplorer(model, container, max_images=5)
    assert predictions.labels == y[:5].tolist()
    occlusion = nbviz.OcclusionExplorer(model, container, window=4, stride=4)
    torch.testing.assert_close(occlusion._inputs, x)
    if form != "pair":  # a bare pair carries no class names
        assert saliency.class_names == PairDataset.classes and predictions.class_names == PairDataset.classes
        assert occlusion.class_names == PairDataset.classes
    for e in (saliency, predictions, occlusion):
        e.wait()
        assert e.error == ""
        e.close()


def test_layer_explorer_takes_any_container_and_finds_its_labels():
    from torch.utils.data import DataLoader, TensorDataset

    import nbviz

    model = nbviz.zoo.digits_cnn().model
    digits = nbviz.datasets.digits()
    x, y = digits.images[:12], digits.labels[:12]
    for data in ((x, y), TensorDataset(x, y), DataLoader(TensorDataset(x, y), batch_size=5)):
        explorer = nbviz.LayerExplorer(model, data, max_inputs=8).wait()
        assert not explorer.error and explorer.n_inputs == 8
        assert explorer.labels == [str(int(v)) for v in y[:8]]
        explorer.close()
