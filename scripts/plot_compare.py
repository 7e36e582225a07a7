#!/usr/bin/python3
"""Figures of `bertology compare`: per-layer curves of several models overlaid on relative depth.

    /usr/bin/python3 scripts/plot_compare.py OUT_DIR

Reads OUT_DIR/compare_curves.csv (study, figure, series, model, layer, depth, value), written by
`bertology compare` beside compare.md, and writes OUT_DIR/figures/compare_<study>_<figure>.png: one
line per series (task, probe) and model, colour by series, line style and marker by model, x = layer /
L (0 = embeddings, 1 = last layer). Prints the files written. Matplotlib with the Agg backend; no
timestamp or version in the PNG metadata.
"""
import csv
import os
import sys
from collections import OrderedDict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STYLES = ["-", "--", ":", "-."]
MARKERS = ["o", "s", "^", "D", "v", "x"]


def main():
    out_dir = sys.argv[1]
    with open(os.path.join(out_dir, "compare_curves.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    figures = OrderedDict()
    for r in rows:
        figures.setdefault((r["study"], r["figure"]), []).append(r)
    os.makedirs(os.path.join(out_dir, "figures"), exist_ok=True)
    for (study, figure), items in figures.items():
        series = list(OrderedDict.fromkeys(r["series"] for r in items))
        models = list(OrderedDict.fromkeys(r["model"] for r in items))
        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
        for si, s in enumerate(series):
            for mi, m in enumerate(models):
                pts = sorted((float(r["depth"]), float(r["value"])) for r in items if r["series"] == s and r["model"] == m)
                if not pts:
                    continue
                ax.plot([p[0] for p in pts], [p[1] for p in pts], linestyle=STYLES[mi % len(STYLES)],
                        marker=MARKERS[mi % len(MARKERS)], markersize=3, color=colours[si % len(colours)],
                        label=f"{s} — {m}")
        ax.set_xlabel("relative depth (layer / L)")
        ax.set_ylabel(figure.replace("_", " "))
        ax.set_title(f"{study}: {figure.replace('_', ' ')}")
        ax.set_xlim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, ncol=2)
        fig.tight_layout()
        path = os.path.join(out_dir, "figures", f"compare_{study}_{figure}.png")
        fig.savefig(path, dpi=120, metadata={"Software": None})
        plt.close(fig)
        print(path)


if __name__ == "__main__":
    main()
