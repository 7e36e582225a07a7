#!/usr/bin/python3
"""Figures of the edge-probing study (Tenney et al. 2019).

    /usr/bin/python3 scripts/plot_tenney2019.py RESULTS_MODEL_DIR [--out DIR]

RESULTS_MODEL_DIR is <study.output_dir>/<model>/ (docs/tenney2019.md); the PNGs go to
RESULTS_MODEL_DIR/figures/ (or --out). A figure whose input is missing is skipped with a message; a
malformed file makes the exit status 1. Prints the files written, one per line.

  tenney_layers.png     like the paper's Figure 1: one row per task; bars = the differential
                        scores Δ_l of cumulative scoring (edge_probing/cumulative.csv, dev F1) and
                        the scalar-mix weights s_l (mix.csv); markers at the expected layer Ē_Δ and
                        the center of gravity Ē_s (tasks.csv); F1 of layer 0 and of the full mix
  edge_f1_by_layer.png  edge_probing/summary.csv: test F1 of the single-layer probes, sd error bars

Matplotlib with the Agg backend; the output depends only on the inputs.
"""
import argparse
import csv
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DPI = 100
PAPER_ORDER = ["pos", "consts", "deps", "entities", "srl", "coref"]


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(s):
    try:
        return float(s)
    except ValueError:
        return math.nan


def save(fig, out, name):
    path = os.path.join(out, name)
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    print(path)


def task_order(names):
    known = [t for t in PAPER_ORDER if t in names]
    return known + sorted(t for t in names if t not in known)


def layers_figure(base, out):
    tasks = {r["task"]: r for r in read_csv(os.path.join(base, "tasks.csv"))}
    cumulative, mix = {}, {}
    for r in read_csv(os.path.join(base, "cumulative.csv")):
        cumulative.setdefault(r["task"], []).append((int(r["layer"]), num(r["delta"])))
    for r in read_csv(os.path.join(base, "mix.csv")):
        mix.setdefault(r["task"], []).append((int(r["layer"]), num(r["weight"])))
    names = task_order([t for t in tasks if t in cumulative])
    if not names:
        print("tenney_layers.png: no cumulative scores", file=sys.stderr)
        return
    fig, axes = plt.subplots(len(names), 1, figsize=(8.5, 1.5 * len(names) + 0.8), sharex=True, squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        deltas = sorted(cumulative[name])
        weights = sorted(mix.get(name, []))
        ax.bar([l - 0.2 for l, d in deltas if l > 0], [d for l, d in deltas if l > 0], width=0.4, color="tab:blue",
               label="Δ_l (dev F1)")
        ax2 = ax.twinx()
        ax2.bar([l + 0.2 for l, w in weights], [w for l, w in weights], width=0.4, color="tab:purple", alpha=0.6,
                label="mix weight s_l")
        ax2.set_ylim(0, max([w for _, w in weights] + [0.01]) * 1.3)
        t = tasks[name]
        el, cog = num(t["expected_layer"]), num(t["center_of_gravity"])
        if not math.isnan(el):
            ax.axvline(el, color="tab:blue", linestyle="--")
        if not math.isnan(cog):
            ax.axvline(cog, color="tab:purple", linestyle=":")
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
        ax.text(1.09, 0.5, "F1 %.1f → %.1f\nĒ_Δ %.2f  Ē_s %.2f" % (num(t["f1_layer0"]), num(t["f1_mix"]), el, cog),
                transform=ax.transAxes, fontsize=8, va="center")
        ax.axhline(0, color="black", linewidth=0.5)
    axes[-1, 0].set_xlabel("layer (0 = embeddings)")
    axes[0, 0].set_title("Cumulative Δ (blue, dashed: Ē_Δ) and mixing weights (purple, dotted: Ē_s)", fontsize=9)
    fig.subplots_adjust(left=0.1, right=0.76, top=0.92, bottom=0.12, hspace=0.25)
    save(fig, out, "tenney_layers.png")


def f1_figure(base, out):
    rows = read_csv(os.path.join(base, "summary.csv"))
    by_task = {}
    for r in rows:
        by_task.setdefault(r["task"], []).append((int(r["layer"]), num(r["mean"]), num(r["sd"])))
    if not by_task:
        print("edge_f1_by_layer.png: no rows", file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for name in task_order(list(by_task)):
        v = sorted(by_task[name])
        ax.errorbar([l for l, _, _ in v], [m for _, m, _ in v], yerr=[0 if math.isnan(s) else s for _, _, s in v],
                    marker="o", capsize=2, label=name)
    ax.set_xlabel("layer (0 = embeddings)")
    ax.set_ylabel("test F1 (%)")
    ax.legend(fontsize=8)
    ax.set_title("Edge probes on one layer", fontsize=10)
    fig.tight_layout()
    save(fig, out, "edge_f1_by_layer.png")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir")
    parser.add_argument("--out")
    args = parser.parse_args()
    base = os.path.join(args.model_dir, "edge_probing")
    out = args.out or os.path.join(args.model_dir, "figures")
    os.makedirs(out, exist_ok=True)
    status = 0
    for figure, needs in ((layers_figure, "tasks.csv"), (f1_figure, "summary.csv")):
        if not os.path.exists(os.path.join(base, needs)):
            print("skipped %s: no %s" % (figure.__name__, os.path.join(base, needs)), file=sys.stderr)
            continue
        try:
            figure(base, out)
        except (KeyError, ValueError, OSError) as e:
            print("%s: %s" % (figure.__name__, e), file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
