"""Notebook servers (JupyterLab, Jupyter Notebook 7, marimo) and a Chromium page driving them, for
real-browser tests (offline recipes in the shared browser-tests and hosts notes).

With ``NBVIZ_TEST_INSTALLED=1`` the servers' kernels import nbviz from the installed package only (CI's
fresh virtual environment); otherwise the checkout is put on their ``PYTHONPATH``."""

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

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def installed_mode() -> bool:
    """True when the tests check an installed nbviz (``NBVIZ_TEST_INSTALLED=1``), never the checkout."""
    return os.environ.get("NBVIZ_TEST_INSTALLED") == "1"


def chromium_path() -> str | None:
    for path in ("/usr/lib/chromium/chromium", "/usr/bin/chromium"):
        if os.path.exists(path):
            return path
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A notebook server process on 127.0.0.1 with its files in ``root``; stop with :meth:`stop`.

    Subclasses give the command line (:meth:`command`) and the URL that opens a notebook (:meth:`url`)."""

    name = "server"
    ready_path = "/"
    # page errors the app itself logs on a healthy page (tests that assert "no page errors" allow these)
    known_page_errors: tuple[str, ...] = ()

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = root / f"{self.name}.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(self.command(), cwd=root, env=self.env(), stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def command(self) -> list[str]:
        raise NotImplementedError

    def url(self, notebook: str) -> str:
        """The address that opens ``notebook`` (a file name in ``root``)."""
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        """The server's (and so its kernels') environment."""
        env = dict(os.environ)
        if not installed_mode():
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
        return env

    def _wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{self.base}{self.ready_path}", timeout=2).status == 200:
                    return
            except OSError:
                time.sleep(0.3)
            if self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"{type(self).__name__} did not start; see {self.log_path}")

    def unexpected_errors(self, errors: list[str]) -> list[str]:
        """``errors`` (page errors) without the ones this app logs on a healthy page."""
        return [e for e in errors if not any(known in e for known in self.known_page_errors)]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class JupyterServer(Server):
    """A Jupyter server app (JupyterLab or Notebook 7) with ``window.jupyterapp`` exposed to the page."""

    module = ""
    ready_path = "/api/status"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", self.module, "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
            "--IdentityProvider.token=", "--ServerApp.disable_check_xsrf=True", "--allow-root",
            f"--ServerApp.root_dir={self.root}", *self.app_options(),
        ]

    def app_options(self) -> list[str]:
        return []

    def env(self) -> dict[str, str]:
        config = self.root / ".jupyter-config"
        (config / "labconfig").mkdir(parents=True, exist_ok=True)
        (config / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
        )
        return dict(super().env(), JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(self.root / ".jupyter-runtime"))

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
        except Exception:  # noqa: BLE001 - a server that does not shut down when asked is killed
            self.process.kill()
        self.log.close()


class JupyterLab(JupyterServer):
    """JupyterLab; each notebook opens in a workspace named after it, so tabs JupyterLab restores from an
    earlier test's notebook cannot become the current widget and take the run."""

    name = "jupyterlab"
    module = "jupyterlab"

    def app_options(self) -> list[str]:
        return [
            f"--LabApp.workspaces_dir={self.root / '.ws'}", "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]

    def url(self, notebook: str) -> str:
        return f"{self.base}/lab/workspaces/{notebook.rsplit('.', 1)[0]}/tree/{notebook}"


class JupyterNotebook(JupyterServer):
    """Jupyter Notebook 7 (one notebook per browser tab, the same widget manager as JupyterLab)."""

    name = "notebook7"
    module = "notebook"
    known_page_errors = ("Cannot read properties of undefined (reading 'schema')",)  # Notebook 7.6, any notebook

    def app_options(self) -> list[str]:
        return ["--JupyterNotebookApp.expose_app_in_browser=True"]

    def url(self, notebook: str) -> str:
        return f"{self.base}/notebooks/{notebook}"


class Marimo(Server):
    """``marimo run`` serving one marimo notebook (a ``.py`` file in ``root``) read-only at ``/``."""

    name = "marimo"

    def __init__(self, root: Path, notebook: str) -> None:
        self.notebook = notebook
        super().__init__(root)

    def command(self) -> list[str]:
        return [sys.executable, "-m", "marimo", "run", self.notebook, "--headless", "--port", str(self.port), "--host", "127.0.0.1"]

    def url(self, notebook: str = "") -> str:
        return f"{self.base}/"


RUN_ALL = """async () => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  await app.commands.execute('notebook:run-all-cells');
}"""


def open_and_run(page, server: JupyterServer, notebook: str, timeout: float = 180_000) -> None:
    """Open ``notebook`` in ``page`` (JupyterLab or Notebook 7) and run all its cells (returns when they finished)."""
    page.goto(server.url(notebook))
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


OUTPUT_TEXT = """(i) => { const outputs = window.jupyterapp.shell.currentWidget.content.widgets[i].model.outputs.toJSON();
  const text = (t) => (Array.isArray(t) ? t.join('') : t ?? '');
  return outputs.map((o) => text(o.text ?? o.data?.['text/plain'])).join(''); }"""


def wait_output(page, index: int, contains: str, timeout: float = 60_000) -> str:
    """Wait until cell ``index``'s text outputs contain ``contains``; returns them.

    Reads the cell's output model, not the page, so it works while the notebook has not rendered that
    cell (JupyterLab and Notebook 7 render long notebooks lazily)."""
    page.wait_for_function(f"([i, t]) => ({OUTPUT_TEXT})(i).includes(t)", arg=[index, contains], timeout=timeout)
    return page.evaluate(OUTPUT_TEXT, index)


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


# A hash of a canvas's pixels (JS, takes the canvas element): equal hashes mean the same picture.
CANVAS_SIGNATURE = """(canvas) => { const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let s = 0; for (let i = 0; i < d.length; i += 4) s = (s + d[i] * 3 + d[i + 1] * 5 + d[i + 2] * 7 + (i % 997)) % 1000000007; return s; }"""
# Whether the current notebook's kernel is busy / idle (JS predicates for page.wait_for_function).
KERNEL_BUSY = "() => window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status === 'busy'"
KERNEL_IDLE = "() => window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status === 'idle'"
