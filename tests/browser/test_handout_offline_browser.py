"""A handout of a hostile notebook in a real browser (issue 16, part 3): opened from file:// it requests
nothing outside the file (a third-party widget shows as a note instead of being fetched from a CDN)
and runs none of the injected scripts (markdown event handlers, script tags, javascript: links,
untrusted outputs)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from test_handout_browser import Offline

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the hostile notebook is shared with unit tests
from handout_hostile import THIRD_PARTY, hostile_notebook, hostile_widgets


def _page(kind: str, folder: Path) -> Path:
    if kind == "export":
        from nbviz.handout import export_notebook

        return export_notebook(hostile_notebook(folder / "hostile.ipynb"), folder / "hostile.html", execute=False)
    from nbviz.handout import save_html

    widgets = hostile_widgets()
    try:
        return save_html(folder / "widgets.html", *widgets, precompute=False)
    finally:
        for w in widgets:
            w.close()


@pytest.mark.parametrize("kind", ["export", "save_html"])
def test_hostile_handout_fetches_nothing_and_runs_no_injected_script(browser, kind, tmp_path):
    offline = Offline(browser, _page(kind, tmp_path))  # waits for the nbviz explorer to render
    page = offline.page
    if kind == "export":
        assert page.locator("text=kept").first.is_visible()  # markdown formatting survives sanitising
        page.locator("#js-link").click()
    page.wait_for_timeout(500)
    assert offline.attempted == [], f"the handout tried the network: {offline.attempted[:5]}"
    assert page.evaluate("window.__pwned") is None, f"an injected script ran: {page.evaluate('window.__pwned')}"
    notes = page.locator(".nbviz-handout-omitted")
    assert notes.count() == 2, "the third-party widget, on its own and inside the box, shows as a note"
    assert all(THIRD_PARTY in text for text in notes.all_inner_texts())
    assert notes.first.is_visible()
    assert page.locator(".widget-slider").count() == 1, "the box's ipywidgets slider still renders"
    offline.finish(f"hostile_{kind}")  # also: no page errors
