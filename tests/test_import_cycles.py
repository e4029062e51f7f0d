"""No import cycle between the modules of ``nbviz/``: imports go one way (compute ← widgets → handout).

The cycle this guards against is the one there was: ``nbviz.handout.assets`` imported
``nbviz.widgets._base`` (for the path of the built front end) while ``nbviz.widgets._base`` imported
``nbviz.handout.page`` (inside ``Explorer.save_html``). Static paths now live in the leaf module
``nbviz._static`` and the handout writer finds explorers through a protocol (``precompute``, ``wait``),
so widgets import handout and nothing imports back.

To see it fail, let handout import widgets again, even inside a function, e.g. in
``nbviz/handout/explorers.py``::

    def is_explorer(widget):
        from ..widgets._base import Explorer
        ...

and ``pytest tests/test_import_cycles.py`` reports
``nbviz.handout.explorers → nbviz.widgets._base → nbviz.handout.page → nbviz.handout.explorers``.
(``test_a_cycle_inside_a_function_is_found`` does the same on a small package built in a temporary folder.)

How imports are read: every module is parsed (never imported); relative imports are resolved; imports
inside functions and methods count (they run, later); imports under ``if TYPE_CHECKING:`` do not
(they never run). ``from package import name`` points at ``package.name`` when that is a module,
else at ``package``. Importing ``a.b.c`` also runs the ``__init__`` of ``a`` and ``a.b``; those implicit
parent imports are not edges (a package importing its own submodules is not a cycle to fix).
"""

from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def module_names(package_dir: pathlib.Path) -> dict[str, pathlib.Path]:
    """Dotted module name → file, for every ``.py`` under ``package_dir`` (a package named after its folder)."""
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement in ``tree``, at any depth, except in the body of ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def _known(name: str, modules: dict[str, pathlib.Path]) -> str | None:
    """``name`` or its longest prefix that is one of ``modules`` (``a.b.attr`` → ``a.b``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph(modules: dict[str, pathlib.Path]) -> dict[str, set[str]]:
    """Module → the modules (among ``modules``) it imports."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                candidates = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source for alias in node.names]
            targets |= {t for c in candidates if (t := _known(c, modules)) is not None}
        graph[name] = targets - {name}  # `from . import attr` in a package's __init__ names the package itself
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path that returns to its start) per strongly connected group of modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_through(group, graph) for group in groups]


def _path_through(group: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest import path from the group's first module back to itself, staying inside the group."""
    start, members = group[0], set(group)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & members):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if target not in previous:
                    previous[target] = node
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {group}")  # pragma: no cover (Tarjan found one)


def test_nbviz_has_no_import_cycle() -> None:
    modules = module_names(ROOT / "nbviz")
    assert "nbviz.widgets._base" in modules and "nbviz.handout.page" in modules
    found = cycles(import_graph(modules))
    assert not found, "import cycles in nbviz/:\n" + "\n".join(" → ".join(cycle) for cycle in found)


def test_the_walk_sees_relative_and_absolute_imports() -> None:
    graph = import_graph(module_names(ROOT / "nbviz"))
    assert "nbviz.widgets._base" in graph["nbviz.widgets.tsne"]  # from ._base import Explorer
    assert "nbviz.handout.page" in graph["nbviz.widgets._base"]  # inside Explorer.save_html
    assert "nbviz._static" in graph["nbviz.handout.assets"]  # from .._static import VENDOR
    assert "nbviz.widgets.featurevis" not in graph["nbviz"]  # only under TYPE_CHECKING


def test_a_cycle_inside_a_function_is_found(tmp_path: pathlib.Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from .sub import b\n")
    (package / "sub" / "b.py").write_text("def f():\n    from ..a import x\n")
    (package / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n")
    (package / "sub" / "d.py").write_text("import pkg.c\n")
    graph = import_graph(module_names(package))
    assert graph["pkg.a"] == {"pkg.sub.b"} and graph["pkg.sub.b"] == {"pkg.a"}
    assert graph["pkg.c"] == set() and graph["pkg.sub.d"] == {"pkg.c"}
    assert cycles(graph) == [["pkg.a", "pkg.sub.b", "pkg.a"]]


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, stack = set(), [start]
    while stack:
        for target in graph[stack.pop()]:
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def test_imports_go_one_way() -> None:
    """Compute never reaches widgets or handout (README: "compute never imports widgets"); handout never
    reaches widgets (it finds explorers by protocol). Directly or through other modules."""
    graph = import_graph(module_names(ROOT / "nbviz"))
    front = ("nbviz.widgets", "nbviz.handout")
    for name in graph:
        if name.startswith(front) or name in ("nbviz", "nbviz.__main__"):
            continue
        bad = sorted(m for m in _reachable(graph, name) if m.startswith(front))
        assert not bad, f"{name} (compute) imports {bad}"
    for name in (m for m in graph if m.startswith("nbviz.handout")):
        bad = sorted(m for m in _reachable(graph, name) if m.startswith("nbviz.widgets"))
        assert not bad, f"{name} imports {bad}: the handout writer finds explorers by protocol (nbviz.handout.explorers)"
