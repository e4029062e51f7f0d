"""Session fixtures for real-browser tests: one Chromium, one JupyterLab and one Notebook 7 server (each
started when a test first asks for it), a page per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lab_driver import CHROMIUM_ARGS, REPO, JupyterLab, JupyterNotebook, chromium_path

ARTIFACTS = REPO / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing (apt-get install -y chromium)")
        pytest.skip("Chromium is not installed")
    import nbviz

    if not (Path(nbviz.__file__).parent / "static" / "predictions.js").exists():  # the nbviz the servers will import
        pytest.fail("the front end is not built: run `npm ci && npm run build` in js/")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    server = JupyterLab(tmp_path_factory.mktemp("lab"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def notebook7(tmp_path_factory):
    server = JupyterNotebook(tmp_path_factory.mktemp("notebook7"))
    yield server
    server.stop()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.js_errors = errors
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    except Exception:  # noqa: BLE001 - the screenshot is a best-effort artefact of a test that already ran
        pass
    context.close()
