"""nbviz.watching (the schedule: test_watch_schedule.py): snapshots against nbviz.layers and hand computations, the
weight path against scikit-learn's PCA, the live map against its own previous map."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from nbviz.layers import activation_stats, filters
from nbviz.watching import LiveMap, Snapshotter, as_probe, private_copy, project, weight_path
from nbviz.zoo import ShapesCNN


def small_cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Dropout(0.5),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3),
    )  # fmt: skip


def probe_pair(n: int = 40) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.rand(n, 3, 12, 12, generator=g), torch.randint(0, 3, (n,), generator=g)


# -- the probe -------------------------------------------------------------------------------------
def test_the_probe_is_a_copy_of_the_first_inputs() -> None:
    x, y = probe_pair()
    probe = as_probe((x, y), small_cnn(), size=16)
    assert probe.inputs.shape == (16, 3, 12, 12) and torch.equal(probe.labels, y[:16])
    x.zero_()
    assert probe.inputs.abs().sum() > 0
    with pytest.raises(TypeError, match="probe"):
        as_probe(None, small_cnn())
    with pytest.raises(ValueError, match="probe_size"):
        as_probe((x, y), small_cnn(), size=1)


# -- snapshots -------------------------------------------------------------------------------------
def test_a_snapshot_agrees_with_nbviz_layers_and_a_hand_forward() -> None:
    model = small_cnn().train()
    x, y = probe_pair()
    snap = Snapshotter(model, as_probe((x, y), model), show=4, max_channels=5).take(step=7)
    reference = copy.deepcopy(model).eval()
    with torch.no_grad():
        logits = reference(x)
        features = reference[:-1](x)  # the input of the last Linear
        relu = reference[:3](x)
    assert snap.step == 7
    assert snap.loss == pytest.approx(float(nn.functional.cross_entropy(logits.double(), y)), rel=1e-5)
    assert snap.accuracy == pytest.approx(float((logits.argmax(1) == y).double().mean()))
    np.testing.assert_allclose(snap.features, features.numpy(), rtol=1e-5, atol=1e-6)
    stats = activation_stats(model, x, progress=False)
    assert stats.layers == Snapshotter(model, as_probe(x, model)).layers
    np.testing.assert_allclose(snap.sparsity, stats.layer_sparsity(), atol=1e-12)
    np.testing.assert_array_equal(snap.dead, stats.dead_counts())
    expected = np.round(255 * filters(model, "0").rgb).astype(np.uint8)
    np.testing.assert_array_equal(snap.filters, expected)
    # the first activation's maps (layer "2"), each channel scaled to its largest value over the 4 images
    kept = relu[:4, :5]
    np.testing.assert_array_equal(snap.maps, torch.round(255 * kept / kept.amax(dim=(0, 2, 3), keepdim=True)).to(torch.uint8).numpy())
    assert all(torch.equal(snap.state[k], v) for k, v in model.state_dict().items())


def test_taking_a_snapshot_changes_nothing_training_sees() -> None:
    model = small_cnn().train()
    x, y = probe_pair()
    nn.functional.cross_entropy(model(x), y).backward()  # gradients present, as mid-step
    before = {k: v.clone() for k, v in model.state_dict().items()}
    grads = [p.grad.clone() for p in model.parameters()]
    snapshotter = Snapshotter(model, as_probe((x, y), model))
    torch.manual_seed(5)
    rng = torch.get_rng_state()
    np_state = np.random.get_state()[1].copy()
    snapshotter.take(0)
    assert torch.equal(torch.get_rng_state(), rng)
    assert np.array_equal(np.random.get_state()[1], np_state)
    assert all(m.training for m in model.modules())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(torch.equal(g, p.grad) for g, p in zip(grads, model.parameters()))
    assert not model._forward_hooks and not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


def test_the_feature_map_layer_is_checked() -> None:
    model = small_cnn()
    x, _ = probe_pair()
    assert Snapshotter(model, as_probe(x, model), layer="5").map_layer == "5"
    with pytest.raises(ValueError, match="layer"):
        Snapshotter(model, as_probe(x, model), layer="9")  # the Linear: no N×C×H×W maps
    with pytest.raises(ValueError, match="layer"):
        Snapshotter(model, as_probe(x, model), layer="nope")


# -- the weight path -------------------------------------------------------------------------------
def _states(model: nn.Module, steps: int = 6) -> list[dict[str, torch.Tensor]]:
    x, y = probe_pair()
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    states = []
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        states.append({k: v.detach().clone() for k, v in model.state_dict().items()})
    return states


def test_the_weight_path_is_the_pca_of_the_snapshots() -> None:
    from sklearn.decomposition import PCA

    model = small_cnn().eval()
    states = _states(model)
    path = weight_path(private_copy(model), states)
    names = [n for n, p in model.named_parameters() if n.endswith("weight") and p.ndim > 1]  # no biases, no BatchNorm
    flat = np.stack([np.concatenate([s[n].numpy().ravel() for n in names]) for s in states]).astype(np.float64)
    pca = PCA(2).fit(flat)
    reference = pca.transform(flat)
    ours = path.coords - path.coords.mean(0)
    for k in range(2):  # equal up to each component's sign
        sign = np.sign(ours[:, k] @ reference[:, k])
        np.testing.assert_allclose(sign * ours[:, k], reference[:, k], rtol=1e-4, atol=1e-6 * np.abs(reference).max())
    np.testing.assert_allclose(path.explained_variance_ratio, pca.explained_variance_ratio_, rtol=1e-6)
    np.testing.assert_allclose(path.coords[-1], 0, atol=1e-12)  # the newest snapshot is the origin
    np.testing.assert_allclose(project(path, states[2]), path.coords[2], rtol=1e-6, atol=1e-9)


def test_the_private_copy_has_its_own_weights_and_none_of_the_users_hooks() -> None:
    model = small_cnn()
    seen = []
    model.register_forward_hook(lambda *args: seen.append(1))
    mine = private_copy(model)
    assert all(a.data_ptr() != b.data_ptr() for a, b in zip(mine.parameters(), model.parameters()))
    mine(torch.rand(2, 3, 12, 12))
    assert not seen and not mine.training


# -- the live map ----------------------------------------------------------------------------------
def test_the_live_map_separates_classes_and_morphs_from_the_previous_map() -> None:
    from sklearn.manifold import trustworthiness

    rng = np.random.default_rng(0)
    centres = rng.normal(0, 6, (3, 10))
    labels = np.repeat(np.arange(3), 40)
    features = centres[labels] + rng.normal(0, 1, (120, 10))
    live = LiveMap(perplexity=15, first_iter=300, next_iter=100)
    first = live.update(features.astype(np.float32))
    assert first.shape == (120, 2) and trustworthiness(features, first, n_neighbors=10) > 0.9
    # a small change of the features moves the points a little, it does not draw a new layout
    second = live.update((features + rng.normal(0, 0.05, features.shape)).astype(np.float32))
    spread = np.linalg.norm(first - first.mean(0), axis=1).mean()
    assert np.linalg.norm(second - first, axis=1).mean() < 0.2 * spread


def test_shapes_cnn_snapshot_reads_the_penultimate_features() -> None:
    model = ShapesCNN().eval()
    x = torch.rand(6, 3, 32, 32)
    snap = Snapshotter(model, as_probe(x, model)).take(0)
    with torch.no_grad():
        expected = model.classifier[:2](model.features(x))
    np.testing.assert_allclose(snap.features, expected.numpy(), rtol=1e-5, atol=1e-6)
    assert snap.loss is None and snap.accuracy is None  # no labels


def test_a_snapshot_that_fails_leaves_the_model_as_it_was() -> None:
    """A forward that raises inside a snapshot: the user's weights, modes, flags and own hooks come back
    as they were, and nbviz's hooks are gone (the model guard's promise, through the watcher's path)."""
    from guard_checks import ModelSnapshot

    class Flaky(nn.Module):
        fail = False

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if self.fail:
                raise RuntimeError("the user's layer failed")
            return x

    model = nn.Sequential(*small_cnn(), Flaky()).train()
    model[0].weight.requires_grad_(False)
    model[1].eval()
    users_hook = model[2].register_forward_hook(lambda *_: None)
    x, y = probe_pair()
    snapshotter = Snapshotter(model, as_probe((x, y), model))
    before = ModelSnapshot(model)
    model[-1].fail = True
    with pytest.raises(ValueError, match="probe: .*the user.s layer failed"):  # named, with the cause
        snapshotter.take(0)
    before.assert_unchanged(model)
    assert list(model[2]._forward_hooks) == [users_hook.id]
    assert not any(m._forward_pre_hooks for m in model.modules())
    assert sum(len(m._forward_hooks) for m in model.modules()) == 1
