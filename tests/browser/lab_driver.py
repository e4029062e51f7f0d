"""A JupyterLab server and a Chromium page driving it, for real-browser tests (offline recipe)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def chromium_path() -> str | None:
    for path in ("/usr/lib/chromium/chromium", "/usr/bin/chromium"):
        if os.path.exists(path):
            return path
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """A JupyterLab server on 127.0.0.1 serving ``root``; stop with :meth:`stop`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = root / ".jupyter-config"
        (config / "labconfig").mkdir(parents=True, exist_ok=True)
        (config / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
        )
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(root / ".jupyter-runtime"))
        env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH", "")])
        self.log = open(root / "jupyterlab.log", "w")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
                "--IdentityProvider.token=", "--ServerApp.disable_check_xsrf=True", "--allow-root",
                f"--ServerApp.root_dir={root}", f"--LabApp.workspaces_dir={root / '.ws'}",
                "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            ],  # fmt: skip
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{self.base}/api/status", timeout=2).status == 200:
                    return
            except OSError:
                time.sleep(0.3)
            if self.process.poll() is not None:
                break
        raise RuntimeError(f"JupyterLab did not start; see {root / 'jupyterlab.log'}")

    def write_notebook(self, name: str, cells: list[str]) -> str:
        """Write a notebook of code cells into the server root; returns its name."""
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, self.root / name)
        return name

    def stop(self) -> None:
        try:
            urllib.request.urlopen(urllib.request.Request(f"{self.base}/api/shutdown", method="POST"), timeout=10)
            self.process.wait(timeout=20)
        except Exception:
            self.process.kill()
        self.log.close()


RUN_ALL = """async () => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  await app.commands.execute('notebook:run-all-cells');
}"""


def open_and_run(page, lab: JupyterLab, notebook: str, timeout: float = 180_000) -> None:
    """Open ``notebook`` in JupyterLab in ``page`` and run all its cells (returns when they finished).

    It opens in a workspace named after the notebook, so tabs JupyterLab restores from an earlier
    test's notebook cannot become the current widget and take the run."""
    page.goto(f"{lab.base}/lab/workspaces/{notebook.rsplit('.', 1)[0]}/tree/{notebook}")
    page.wait_for_function(f"() => window.jupyterapp?.shell?.currentWidget?.context?.path === {notebook!r}", timeout=60_000)
    page.wait_for_function("() => window.jupyterapp?.shell?.currentWidget?.sessionContext", timeout=60_000)
    page.evaluate(RUN_ALL)
    page.wait_for_function(
        "() => { const p = window.jupyterapp.shell.currentWidget;"
        " return p.sessionContext.session?.kernel?.status === 'idle'; }",
        timeout=timeout,
    )


def run_cell(page, index: int) -> None:
    """Run one cell of the open notebook (e.g. a later cell that prints widget state)."""
    page.evaluate(
        """async (i) => { const app = window.jupyterapp; const nb = app.shell.currentWidget.content;
        nb.activeCellIndex = i; await app.commands.execute('notebook:run-cell'); }""",
        index,
    )


def cell_output_text(page, index: int) -> str:
    """Text of a cell's outputs."""
    return page.evaluate(
        """(i) => { const nb = window.jupyterapp.shell.currentWidget.content;
        return nb.widgets[i].outputArea.node.innerText; }""",
        index,
    )


CANVAS_SUM = """(canvas) => { const ctx = canvas.getContext('2d');
  const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data; let s = 0;
  for (let i = 0; i < d.length; i += 4) s = (s + d[i] * 3 + d[i + 1] * 5 + d[i + 2] * 7 + (i % 997)) % 1000000007;
  return s; }"""

CANVAS_NONBLANK = """(canvas) => { if (!canvas.width) return 0; const ctx = canvas.getContext('2d');
  const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data; let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0) n++; return n; }"""


def canvas_signature(page, selector: str) -> int:
    """A checksum of the canvas's pixels (changes when what is drawn changes)."""
    return page.locator(selector).first.evaluate(CANVAS_SUM)


def wait_canvas_change(page, selector: str, before: int, timeout: float = 30_000) -> int:
    """Wait until the canvas's pixel checksum differs from ``before``; returns the new one."""
    handle = page.locator(selector).first.element_handle()
    page.wait_for_function(f"([c, b]) => ({CANVAS_SUM})(c) !== b", arg=[handle, before], timeout=timeout)
    return canvas_signature(page, selector)


def wait_canvas_drawn(page, selector: str, timeout: float = 60_000) -> None:
    """Wait until the canvas has non-transparent pixels."""
    handle = page.locator(selector).first.element_handle(timeout=timeout)
    page.wait_for_function(f"(c) => ({CANVAS_NONBLANK})(c) > 0", arg=handle, timeout=timeout)
