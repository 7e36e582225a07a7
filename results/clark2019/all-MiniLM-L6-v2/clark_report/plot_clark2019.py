#!/usr/bin/python3
"""Figures of the Clark et al. 2019 replication ("What Does BERT Look At?") from the stage outputs.

    /usr/bin/python3 scripts/plot_clark2019.py RESULTS_MODEL_DIR [--out DIR]

RESULTS_MODEL_DIR is <study.output_dir>/<model>/, the folder holding the stage folders
(docs/clark2019.md); the PNGs go to RESULTS_MODEL_DIR/figures/ (or --out). A figure whose input is
missing is skipped; a file that is present but malformed is reported and makes the exit status 1
(the other figures are still written). Prints the files written, one per line.

  fig1_special_tokens.png   attention_patterns/patterns.csv: to_cls / to_sep / to_punct per head (points)
                            and layer mean (line), and sep_to_sep vs other_to_sep (paper Fig. 2)
  fig2_positional.png       attention_patterns/patterns.csv: to_next / to_prev / to_self per head
  fig3_gradients.png        attention_gradients/gradients.csv: to_sep / to_punct / to_other per layer (Fig. 3)
  fig4_entropy.png          attention_patterns/patterns.csv + summary.json: entropy per head by layer with the
                            uniform reference (uniform_entropy), and the entropy of [CLS]'s attention (Fig. 4)
  fig5_dependency_heads.png dependency_heads/relations.csv (or heads.csv): best head vs best fixed-offset
                            baseline per relation (Table 1)
  fig6_head_clusters.png    head_clusters/embedding.csv: MDS embedding of the heads coloured by behaviour,
                            each point labelled with its layer (Fig. 6)

Matplotlib with the Agg backend; the output depends only on the inputs (no timestamp or software
version in the PNG metadata, no randomness).
"""
import argparse
import csv
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DPI = 100
PNG_METADATA = {"Software": None}  # matplotlib would write its version here; PNGs carry no time by default
BEHAVIOUR_COLOURS = {"broad": "#7f7f7f", "next": "#1f77b4", "prev": "#17becf", "cls": "#d62728",
                     "sep": "#2ca02c", "punct": "#ff7f0e", "other": "#bcbd22"}


class Malformed(Exception):
    pass


def read_csv(path, columns, numeric):
    """Columns of a CSV as numpy arrays (floats for `numeric`, strings otherwise)."""
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        missing = [c for c in columns if c not in (r.fieldnames or [])]
        if missing:
            raise Malformed("%s: missing column(s) %s (has %s)" % (path, ", ".join(missing), r.fieldnames))
        rows = list(r)
    if not rows:
        raise Malformed("%s: no rows" % path)
    out = {}
    for c in columns:
        if c in numeric:
            try:
                out[c] = np.array([float(x[c]) if x[c] not in ("", None) else math.nan for x in rows])
            except ValueError as e:
                raise Malformed("%s: column %s: %s" % (path, c, e))
        else:
            out[c] = np.array([x[c] for x in rows], dtype=object)
    return out


def layer_ticks(ax, layers):
    n = int(layers.max())
    step = 1 if n <= 12 else 2
    ax.set_xticks(range(1, n + 1, step))
    ax.set_xlim(0.4, n + 0.6)
    ax.set_xlabel("layer")


def per_head_panel(ax, d, column, title, colour, ylim=None):
    """Every head as a point (spread deterministically within its layer), the layer mean as a line."""
    layers, heads = d["layer"].astype(int), d["head"].astype(int)
    H = int(heads.max())
    x = layers + (heads - (H + 1) / 2.0) * (0.5 / max(H, 1))
    ax.scatter(x, d[column], s=9, color=colour, alpha=0.6, linewidths=0)
    ls = np.unique(layers)
    ax.plot(ls, [np.nanmean(d[column][layers == l]) for l in ls], color=colour, marker="o", ms=4, lw=1.5,
            label="layer mean")
    layer_ticks(ax, layers)
    ax.set_title(title, fontsize=10)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.grid(alpha=0.3, lw=0.5)


PATTERN_COLUMNS = ["layer", "head", "to_cls", "to_sep", "to_punct", "to_next", "to_prev", "to_self",
                   "sep_to_sep", "other_to_sep", "entropy", "cls_entropy"]


def fig1(d, out):
    fig = plt.figure(figsize=(11, 6.5))
    gs = fig.add_gridspec(2, 3)
    for k, (c, t, col) in enumerate((("to_cls", "attention to [CLS]", "#d62728"),
                                     ("to_sep", "attention to [SEP]", "#2ca02c"),
                                     ("to_punct", 'attention to "." and ","', "#ff7f0e"))):
        ax = fig.add_subplot(gs[0, k])
        per_head_panel(ax, d, c, t, col, ylim=(-0.02, 1.02))
        if k == 0:
            ax.set_ylabel("avg. attention")
    ax = fig.add_subplot(gs[1, :])
    layers, heads = d["layer"].astype(int), d["head"].astype(int)
    H = int(heads.max())
    for c, t, col, dx in (("sep_to_sep", "[SEP] → [SEP]", "#2ca02c", -0.18), ("other_to_sep", "other → [SEP]", "#9467bd", 0.18)):
        x = layers + dx + (heads - (H + 1) / 2.0) * (0.3 / max(H, 1))
        ax.scatter(x, d[c], s=9, color=col, alpha=0.6, linewidths=0)
        ls = np.unique(layers)
        ax.plot(ls + dx, [np.nanmean(d[c][layers == l]) for l in ls], color=col, marker="o", ms=4, lw=1.5, label=t)
    layer_ticks(ax, layers)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("avg. attention to [SEP]")
    ax.set_title("attention to [SEP] from [SEP] tokens and from other tokens (points: heads, lines: layer means)", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3, lw=0.5)
    fig.suptitle("Attention to special tokens per head", fontsize=11)
    fig.tight_layout()
    return save(fig, out)


def fig2(d, out):
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), sharey=True)
    for ax, (c, t, col) in zip(axes, (("to_next", "to the next token (i → i+1)", "#1f77b4"),
                                      ("to_prev", "to the previous token (i → i−1)", "#17becf"),
                                      ("to_self", "to itself (i → i)", "#8c564b"))):
        per_head_panel(ax, d, c, t, col, ylim=(-0.02, 1.02))
        ax.axhline(0.5, color="k", lw=0.6, ls=":")
    axes[0].set_ylabel("avg. attention")
    n_next, n_prev = int((d["to_next"] > 0.5).sum()), int((d["to_prev"] > 0.5).sum())
    fig.suptitle("Positional attention per head (points) and layer mean (line); heads > 0.5: next %d, previous %d"
                 % (n_next, n_prev), fontsize=11)
    fig.tight_layout()
    return save(fig, out)


def fig3(g, out):
    fig, ax = plt.subplots(figsize=(6.5, 4))
    layers = g["layer"].astype(int)
    order = np.argsort(layers)
    for c, t, col, m in (("to_sep", "[SEP]", "#2ca02c", "o"), ("to_punct", '"." and ","', "#ff7f0e", "s"),
                         ("to_other", "other", "#1f77b4", "^")):
        ax.plot(layers[order], g[c][order], marker=m, ms=4, color=col, label=t)
    layer_ticks(ax, layers)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("avg. |∂L/∂α|")
    ax.set_title("Gradient of the MLM loss w.r.t. attention weights, by attended token", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, lw=0.5)
    fig.tight_layout()
    return save(fig, out)


def fig4(d, summary, out):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    per_head_panel(axes[0], d, "entropy", "entropy of each head's attention (mean over tokens)", "#1f77b4")
    per_head_panel(axes[1], d, "cls_entropy", "entropy of the attention of [CLS]", "#d62728")
    u = summary.get("uniform_entropy") if summary else None
    for ax in axes:
        if isinstance(u, (int, float)):
            ax.axhline(u, color="k", lw=1, ls="--", label="uniform attention (%.2f)" % u)
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=8, loc="lower right")
    axes[0].set_ylabel("entropy (nats)")
    fig.suptitle("Attention entropy per head (points) and layer mean (line)", fontsize=11)
    fig.tight_layout()
    return save(fig, out)


def fig5(rel, out):
    n = len(rel["relation"])
    fig, ax = plt.subplots(figsize=(max(6.5, 0.55 * n + 2), 4.6))
    x = np.arange(n)
    w = 0.4
    b1 = ax.bar(x - w / 2, rel["best_accuracy"], w, color="#1f77b4", label="best attention head")
    if "baseline_accuracy" in rel:
        ax.bar(x + w / 2, rel["baseline_accuracy"], w, color="#bbbbbb", label="best fixed offset")
    for i in range(n):
        label = "%d-%d" % (rel["best_layer"][i], rel["best_head"][i])
        if rel["best_direction"][i] == "head_to_dep":
            label += "ᵀ"
        ax.text(x[i] - w / 2, rel["best_accuracy"][i] + 1, label, ha="center", va="bottom", fontsize=6.5, rotation=90)
        if "baseline_offset" in rel and not math.isnan(rel["baseline_offset"][i]):
            ax.text(x[i] + w / 2, rel["baseline_accuracy"][i] + 1, "%+d" % rel["baseline_offset"][i], ha="center",
                    va="bottom", fontsize=6.5, color="#555555")
    names = []
    for i in range(n):
        r, sd = rel["relation"][i], rel.get("sd_relation", [""] * n)[i]
        names.append(r if not sd or sd == r else "%s (%s)" % (r, sd))
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=60, ha="right", fontsize=8)
    ax.set_xlim(-0.7, n - 0.3)
    ax.set_ylim(0, 112)
    ax.set_ylabel("accuracy (%)")
    ax.set_title("Best head per relation (layer-head, ᵀ = head→dependent)" +
                 (" vs best offset baseline" if "baseline_accuracy" in rel else " (no relations.csv: no baseline)"),
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper right", ncol=2)
    ax.grid(axis="y", alpha=0.3, lw=0.5)
    fig.tight_layout()
    return save(fig, out)


def relations_from_heads(h):
    """relations.csv's best-head columns from heads.csv (no baseline), when relations.csv is missing."""
    best = {}
    for i in range(len(h["relation"])):
        r = h["relation"][i]
        key = (h["accuracy"][i], -h["layer"][i], -h["head"][i])
        if r not in best or key > best[r][0]:
            best[r] = (key, i)
    order = sorted(best, key=lambda r: (r != "all", -h["count"][best[r][1]], r))
    idx = [best[r][1] for r in order]
    return {"relation": np.array(order, dtype=object), "best_layer": h["layer"][idx].astype(int),
            "best_head": h["head"][idx].astype(int), "best_direction": h["direction"][idx],
            "best_accuracy": h["accuracy"][idx]}


def fig6(e, out):
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    layers = e["layer"].astype(int)
    for b in list(BEHAVIOUR_COLOURS) + sorted(set(e["behaviour"]) - set(BEHAVIOUR_COLOURS)):
        m = e["behaviour"] == b
        if not m.any():
            continue
        ax.scatter(e["x"][m], e["y"][m], s=90, color=BEHAVIOUR_COLOURS.get(b, "#000000"), alpha=0.55,
                   linewidths=0, label="%s (%d)" % (b, int(m.sum())))
    for i in range(len(layers)):
        ax.text(e["x"][i], e["y"][i], str(layers[i]), ha="center", va="center", fontsize=6.5)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("Heads embedded by MDS of their Jensen–Shannon distances\n(colour: behaviour, number: layer)",
                 fontsize=10)
    ax.legend(fontsize=8, loc="best", markerscale=0.6)
    fig.tight_layout()
    return save(fig, out)


def save(fig, path):
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=DPI, metadata=PNG_METADATA)
    plt.close(fig)
    os.replace(tmp, path)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", help="RESULTS_MODEL_DIR: <study.output_dir>/<model>/")
    ap.add_argument("--out", help="output folder (default: RESULTS_MODEL_DIR/figures)")
    args = ap.parse_args()
    if not os.path.isdir(args.results):
        sys.exit("plot_clark2019.py: %s is not a folder" % args.results)
    out = args.out or os.path.join(args.results, "figures")
    plt.style.use("default")  # independent of any matplotlibrc
    plt.rcParams.update({"font.size": 9, "axes.titlesize": 10, "path.simplify": True})

    def p(*parts):
        return os.path.join(args.results, *parts)

    written, problems = [], []

    def attempt(name, inputs, make):
        missing = [f for f in inputs if not os.path.isfile(f)]
        if missing:
            print("skipped %s: %s missing" % (name, ", ".join(missing)), file=sys.stderr)
            return
        try:
            os.makedirs(out, exist_ok=True)
            written.append(make(os.path.join(out, name)))
        except (Malformed, ValueError, KeyError, json.JSONDecodeError) as e:
            problems.append("%s: %s" % (name, e))
            plt.close("all")

    pat = p("attention_patterns", "patterns.csv")

    def patterns(*columns):  # only the columns a figure needs
        return read_csv(pat, ["layer", "head"] + list(columns), set(PATTERN_COLUMNS))
    attempt("fig1_special_tokens.png", [pat],
            lambda o: fig1(patterns("to_cls", "to_sep", "to_punct", "sep_to_sep", "other_to_sep"), o))
    attempt("fig2_positional.png", [pat], lambda o: fig2(patterns("to_next", "to_prev", "to_self"), o))
    grad = p("attention_gradients", "gradients.csv")
    gcols = ["layer", "to_sep", "to_punct", "to_other"]
    attempt("fig3_gradients.png", [grad], lambda o: fig3(read_csv(grad, gcols, set(gcols)), o))
    summ = p("attention_patterns", "summary.json")

    def make4(o):
        summary = json.load(open(summ)) if os.path.isfile(summ) else None
        if summary is None:
            print("fig4_entropy.png: %s missing, no uniform reference line" % summ, file=sys.stderr)
        return fig4(patterns("entropy", "cls_entropy"), summary, o)
    attempt("fig4_entropy.png", [pat], make4)
    rels, heads = p("dependency_heads", "relations.csv"), p("dependency_heads", "heads.csv")
    rcols = ["relation", "count", "sd_relation", "best_layer", "best_head", "best_direction", "best_accuracy",
             "baseline_offset", "baseline_accuracy"]
    rnum = {"count", "best_layer", "best_head", "best_accuracy", "baseline_offset", "baseline_accuracy"}
    if os.path.isfile(rels):
        def make5(o):
            r = read_csv(rels, rcols, rnum)
            r["best_layer"], r["best_head"] = r["best_layer"].astype(int), r["best_head"].astype(int)
            r["sd_relation"] = list(r["sd_relation"])
            return fig5(r, o)
        attempt("fig5_dependency_heads.png", [rels], make5)
    else:
        hcols = ["relation", "layer", "head", "direction", "correct", "count", "accuracy"]
        attempt("fig5_dependency_heads.png", [heads],
                lambda o: fig5(relations_from_heads(read_csv(heads, hcols, {"layer", "head", "correct", "count",
                                                                            "accuracy"})), o))
    emb = p("head_clusters", "embedding.csv")
    attempt("fig6_head_clusters.png", [emb],
            lambda o: fig6(read_csv(emb, ["layer", "head", "x", "y", "behaviour"], {"layer", "head", "x", "y"}), o))

    for f in written:
        print(f)
    for msg in problems:
        print("error: " + msg, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
