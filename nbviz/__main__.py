"""Command line: ``python -m nbviz demo`` opens the tour in JupyterLab; ``python -m nbviz export NOTEBOOK.ipynb
OUT.html`` writes an offline handout of a notebook."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def demo(port: int, notebooks: Path) -> int:
    """Start JupyterLab (no browser) on the tour notebook; JupyterLab prints the URL to open."""
    tour = notebooks / "00_tour.ipynb"
    if not tour.exists():
        print(f"nbviz demo: the tour is not at {tour}; run this from a clone of the nbviz repository "
              "or pass --notebooks DIR", file=sys.stderr)
        return 2
    print("nbviz: training the demo models on first use takes a few seconds (cached afterwards).")
    from nbviz import zoo  # warm the model cache before the notebook asks for it

    zoo.digits_cnn()
    zoo.shapes_cnn()
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
        f"--ServerApp.root_dir={notebooks}", f"--LabApp.default_url=/lab/tree/{tour.name}",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return subprocess.call(command)


def export(notebook: Path, out: Path, *, execute: bool, timeout: float) -> int:
    """Execute ``notebook`` (unless ``execute`` is False), precompute its explorers and write ``out``."""
    from nbviz.handout import export_notebook

    try:
        path = export_notebook(notebook, out, execute=execute, timeout=timeout)
    except ValueError as error:
        print(f"nbviz export: {error}", file=sys.stderr)
        return 2
    print(f"nbviz: wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nbviz", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="open the tour notebook in JupyterLab")
    demo_parser.add_argument("--port", type=int, default=8888)
    demo_parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS)
    export_parser = commands.add_parser("export", help="write a notebook as one self-contained offline HTML handout")
    export_parser.add_argument("notebook", type=Path, help="the .ipynb to export")
    export_parser.add_argument("out", type=Path, help="the .html file to write")
    export_parser.add_argument("--no-execute", action="store_true", help="use the outputs and widget state saved in the notebook")
    export_parser.add_argument("--timeout", type=float, default=600.0, help="seconds per cell when executing (default 600)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.port, args.notebooks)
    if args.command == "export":
        return export(args.notebook, args.out, execute=not args.no_execute, timeout=args.timeout)
    return 1


if __name__ == "__main__":
    sys.exit(main())
