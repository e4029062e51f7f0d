"""nbviz.zoo: accuracy recomputed on held-out data, the disk cache (hit, corrupt, stale, weights_only),
checkpoints, determinism and the caller's RNG state. Each model trains once per module (~15 s total)."""

import dataclasses
import logging

import pytest
import torch
from torch import nn

from nbviz import datasets, zoo
from nbviz._progress import Cancelled

MODELS = {"digits_cnn": (zoo.digits_cnn, zoo._DIGITS), "shapes_cnn": (zoo.shapes_cnn, zoo._SHAPES)}


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        path = tmp_path_factory.mktemp("nbviz-cache")
        patch.setenv("NBVIZ_CACHE", str(path))
        yield path


@pytest.fixture(scope="module")
def trained(cache):
    """Each model trained once into the module's cache, with the torch RNG state around the call."""
    out = {}
    for name, (load, _) in MODELS.items():
        before = torch.get_rng_state()
        out[name] = load()
        out[name + ":rng"] = torch.equal(before, torch.get_rng_state())
    return out


def _held_out(recipe: zoo._Recipe) -> datasets.ImageDataset:
    return recipe.data().split(recipe.n_train)[1]


def _fail_if_trained(*args, **kwargs):
    raise AssertionError("_train called although the cache holds the model")


def _assert_same_state(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_held_out_accuracy_is_at_least_95_percent(trained, name):
    result = trained[name]
    held_out = _held_out(MODELS[name][1])
    assert not result.model.training
    with torch.no_grad():
        predicted = torch.cat([result.model(x).argmax(1) for x in held_out.images.split(200)])
    accuracy = (predicted == held_out.labels).float().mean().item()
    assert accuracy >= 0.95
    assert accuracy == pytest.approx(result.accuracy, abs=1e-6)
    assert result.train_seconds > 0  # speed is measured by hand on a quiet machine, not asserted here


@pytest.mark.slow
def test_architectures_keep_conv_relu_pool_batchnorm_and_a_64_channel_full_resolution_layer(trained):
    model = trained["shapes_cnn"].model
    kinds = {type(m) for m in model.modules()}
    required = {nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.BatchNorm2d, nn.Linear}
    assert required <= kinds and required <= {type(m) for m in trained["digits_cnn"].model.modules()}
    shapes = {}

    def record(module, inputs, output):
        shapes[module] = tuple(output.shape)

    hooks = [m.register_forward_hook(record) for m in model.modules() if isinstance(m, nn.Conv2d)]
    try:
        with torch.no_grad():
            model(torch.zeros(2, 3, 32, 32))
    finally:
        for h in hooks:
            h.remove()
    assert (2, 64, 32, 32) in shapes.values()
    assert all(p.is_contiguous() for p in model.parameters())  # trained channels-last, returned contiguous


@pytest.mark.slow
def test_training_leaves_the_callers_rng_state_alone(trained):
    assert trained["digits_cnn:rng"] and trained["shapes_cnn:rng"]


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_cache_hit_loads_identical_weights_without_training(trained, monkeypatch, name):
    monkeypatch.setattr(zoo, "_train", _fail_if_trained)
    before = torch.get_rng_state()
    again = MODELS[name][0]()
    assert torch.equal(before, torch.get_rng_state())
    _assert_same_state(trained[name].model.state_dict(), again.model.state_dict())
    assert again.accuracy == trained[name].accuracy and not again.model.training
    assert len(again.checkpoints) == len(trained[name].checkpoints)
    for a, b in zip(again.checkpoints, trained[name].checkpoints):
        _assert_same_state(a, b)


@pytest.mark.slow
def test_cache_is_loaded_with_weights_only(trained, cache, monkeypatch):
    calls = []
    real_load = torch.load

    def recording_load(*args, **kwargs):
        calls.append(kwargs.get("weights_only"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", recording_load)
    monkeypatch.setattr(zoo, "_train", _fail_if_trained)
    zoo.shapes_cnn()
    assert calls == [True]
    files = sorted(p.name for p in cache.glob("*.pt"))
    assert len(files) == 2 and {f.split("-")[0] for f in files} == {"digits_cnn", "shapes_cnn"}
    for path in cache.glob("*.pt"):
        assert set(real_load(path, weights_only=True)) == {"state_dict", "accuracy", "train_seconds", "checkpoints"}


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_checkpoints_one_per_epoch_load_into_the_architecture(trained, name):
    result, recipe = trained[name], MODELS[name][1]
    assert len(result.checkpoints) == recipe.epochs
    for checkpoint in result.checkpoints:
        fresh = recipe.build()
        fresh.load_state_dict(checkpoint)  # strict: same keys and shapes
    _assert_same_state(result.checkpoints[-1], result.model.state_dict())
    first, last = result.checkpoints[0], result.checkpoints[-1]
    assert any(not torch.equal(first[k], last[k]) for k in first)  # the trajectory moves


def _cache_file(cache, recipe):
    return cache / f"{recipe.name}-{recipe.key()}.pt"


@pytest.mark.slow
def test_corrupt_cache_is_retrained_deterministically_with_a_warning(trained, cache, caplog):
    """Garbage bytes → a warning, real retraining, and (same seed, same order) bitwise the same weights."""
    path = _cache_file(cache, zoo._DIGITS)
    path.write_bytes(b"\x00not a torch file\xff" * 100)
    before = torch.get_rng_state()
    with caplog.at_level(logging.WARNING, logger="nbviz.zoo"):
        again = zoo.digits_cnn()
    assert torch.equal(before, torch.get_rng_state())
    assert any("retraining digits_cnn" in r.getMessage() for r in caplog.records)
    _assert_same_state(trained["digits_cnn"].model.state_dict(), again.model.state_dict())
    assert again.accuracy == trained["digits_cnn"].accuracy
    assert torch.load(path, weights_only=True)["accuracy"] == again.accuracy  # rewritten and readable


def _stub_training(trained, calls):
    def fake_train(recipe, progress=None):
        calls.append(recipe.name)
        return trained[recipe.name]

    return fake_train


@pytest.mark.slow
@pytest.mark.parametrize("content", ["truncated", "wrong_layout", "missing_key"])
def test_unloadable_cache_is_retrained_not_a_crash(trained, cache, monkeypatch, caplog, content):
    path = _cache_file(cache, zoo._SHAPES)
    good = path.read_bytes()
    if content == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif content == "wrong_layout":  # a state dict for a different architecture
        digits_layout = zoo.DigitsCNN().state_dict()
        torch.save({"state_dict": digits_layout, "accuracy": 1.0, "train_seconds": 1.0, "checkpoints": []}, path)
    else:
        torch.save({"state_dict": trained["shapes_cnn"].model.state_dict()}, path)
    calls = []
    monkeypatch.setattr(zoo, "_train", _stub_training(trained, calls))
    with caplog.at_level(logging.WARNING, logger="nbviz.zoo"):
        result = zoo.shapes_cnn()
    assert calls == ["shapes_cnn"] and result is trained["shapes_cnn"]
    assert any("retraining shapes_cnn" in r.getMessage() for r in caplog.records)
    assert path.read_bytes() != b"" and torch.load(path, weights_only=True)["accuracy"] == result.accuracy


@pytest.mark.slow
def test_stale_recipe_files_are_replaced_and_retrain_forces_training(trained, cache, monkeypatch):
    stale = cache / "shapes_cnn-000000000000.pt"
    stale.write_bytes(b"weights from an older recipe")
    zoo._write_manifest(cache, zoo._read_manifest(cache) | {stale.name})  # as the older nbviz recorded it
    calls = []
    monkeypatch.setattr(zoo, "_train", _stub_training(trained, calls))
    zoo.shapes_cnn(retrain=True)
    assert calls == ["shapes_cnn"] and not stale.exists() and _cache_file(cache, zoo._SHAPES).exists()


def test_recipe_key_changes_with_the_recipe():
    changed = dataclasses.replace(zoo._SHAPES, epochs=zoo._SHAPES.epochs + 1)
    assert changed.key() != zoo._SHAPES.key() and zoo._SHAPES.key() == zoo._SHAPES.key()
    assert zoo._SHAPES.key() != zoo._DIGITS.key()


def test_cancelled_training_writes_nothing_and_restores_rng(tmp_path, monkeypatch):
    monkeypatch.setenv("NBVIZ_CACHE", str(tmp_path))
    messages = []
    before = torch.get_rng_state()
    with pytest.raises(Cancelled):
        zoo.digits_cnn(progress=lambda fraction, message: messages.append(message) or False)
    assert torch.equal(before, torch.get_rng_state())
    assert messages == ["training digits_cnn: epoch 1 of 12"] and not list(tmp_path.iterdir())


def test_cache_dir_follows_nbviz_cache_then_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("NBVIZ_CACHE", str(tmp_path / "a"))
    assert zoo.cache_dir() == tmp_path / "a"
    monkeypatch.delenv("NBVIZ_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert zoo.cache_dir() == tmp_path / "x" / "nbviz"
