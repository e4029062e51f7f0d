"""Handout precompute of explorers and notebook export, without a browser."""

import json
import re

import nbformat
import numpy as np
import pytest
import torch

import nbviz
from nbviz.__main__ import main
from nbviz.handout import export_notebook
from occlusion_models import TinyCNN


def tiny():
    torch.manual_seed(0)
    return TinyCNN().eval()


def image():
    return torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(0))


def test_occlusion_precompute_matches_compute_per_window():
    model, x = tiny(), image()
    explorer = nbviz.OcclusionExplorer(model, x, window=5, stride=3).wait()
    explorer.precompute()
    assert explorer.handout_windows == [2, 3, 4, 5, 6, 8, 12, 16, 24, 32]  # the ladder plus the current window
    maps, grids = explorer.handout_maps, explorer.handout_probability
    assert maps.shape == (10, 32, 32) and maps.dtype == np.float32
    for i, w in enumerate(explorer.handout_windows):
        expected = nbviz.occlusion(model, x, window=w, stride=3)  # the independent reference: the compute function
        np.testing.assert_allclose(maps[i], expected.drop_map, atol=1e-5)
        rows, cols = expected.probability.shape
        np.testing.assert_allclose(grids[i, :rows, :cols], expected.probability, atol=1e-5)
        assert np.isnan(grids[i, rows:, :]).all() and np.isnan(grids[i, :, cols:]).all()
        assert explorer.handout_origins_y[i] == expected.origins_y.tolist()
    explorer.precompute(windows=[8, 4, 8])
    assert explorer.handout_windows == [4, 8] and explorer.handout_maps.shape == (2, 32, 32)
    for bad in ([], [0], [33], "8", [True]):
        with pytest.raises(ValueError, match="windows"):
            explorer.precompute(windows=bad)


def test_featurevis_precompute_finishes_runs_and_saves_other_modes():
    model = tiny()
    data = torch.rand(12, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    explorer = nbviz.FeatureVisExplorer(model, data, units=[0, 1], steps=8)
    explorer.precompute()
    assert explorer.frame_final and explorer.frames.shape[0] == 2 and explorer.facet_images is None
    explorer.precompute(modes=["maximize", "invert"])
    assert explorer.inversions is not None and explorer.inversions.shape[0] == len(explorer.invert_layers)
    assert explorer.mode == "maximize"  # the page opens on the mode the person chose
    with pytest.raises(ValueError, match="modes"):
        explorer.precompute(modes=["dream"])
    with pytest.raises(ValueError, match="need a dataset"):
        nbviz.FeatureVisExplorer(model, units=[0], steps=4).precompute(modes=["facets"])


NOTEBOOK_CELLS = [
    "import torch, nbviz\nfrom occlusion_models import TinyCNN\ntorch.manual_seed(0)\nmodel = TinyCNN().eval()\n"
    "x = torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(0))",
    "print('hello handout')\nnbviz.occlusion(model, x, window=8, stride=4).plot(x)",
    "occ = nbviz.OcclusionExplorer(model, x, window=8, stride=4)\nocc",
]


def widget_state(html):
    found = re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))["state"]


def test_export_executes_precomputes_and_renders_outputs(tmp_path, monkeypatch):
    import pathlib

    monkeypatch.setenv("PYTHONPATH", str(pathlib.Path(__file__).resolve().parent))  # occlusion_models for the kernel
    source = tmp_path / "lesson.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK_CELLS]), source)
    out = export_notebook(source, tmp_path / "lesson.html", timeout=300)
    html = out.read_text(encoding="utf-8")
    has = {k: k in html for k in ("hello handout", "data:image/png;base64,", "precompute_live_explorers", "%matplotlib")}
    assert has == {"hello handout": True, "data:image/png;base64,": True, "precompute_live_explorers": False, "%matplotlib": False}
    assert re.search(r"<script[^>]+src=", html) is None and "cdn.jsdelivr" not in html.split("</head>")[0][:2000]
    (occ,) = [s for s in widget_state(html).values() if s["model_module"] == "anywidget"]
    assert occ["state"]["handout_windows"] == [2, 3, 4, 6, 8, 12, 16, 24, 32]  # precompute ran in the kernel
    assert occ["state"]["partial"] is False  # the final map, even though it arrived after its cell ended
    assert len(re.findall(r'<script type="application/vnd.jupyter.widget-view\+json">', html)) == 1
    assert nbformat.read(source, as_version=4).cells[0].get("outputs") == []  # the source notebook is untouched

    # --no-execute: the state saved in the notebook
    saved = nbformat.read(source, as_version=4)
    saved.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": widget_state(html), "version_major": 2, "version_minor": 0}}
    nbformat.write(saved, source)
    assert main(["export", "--no-execute", str(source), str(tmp_path / "saved.html")]) == 0
    assert widget_state((tmp_path / "saved.html").read_text(encoding="utf-8")).keys() == widget_state(html).keys()


def test_export_bad_arguments(tmp_path, capsys):
    assert main(["export", str(tmp_path / "missing.ipynb"), str(tmp_path / "out.html")]) == 2
    assert "notebook: expected an existing .ipynb file" in capsys.readouterr().err
    source = tmp_path / "a.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), source)
    with pytest.raises(ValueError, match="out: expected a file name ending in .html"):
        export_notebook(source, tmp_path / "out.pdf")
