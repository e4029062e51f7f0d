"""The shipped tour in every notebook host that runs here: JupyterLab, Jupyter Notebook 7 and marimo.

Each test draws the explorers, moves one slider like a person (the layer explorer's "rotate"), checks that
the feature maps' pixels change, and reads the new value back in Python. The notebooks come from the nbviz
under test (:func:`nbviz._notebooks.shipped_notebooks`): with ``NBVIZ_TEST_INSTALLED=1`` that is the
installed wheel's copy, and the kernel must import that same installed nbviz."""

from __future__ import annotations

import shutil

import nbformat
import pytest

from lab_driver import (
    Marimo,
    canvas_signature,
    installed_mode,
    open_and_run,
    run_cell,
    wait_canvas_change,
    wait_canvas_drawn,
    wait_output,
)
from nbviz._notebooks import shipped_notebooks

GRID = ".nbviz-layers-grid"  # the layer explorer's feature maps (a 2-D canvas)
LINKED = (".nbviz-saliency-input", ".nbviz-occlusion-map", ".nbviz-layers-input", GRID)
# every explorer's top-level element carries this class; the t-SNE map is WebGL or 2-D, so it is counted, not read
EXPLORER = ".nbviz-explorer"
# where the kernel's nbviz lives: with an installed nbviz it must be inside the environment, never the checkout
WHERE = "import sys, nbviz\nprint('nbviz at', nbviz.__file__, 'prefix', sys.prefix)"


def tour_cell() -> str:
    """The tour's cell that builds the linked set (``explored = nbviz.explore(model, digits)``), as shipped."""
    tour = nbformat.read(shipped_notebooks() / "00_tour.ipynb", as_version=4)
    return next(c.source for c in tour.cells if c.cell_type == "code" and "nbviz.explore(" in c.source)


def _assert_kernel_nbviz(text: str) -> None:
    where, prefix = text.split("nbviz at ", 1)[1].split(" prefix ")
    if installed_mode():
        assert where.startswith(prefix.strip()), f"the kernel imported nbviz from {where}, not the installed package"


@pytest.mark.parametrize("host", ["lab", "notebook7"])
def test_tour_linked_set_in_jupyter(page, host, request):
    """JupyterLab and Notebook 7: the tour's linked set draws; rotate → new feature maps and the Python trait."""
    server = request.getfixturevalue(host)
    name = server.write_notebook(f"tour_{host}.ipynb", [tour_cell(), "print('angle', explored.layers.angle)", WHERE])
    open_and_run(page, server, name)
    _assert_kernel_nbviz(wait_output(page, 2, "nbviz at"))
    assert page.locator(EXPLORER).count() == 4, "the map, saliency, occlusion and layer explorers"
    for selector in LINKED:
        wait_canvas_drawn(page, selector)
    wait_output(page, 1, "angle 0.0")

    before = canvas_signature(page, GRID)
    page.get_by_label("rotate").fill("90")  # fires input/change like a person dragging
    wait_canvas_change(page, GRID, before)
    run_cell(page, 1)
    wait_output(page, 1, "angle 90.0", timeout=30_000)
    assert not server.unexpected_errors(page.js_errors), page.js_errors


@pytest.fixture
def marimo_tour(tmp_path):
    """``marimo run`` on a copy of the shipped marimo tour (marimo may write caches next to the file)."""
    shutil.copy(shipped_notebooks() / "marimo_tour.py", tmp_path / "marimo_tour.py")
    server = Marimo(tmp_path, "marimo_tour.py")
    yield server
    server.stop()


def test_marimo_tour(page, marimo_tour):
    """marimo: the t-SNE map and the layer explorer draw (inside shadow roots, which Playwright's locators
    pierce); rotate → new feature maps, and the cell reading ``layers.value['angle']`` re-runs in Python."""
    page.goto(marimo_tour.url())
    caption = page.get_by_text("input rotated by")
    caption.wait_for(timeout=120_000)
    assert "rotated by 0°" in caption.inner_text()
    page.locator(".nbviz-tsne-plot canvas").first.wait_for(timeout=60_000)
    assert page.locator(EXPLORER).count() == 2, "the t-SNE map and the layer explorer"
    for selector in (".nbviz-layers-input", GRID):
        wait_canvas_drawn(page, selector, timeout=120_000)  # the t-SNE run shares the kernel's CPU

    before = canvas_signature(page, GRID)
    page.get_by_label("rotate").fill("90")
    wait_canvas_change(page, GRID, before, timeout=60_000)
    page.get_by_text("input rotated by 90°").wait_for(timeout=60_000)  # the Python cell ran again with the new value
    assert not marimo_tour.unexpected_errors(page.js_errors), page.js_errors
