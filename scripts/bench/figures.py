#!/usr/bin/env python3
"""matplotlib (Agg) versions of the two figures tx-bench times with the project's Figures module:

  heatmap    one head's attention weights: 16×16 cells with their values printed in them, token
             labels on both axes, axis titles, a colour bar with its label, a title and a subtitle;
  modelview  a layers × heads grid (6×12 = 72) of small attention maps, "Layer i" / "Head j"
             labels, token labels on the first column and the last row, one shared colour bar,
             a title and a subtitle.

Same pixel size as ours: tx-bench passes the width and height in pixels of its own PNG and the
scale (pixels per point); matplotlib draws at dpi = 72·scale on a canvas of exactly that size, so
font sizes in points match too (the Figures module's sizes: title 20, subtitle and axis titles 14,
labels 13). One timed unit = build the figure, write it as a PNG file, close it.

    .venv-bench/bin/python scripts/bench/figures.py      # writes Output/bench-*-matplotlib.png
"""
import os
import sys

_plt = None


def pyplot():
    global _plt
    if _plt is None:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        _plt = plt
    return _plt


def heatmap(params, path):
    plt = pyplot()
    values, rows, cols = params["values"], params["rowLabels"], params["columnLabels"]
    dpi = 72 * params["scale"]
    fig = plt.figure(figsize=(params["width"] / dpi, params["height"] / dpi), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(values, cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(cols)), labels=cols, rotation=90, fontsize=13)
    ax.set_yticks(range(len(rows)), labels=rows, fontsize=13)
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=9,
                    color="black" if v > 0.6 else "white")
    bar = fig.colorbar(image, ax=ax)
    bar.set_label(params["colorBarLabel"], fontsize=14)
    ax.set_xlabel(params["xAxisTitle"], fontsize=14)
    ax.set_ylabel(params["yAxisTitle"], fontsize=14)
    fig.suptitle(params["title"], fontsize=20, fontweight="bold")
    ax.set_title(params["subtitle"], fontsize=14, color="#555555")
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def modelview(params, path):
    plt = pyplot()
    weights, rows, cols = params["weights"], params["rowLabels"], params["columnLabels"]
    layers, heads = len(weights), len(weights[0])
    labels = params["tokenLabels"]
    dpi = 72 * params["scale"]
    fig, axes = plt.subplots(layers, heads, figsize=(params["width"] / dpi, params["height"] / dpi), dpi=dpi,
                             squeeze=False)
    fig.subplots_adjust(left=0.08, right=0.93, top=0.86, bottom=0.1 if labels else 0.04, wspace=0.08, hspace=0.08)
    image = None
    for layer in range(layers):
        for head in range(heads):
            ax = axes[layer][head]
            image = ax.imshow(weights[layer][head], cmap="viridis", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if layer == 0:
                ax.set_title(f"Head {head + 1}", fontsize=13)
            if head == 0:
                ax.set_ylabel(f"Layer {layer + 1}", fontsize=13)
                if labels:
                    ax.set_yticks(range(len(rows)), labels=rows, fontsize=5)
            if layer == layers - 1 and labels:
                ax.set_xticks(range(len(cols)), labels=cols, fontsize=5, rotation=90)
    bar = fig.colorbar(image, ax=axes, fraction=0.015, pad=0.01)
    bar.set_label(params["colorBarLabel"], fontsize=14)
    fig.suptitle(params["title"], fontsize=20, fontweight="bold", y=0.985)
    fig.text(0.5, 0.925, params["subtitle"], ha="center", va="center", fontsize=14, color="#555555")
    if not labels:   # as ours does when the thumbnails are too small to label
        fig.text(0.5, 0.03, "Rows are queries, columns are keys, in token order (too many to label each thumbnail): "
                 + " · ".join(rows), ha="center", va="center", fontsize=12, color="#888888")
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def setup(name, params):
    pyplot()
    draw = {"heatmap": heatmap, "modelview": modelview}[name]
    path = params["path"]
    if params.get("sample"):
        draw(params, params["sample"])     # one copy to look at, not timed

    def run():
        draw(params, path)
    return run


def demo_params(name, output):
    import numpy as np
    rng = np.random.default_rng(0)
    tokens = ("the animal did n't cross the street because it was too tired , said the vet").split()

    def softmax_rows(n):
        x = rng.standard_normal((n, n)) * 2
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).tolist()
    common = {"rowLabels": tokens, "columnLabels": tokens, "scale": 2, "colorBarLabel": "weight",
              "path": os.path.join(output, f"bench-{name}-matplotlib.png")}
    if name == "heatmap":
        return dict(common, values=softmax_rows(16), width=1400, height=1300, title="Attention weights of one head",
                    subtitle="16 tokens, random softmax rows", xAxisTitle="key", yAxisTitle="query")
    return dict(common, weights=[[softmax_rows(16) for _ in range(12)] for _ in range(6)], width=3400, height=1800,
                title="Model view", subtitle="6 layers × 12 heads, random softmax rows", tokenLabels=True)


if __name__ == "__main__":
    from common import standalone
    output = os.path.join(os.path.dirname(__file__), "..", "..", "Output")
    os.makedirs(output, exist_ok=True)
    standalone(setup, [(n, demo_params(n, output)) for n in ("heatmap", "modelview")], samples=3)
    sys.exit(0)
