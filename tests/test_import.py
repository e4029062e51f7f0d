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
