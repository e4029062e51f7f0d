"""nbviz in marimo: the t-SNE map and the layer explorer, read back reactively in Python.

Open with ``nbviz demo --app marimo`` (or ``marimo edit notebooks/marimo_tour.py``); serve read-only
with ``marimo run notebooks/marimo_tour.py``. Every nbviz explorer is an anywidget, so marimo shows it
through ``mo.ui.anywidget``: ``wrapped.value`` is a dict of the explorer's synced traits, and a cell that
reads it runs again whenever you move a control.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    import nbviz

    return mo, nbviz


@app.cell
def _(mo):
    mo.md(
        """
        # nbviz in marimo

        The same explorers as in Jupyter, on scikit-learn's 1,797 handwritten digits and a small CNN that
        trains in seconds the first time (cached afterwards; nothing is downloaded).
        """
    )
    return


@app.cell
def _(nbviz):
    digits = nbviz.datasets.digits()
    trained = nbviz.zoo.digits_cnn()
    model = trained.model
    return digits, model, trained


@app.cell
def _(mo, trained):
    mo.md(f"Model accuracy on held-out digits: **{trained.accuracy:.1%}**")
    return


@app.cell
def _(mo):
    mo.md(
        """
        ## What the network makes of each digit: t-SNE

        Every dot is one digit, placed by the network's features before its last layer. Move the
        perplexity slider: the map is recomputed and streams in; lasso a group with shift+drag.
        """
    )
    return


@app.cell
def _(digits, mo, model, nbviz):
    tsne = mo.ui.anywidget(nbviz.TSNEExplorer((model, digits, "classifier.0"), n_iter=300))
    tsne  # noqa: B018 -- marimo shows a cell's last expression
    return (tsne,)


@app.cell
def _(mo, tsne):
    mo.md(f"Map perplexity: **{tsne.value['perplexity']:g}**, points selected: **{len(tsne.value['selected'])}**")
    return


@app.cell
def _(mo):
    mo.md(
        """
        ## What each layer sees

        Pick a layer on the left; rotate, shift or zoom the input and watch the feature maps follow.
        """
    )
    return


@app.cell
def _(digits, mo, model, nbviz):
    layers = mo.ui.anywidget(nbviz.LayerExplorer(model, digits.images[:8], dataset=digits.images))
    layers  # noqa: B018 -- marimo shows a cell's last expression
    return (layers,)


@app.cell
def _(layers, mo):
    mo.md(f"Layer **{layers.value['layer']}**, input rotated by **{layers.value['angle']:g}°**")
    return


if __name__ == "__main__":
    app.run()
