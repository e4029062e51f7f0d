"""The ``nbviz`` command line: version, missing extras named before any work, the tour copied (user edits
kept), and export failures reported in one line with a non-zero exit."""

from __future__ import annotations

import importlib.util
import json

import nbformat
import pytest

import nbviz
from nbviz import __main__ as cli
from nbviz._extras import EXTRAS, install_command, requirements
from nbviz._notebooks import copy_notebooks, shipped_notebooks


def test_version(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["--version"])
    assert exit.value.code == 0 and capsys.readouterr().out.strip() == f"nbviz {nbviz.__version__}"


def test_install_commands_match_pyproject():
    tomllib = pytest.importorskip("tomllib")
    from pathlib import Path

    declared = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for extra in EXTRAS:
        assert sorted(requirements(extra)) == sorted(declared[extra]), f"reinstall nbviz after editing pyproject ({extra})"
        assert install_command(extra).endswith(" ".join(f'"{r}"' for r in requirements(extra)))


@pytest.fixture
def without(monkeypatch):
    """``without("jupyterlab")``: make modules look uninstalled; demo model training fails loudly if reached."""
    real = importlib.util.find_spec

    def hide(*names: str) -> None:
        monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in names else real(name, *a))

    monkeypatch.setattr(nbviz.zoo, "digits_cnn", lambda: pytest.fail("trained before checking the app"))
    return hide


@pytest.mark.parametrize(("app", "module"), [("lab", "jupyterlab"), ("notebook", "notebook"), ("marimo", "marimo")])
def test_demo_without_its_app_names_the_fix_first(without, tmp_path, capsys, app, module):
    without(module)
    assert cli.main(["demo", "--app", app, "--dir", str(tmp_path / "tour")]) == 1
    err = capsys.readouterr().err
    assert install_command(app) in err and f'"{module}>=' in err
    assert not (tmp_path / "tour").exists()


def test_export_without_nbconvert_names_the_fix(without, tmp_path, capsys):
    without("nbconvert")
    assert cli.main(["export", str(tmp_path / "a.ipynb"), str(tmp_path / "a.html")]) == 1
    assert install_command("export") in capsys.readouterr().err


@pytest.mark.parametrize(("app", "expected"), [
    ("lab", ["-m", "jupyterlab", "--LabApp.default_url=/lab/tree/00_tour.ipynb"]),
    ("notebook", ["-m", "notebook", "--JupyterNotebookApp.default_url=/notebooks/00_tour.ipynb"]),
    ("marimo", ["-m", "marimo", "edit"]),
])
def test_demo_serves_a_copy_of_the_tour(monkeypatch, tmp_path, capsys, app, expected):
    started = []
    monkeypatch.setattr(cli.subprocess, "call", lambda command: started.append(command) or 0)
    monkeypatch.setattr(nbviz.zoo, "digits_cnn", lambda: None)
    monkeypatch.setattr(nbviz.zoo, "shapes_cnn", lambda: None)
    tour = tmp_path / "tour"
    assert cli.main(["demo", "--app", app, "--dir", str(tour), "--port", "9999"]) == 0
    assert f"the tour notebooks are in {tour}" in capsys.readouterr().out
    command = " ".join(started[0])
    assert all(part in started[0] or part in command for part in expected), command
    assert str(tour) in command and "9999" in command
    assert (tour / "00_tour.ipynb").read_bytes() == (shipped_notebooks() / "00_tour.ipynb").read_bytes()


def test_copy_keeps_user_edits_and_updates_untouched_copies(tmp_path):
    shipped, folder = tmp_path / "shipped", tmp_path / "copy"
    shipped.mkdir()
    for name in ("a.ipynb", "b.ipynb", "marimo_x.py", "helper.py"):
        (shipped / name).write_text(f"{name} v1")
    first = copy_notebooks(folder, shipped)
    assert first.written == ("a.ipynb", "b.ipynb", "marimo_x.py") and first.kept == ()
    (folder / "a.ipynb").write_text("my notes")  # the user edits a
    for name in ("a.ipynb", "b.ipynb"):
        (shipped / name).write_text(f"{name} v2")  # a new nbviz ships new versions
    second = copy_notebooks(folder, shipped)
    assert second.written == ("b.ipynb",) and second.kept == ("a.ipynb",)
    assert (folder / "a.ipynb").read_text() == "my notes" and (folder / "b.ipynb").read_text() == "b.ipynb v2"
    assert copy_notebooks(folder, shipped).written == ()
    assert set(json.loads((folder / ".nbviz-shipped.json").read_text())) == {"a.ipynb", "b.ipynb", "marimo_x.py"}


def test_demo_reports_an_unwritable_folder(monkeypatch, tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert cli.main(["demo", "--dir", str(tmp_path / "file" / "tour")]) == 1
    assert "cannot write the tour" in capsys.readouterr().err


def _notebook(tmp_path, *cells: str):
    path = tmp_path / "nb.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_export_of_a_failing_cell_is_one_line(tmp_path, capsys):
    source = _notebook(tmp_path, "x = 1", "1 / 0")
    assert cli.main(["export", str(source), str(tmp_path / "out.html")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ZeroDivisionError: division by zero" in err and "Traceback" not in err, err
    assert not (tmp_path / "out.html").exists()


def test_export_to_an_unwritable_path_fails_before_running(tmp_path, capsys):
    source = _notebook(tmp_path, "raise SystemExit('must not run')")
    (tmp_path / "file").write_text("")
    assert cli.main(["export", str(source), str(tmp_path / "file" / "out.html")]) == 1
    assert "cannot write" in capsys.readouterr().err
    (tmp_path / "dir.html").mkdir()
    assert cli.main(["export", str(source), str(tmp_path / "dir.html")]) == 1
    assert "it is a folder" in capsys.readouterr().err
