"""Command line.

``nbviz demo`` copies the tour notebooks nbviz ships to a folder you can write to and opens them in
JupyterLab (``--app notebook``: Jupyter Notebook 7, ``--app marimo``: marimo); ``nbviz export
NOTEBOOK.ipynb OUT.html`` writes an offline handout of a notebook; ``nbviz --version`` prints the version.
A missing optional dependency is reported with the one command that installs it, before any work starts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from nbviz import __version__
from nbviz._extras import install_command, missing

DEMO_DIR = Path("~/nbviz-tour")


@dataclass(frozen=True)
class App:
    """A notebook app ``nbviz demo`` can start: the extra it needs, what it opens, and how to start it."""

    extra: str
    title: str
    notebook: str

    def command(self, folder: Path, port: int) -> list[str]:
        """The command that serves ``folder`` on ``port`` (no browser) with this app's tour notebook open."""
        python = sys.executable
        if self.extra == "marimo":
            return [python, "-m", "marimo", "edit", str(folder / self.notebook), "--headless", "--port", str(port)]
        module, url_option, url = {
            "lab": ("jupyterlab", "--LabApp.default_url", f"/lab/tree/{self.notebook}"),
            "notebook": ("notebook", "--JupyterNotebookApp.default_url", f"/notebooks/{self.notebook}"),
        }[self.extra]
        command = [python, "-m", module, "--no-browser", f"--port={port}", f"--ServerApp.root_dir={folder}", f"{url_option}={url}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        return command


APPS = {
    "lab": App("lab", "JupyterLab", "00_tour.ipynb"),
    "notebook": App("notebook", "Jupyter Notebook 7", "00_tour.ipynb"),
    "marimo": App("marimo", "marimo", "marimo_tour.py"),
}


def _fail(command: str, message: str, code: int = 1) -> int:
    print(f"nbviz {command}: {message}", file=sys.stderr)
    return code


def _needs(command: str, extra: str, what: str) -> int | None:
    """Exit code 1 after telling the user how to install ``extra`` when it is missing, else ``None``."""
    absent = missing(extra)
    if not absent:
        return None
    return _fail(command, f"{what} needs {', '.join(absent)}, which is not installed here. Install it with:\n\n"
                          f"    {install_command(extra)}\n")


def demo(app: App, port: int, folder: Path) -> int:
    """Copy the tour to ``folder``, train the demo models if needed, then serve the tour with ``app``."""
    from nbviz._notebooks import copy_notebooks

    if (code := _needs("demo", app.extra, f"the tour in {app.title}")) is not None:
        return code
    try:
        report = copy_notebooks(folder.expanduser().absolute())
    except OSError as error:
        return _fail("demo", f"cannot write the tour to {folder} ({error.strerror or error}); pass --dir DIR")
    print(f"nbviz: the tour notebooks are in {report.folder} (your copy: edit freely)")
    for name in report.kept:
        print(f"nbviz: kept your edited {name}; delete it to get the version shipped with nbviz {__version__}")
    print("nbviz: the two demo models train once on first use (a minute or more on a small CPU; cached afterwards).")
    from nbviz import zoo  # warm the model cache before the notebook asks for it

    zoo.digits_cnn()
    zoo.shapes_cnn()
    try:
        return subprocess.call(app.command(report.folder, port))
    except KeyboardInterrupt:
        return 0


def _unwritable(out: Path) -> str | None:
    """Why ``out`` cannot be written (checked before a long execution), or ``None``."""
    if out.is_dir():
        return "it is a folder"
    parent = out.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        return f"{parent} is not a writable folder"
    return None


def export(notebook: Path, out: Path, *, execute: bool, timeout: float) -> int:
    """Execute ``notebook`` (unless ``execute`` is False), precompute its explorers and write ``out``."""
    if (code := _needs("export", "export", "exporting a notebook")) is not None:
        return code
    if (reason := _unwritable(out)) is not None:
        return _fail("export", f"cannot write {out}: {reason}")
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from nbviz.handout import export_notebook

    try:
        path = export_notebook(notebook, out, execute=execute, timeout=timeout)
    except ValueError as error:
        return _fail("export", str(error), code=2)
    except CellExecutionError as error:
        return _fail("export", f"a cell of {notebook} failed: {error.ename}: {error.evalue}")
    except CellTimeoutError:
        return _fail("export", f"a cell of {notebook} ran longer than --timeout {timeout:g} s")
    except DeadKernelError as error:
        return _fail("export", f"the kernel running {notebook} died ({error})")
    except OSError as error:
        return _fail("export", f"cannot write {out}: {error.strerror or error}")
    print(f"nbviz: wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def parser() -> argparse.ArgumentParser:
    """The ``nbviz`` argument parser."""
    root = argparse.ArgumentParser(prog="nbviz", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root.add_argument("--version", action="version", version=f"nbviz {__version__}")
    commands = root.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="copy the tour notebooks to a folder and open them")
    demo_parser.add_argument("--app", choices=sorted(APPS), default="lab", help="where to open the tour (default: lab)")
    demo_parser.add_argument("--port", type=int, default=8888)
    demo_parser.add_argument("--dir", type=Path, default=DEMO_DIR, help=f"where the copy goes (default: {DEMO_DIR})")
    export_parser = commands.add_parser("export", help="write a notebook as one self-contained offline HTML handout")
    export_parser.add_argument("notebook", type=Path, help="the .ipynb to export")
    export_parser.add_argument("out", type=Path, help="the .html file to write")
    export_parser.add_argument("--no-execute", action="store_true", help="use the outputs and widget state saved in the notebook")
    export_parser.add_argument("--timeout", type=float, default=600.0, help="seconds per cell when executing (default 600)")
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "demo":
        return demo(APPS[args.app], args.port, args.dir)
    return export(args.notebook, args.out, execute=not args.no_execute, timeout=args.timeout)


if __name__ == "__main__":
    sys.exit(main())
