import subprocess
import sys


def test_import_nbviz_is_light():
    """torchvision, scikit-learn, matplotlib, openTSNE and the widget stack load lazily."""
    code = (
        "import sys, nbviz\n"
        "heavy = [m for m in ('torchvision', 'sklearn', 'matplotlib', 'openTSNE', 'anywidget', 'ipywidgets') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_lazy_names_resolve():
    import nbviz

    for name in ("datasets", "zoo", "saliency", "occlusion", "tsne", "layer_tree", "landscape", "PredictionExplorer"):
        assert getattr(nbviz, name) is not None
    assert callable(nbviz.predict) and not isinstance(nbviz.predict, type(nbviz))


def test_the_type_checking_block_re_exports_every_public_name():
    """``nbviz/__init__.py`` resolves its names lazily; type checkers and IDEs read its ``if TYPE_CHECKING:``
    block instead, which must import every name of ``_EXPORTS`` from the module that defines it, as an
    explicit re-export (``name as name``)."""
    import ast
    import pathlib

    import nbviz

    tree = ast.parse(pathlib.Path(nbviz.__file__).read_text(encoding="utf-8"))
    (block,) = [n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING"]
    found = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.level == 1
        for alias in node.names:
            assert alias.asname == alias.name, f"{alias.name}: write `{alias.name} as {alias.name}` (a re-export)"
            # `from . import zoo` → "nbviz.zoo" (a module); `from .layers import filters` → "nbviz.layers"
            found[alias.name] = f"nbviz.{node.module}" if node.module else f"nbviz.{alias.name}"
    assert found == nbviz._EXPORTS
