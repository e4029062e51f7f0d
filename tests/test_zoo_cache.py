"""nbviz.zoo's disk cache when it cannot be written, and a cleanup that deletes only what nbviz wrote
(issue 16, part 4). Training is stubbed: these tests are about the files, and run in milliseconds."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import torch

from nbviz import zoo


@pytest.fixture
def trainings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace training by a freshly initialised model; returns the names of the recipes 'trained'."""
    calls: list[str] = []

    def fake_train(recipe: zoo._Recipe, progress: object = None) -> zoo.TrainedModel:
        calls.append(recipe.name)
        return zoo.TrainedModel(recipe.model().eval(), 0.5, 0.01, [])

    monkeypatch.setattr(zoo, "_train", fake_train)
    return calls


def _cache(monkeypatch: pytest.MonkeyPatch, path: Path) -> Path:
    monkeypatch.setenv("NBVIZ_CACHE", str(path))
    return path


def _current(folder: Path, recipe: zoo._Recipe = zoo._DIGITS) -> Path:
    return folder / f"{recipe.name}-{recipe.key()}.pt"


def _works(result: zoo.TrainedModel) -> None:
    assert result.model(torch.zeros(2, 1, 8, 8)).shape == (2, 10)


def test_a_cache_path_that_is_a_file_gives_a_warning_and_a_working_model(tmp_path, monkeypatch, trainings, caplog):
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    _cache(monkeypatch, blocker)
    with caplog.at_level(logging.WARNING, logger="nbviz.zoo"):
        result = zoo.digits_cnn()
    _works(result)
    assert trainings == ["digits_cnn"] and blocker.read_text() == "not a folder"
    assert any("could not cache digits_cnn" in r.getMessage() for r in caplog.records)


def test_an_unwritable_cache_folder_gives_a_warning_a_working_model_and_no_debris(tmp_path, monkeypatch, trainings, caplog):
    """A read-only folder that exists: torch.save raises RuntimeError there, not OSError (root ignores
    permissions, so the failure is reproduced as torch reports it)."""
    folder = _cache(monkeypatch, tmp_path / "cache")
    folder.mkdir()

    def read_only_save(obj: object, f: object, *args: object, **kwargs: object) -> None:
        Path(f).write_bytes(b"half a fi")  # a partial write before the failure
        raise RuntimeError(f"File {f} cannot be opened.")

    monkeypatch.setattr(torch, "save", read_only_save)
    with caplog.at_level(logging.WARNING, logger="nbviz.zoo"):
        result = zoo.digits_cnn()
    _works(result)
    assert any("could not cache digits_cnn" in r.getMessage() for r in caplog.records)
    assert list(folder.iterdir()) == [], "a failed write leaves no temporary or manifest file"


def test_cleanup_deletes_only_the_weights_nbviz_wrote(tmp_path, monkeypatch, trainings):
    folder = _cache(monkeypatch, tmp_path / "cache")
    folder.mkdir()
    users = [folder / "digits_cnn-mine.pt", folder / "digits_cnn-000000000000.pt", folder / "shapes_cnn-best.pt"]
    for path in users:
        path.write_bytes(b"a user's own weights")
    ours = folder / "digits_cnn-0123456789ab.pt"  # what an older recipe of nbviz wrote
    ours.write_bytes(b"older nbviz weights")
    (folder / zoo._MANIFEST).write_text(json.dumps({"files": [ours.name, "../outside.pt", "shapes_cnn-gone.pt"]}))
    (tmp_path / "outside.pt").write_bytes(b"not in the cache folder")

    _works(zoo.digits_cnn(retrain=True))

    assert not ours.exists(), "nbviz's own stale weights are replaced"
    assert all(p.read_bytes() == b"a user's own weights" for p in users)
    assert (tmp_path / "outside.pt").exists()
    listed = json.loads((folder / zoo._MANIFEST).read_text())["files"]
    assert _current(folder).name in listed and ours.name not in listed
    assert torch.load(_current(folder), weights_only=True)["accuracy"] == 0.5


def test_weights_written_are_found_again_and_recorded(tmp_path, monkeypatch, trainings):
    folder = _cache(monkeypatch, tmp_path / "cache")
    zoo.digits_cnn()
    zoo.digits_cnn()
    assert trainings == ["digits_cnn"]
    assert json.loads((folder / zoo._MANIFEST).read_text())["files"] == [_current(folder).name]


@pytest.mark.parametrize("content", ["{not json", '{"files": 3}', '["a"]'])
def test_an_unreadable_manifest_deletes_nothing(tmp_path, monkeypatch, trainings, content):
    folder = _cache(monkeypatch, tmp_path / "cache")
    folder.mkdir()
    (folder / zoo._MANIFEST).write_text(content)
    mine = folder / "digits_cnn-mine.pt"
    mine.write_bytes(b"a user's own weights")
    _works(zoo.digits_cnn(retrain=True))
    assert mine.exists() and _current(folder).exists()
