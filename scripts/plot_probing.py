#!/usr/bin/python3
"""Figures of the probing studies (Lin et al. 2019, token probes, Hewitt & Manning 2019, scalar mix).

    /usr/bin/python3 scripts/plot_probing.py RESULTS_MODEL_DIR [--out DIR]

RESULTS_MODEL_DIR is <study.output_dir>/<model>/, the folder holding the stage folders
(docs/probing.md); the PNGs go to RESULTS_MODEL_DIR/figures/ (or --out). A figure whose input is
missing is skipped with a message; a file that is present but malformed is reported and makes the
exit status 1 (the other figures are still written). Prints the files written, one per line.
Layers follow docs/probing.md: 0 = the embedding output, l = output of transformer layer l.

  lin_accuracy_by_layer.png    lin_probes/summary.csv: accuracy by layer, one line per task/split with
                               sd error bars; panels main auxiliary / subject noun / N-th token (Lin's
                               Figures 2-4; the `_nopos` runs dashed)
  confusion_by_layer.png       confusion_score/per_layer.csv: mean confusion score by layer, one line per
                               condition, panels agreement (A1-A4) and reflexives (R1-R8); the uniform
                               reference of each condition (summary.csv `uniform`) dashed
  token_probes_by_layer.png    token_probes/summary.csv: accuracy by layer per task, sd error bars
  structural_by_layer.png      structural_probe/summary.csv: distance probe UUAS and DSpr, depth probe root
                               accuracy and NSpr, by layer (percent left axis, Spearman right axis)
  scalar_mix_weights.png       scalar_mix/weights.csv: softmax weights, heatmap task x layer, with the
                               center of gravity and the expected layer (summary.csv) marked

Matplotlib with the Agg backend; the output depends only on the inputs (no timestamp or software
version in the PNG metadata, no randomness).
"""
import argparse
import csv
import math
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DPI = 100
PNG_METADATA = {"Software": None}  # matplotlib would write its version here; PNGs carry no time by default
MARKERS = "osD^vP*Xh<>p"


class Malformed(Exception):
    pass


def read_csv(path, columns, numeric, key=None):
    """Columns of a CSV as numpy arrays (floats for `numeric`, strings otherwise).

    `layer` must be a non-negative integer; `key` (column names) must not repeat."""
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
            if any(x[c] in ("", None) for x in rows):
                raise Malformed("%s: column %s: empty value" % (path, c))
            out[c] = np.array([x[c] for x in rows], dtype=object)
    if "layer" in out:
        l = out["layer"]
        if np.isnan(l).any() or (l < 0).any() or (l != np.round(l)).any():
            raise Malformed("%s: column layer: not a non-negative integer" % path)
        out["layer"] = l.astype(int)
    if key:
        seen = set()
        for i in range(len(rows)):
            k = tuple(out[c][i] for c in key)
            if k in seen:
                raise Malformed("%s: row %s twice" % (path, ", ".join(map(str, k))))
            seen.add(k)
    return out


def natural(s):
    """Sort key: nth_2 before nth_10, A2 before A10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(s))]


def in_order(values):
    """Distinct values in the order of their first row (the stage's task order)."""
    return list(dict.fromkeys(values))


def layer_ticks(ax, layers):
    lo, hi = int(np.min(layers)), int(np.max(layers))
    step = 1 if hi - lo <= 12 else 2
    ax.set_xticks(range(lo, hi + 1, step))
    ax.set_xlim(lo - 0.4, hi + 0.4)
    ax.set_xlabel("layer (0 = embeddings)")


def line(ax, d, mask, y, label, k, sd=None, ls="-", colour=None):
    """One series by layer, sorted; with sd error bars when given (NaN sd drawn as none)."""
    l = d["layer"][mask]
    o = np.argsort(l, kind="stable")
    yerr = None
    if sd is not None:
        e = np.nan_to_num(d[sd][mask][o])
        yerr = e if e.any() else None
    ax.errorbar(l[o], d[y][mask][o], yerr=yerr, marker=MARKERS[k % len(MARKERS)], ms=3.5, lw=1.3, ls=ls,
                capsize=2, elinewidth=0.8, color=colour if colour is not None else "C%d" % (k % 10), label=label)


def finish(ax, title, ylabel=None, legend_loc="best"):
    ax.set_title(title, fontsize=10)
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, lw=0.5)
    h, _ = ax.get_legend_handles_labels()
    if h:
        ax.legend(fontsize=7, loc=legend_loc, ncol=2 if len(h) > 6 else 1)


LIN_FAMILIES = (("main_aux", "main-clause auxiliary (Fig. 2)"), ("subject_noun", "subject noun (Fig. 3)"),
                ("nth", "N-th token (Fig. 4)"))


def lin_family(task):
    if task.startswith("nth_"):
        return "nth"
    return task if task in ("main_aux", "subject_noun") else "other"


def lin_figure(d, out):
    fams = [f for f, _ in LIN_FAMILIES if (np.array([lin_family(t) for t in d["task"]]) == f).any()]
    others = sorted({t for t in d["task"] if lin_family(t) == "other"}, key=natural)
    titles = dict(LIN_FAMILIES)
    panels = [(f, titles[f]) for f in fams] + ([("other", "other tasks")] if others else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 0.6, 3.9), sharey=True, squeeze=False)
    for ax, (fam, title) in zip(axes[0], panels):
        series = sorted({(t, s) for t, s in zip(d["task"], d["split"]) if lin_family(t) == fam},
                        key=lambda ts: (natural(ts[0].replace("_nopos", "")), ts[0].endswith("_nopos"), natural(ts[1])))
        colours = {}
        for k, (t, s) in enumerate(series):
            base = t.replace("_nopos", "") + "/" + s
            colours.setdefault(base, "C%d" % (len(colours) % 10))
            m = (d["task"] == t) & (d["split"] == s)
            line(ax, d, m, "mean", "%s / %s" % (t, s), k, sd="sd", ls="--" if t.endswith("_nopos") else "-",
                 colour=colours[base])
        layer_ticks(ax, d["layer"])
        ax.set_ylim(-2, 102)
        finish(ax, title, "accuracy (%)" if ax is axes[0][0] else None, legend_loc="lower right")
    runs = d["runs"][~np.isnan(d["runs"])]
    fig.suptitle("Lin et al. probes: accuracy by layer (mean ± sd over %s runs)" %
                 ("%d" % runs.max() if runs.size and runs.min() == runs.max() else "the"), fontsize=11)
    fig.tight_layout()
    return save(fig, out)


def confusion_figure(d, summary, out):
    uniform = {}
    if summary is not None:
        for c, u in zip(summary["condition"], summary["uniform"]):
            if not math.isnan(u):
                uniform[c] = u
    conds = sorted(set(d["condition"]), key=natural)
    groups = [("agreement (A1–A4)", [c for c in conds if c.upper().startswith("A")]),
              ("reflexive anaphora (R1–R8)", [c for c in conds if c.upper().startswith("R")])]
    rest = [c for c in conds if not c.upper().startswith(("A", "R"))]
    if rest:
        groups.append(("other conditions", rest))
    groups = [g for g in groups if g[1]]
    fig, axes = plt.subplots(1, len(groups), figsize=(5.4 * len(groups), 4.1), squeeze=False)
    for ax, (title, cs) in zip(axes[0], groups):
        for k, c in enumerate(cs):
            colour = "C%d" % (k % 10)
            line(ax, d, d["condition"] == c, "mean_cs", c, k, colour=colour)
            if c in uniform:
                ax.axhline(uniform[c], color=colour, lw=0.9, ls="--", alpha=0.8)
        if uniform:
            ax.plot([], [], color="k", lw=0.9, ls="--", label="uniform (log2 #groups)")
        layer_ticks(ax, d["layer"])
        ax.set_ylim(bottom=0)
        finish(ax, title, "confusion score (bits)" if ax is axes[0][0] else None, legend_loc="upper right")
    fig.suptitle("Lin et al. confusion score by layer (lower: more attention on the true subject / antecedent)",
                 fontsize=11)
    fig.tight_layout()
    return save(fig, out)


def token_figure(d, out):
    fig, ax = plt.subplots(figsize=(6.8, 4.2))
    for k, t in enumerate(in_order(d["task"])):
        line(ax, d, d["task"] == t, "mean", t, k, sd="sd")
    layer_ticks(ax, d["layer"])
    finish(ax, "Token probes: test accuracy by layer (mean ± sd over runs)", "accuracy (%)")
    fig.tight_layout()
    return save(fig, out)


STRUCT_PANELS = (("distance", "distance probe", ("uuas", "UUAS"), ("dspr", "DSpr.")),
                 ("depth", "depth probe", ("root_accuracy", "root acc."), ("nspr", "NSpr.")))


def structural_figure(d, out):
    probes = sorted(set(d["probe"]), key=lambda p: ([s[0] for s in STRUCT_PANELS] + [p]).index(p))
    fig, axes = plt.subplots(1, len(probes), figsize=(5.3 * len(probes), 4), squeeze=False)
    for ax, p in zip(axes[0], probes):
        m = d["probe"] == p
        spec = [s for s in STRUCT_PANELS if s[0] == p]
        pct, spear = (spec[0][2], spec[0][3]) if spec else (None, None)
        cols = [pct, spear] if spec else [("uuas", "UUAS"), ("root_accuracy", "root acc."), ("dspr", "DSpr."),
                                          ("nspr", "NSpr.")]
        twin = ax.twinx()
        handles = []
        for k, (c, name) in enumerate(cols):
            mm = m & ~np.isnan(d[c])
            if not mm.any():
                continue
            target = twin if c in ("dspr", "nspr") else ax
            line(target, d, mm, c, name, k, ls="--" if target is twin else "-")
            handles += target.get_legend_handles_labels()[0][-1:]
        layer_ticks(ax, d["layer"])
        ax.set_ylim(-2, 102)
        ax.set_ylabel("accuracy (%)")
        twin.set_ylim(-0.02, 1.02)
        twin.set_ylabel("Spearman correlation")
        ax.grid(alpha=0.3, lw=0.5)
        title = spec[0][1] if spec else p
        ax.set_title(title + (" (%d test sentences)" % np.nanmax(d["sentences"][m]) if (~np.isnan(d["sentences"][m])).any()
                              else ""), fontsize=10)
        if handles:
            ax.legend(handles, [h.get_label() for h in handles], fontsize=7, loc="lower right")
    fig.suptitle("Structural probe (Hewitt & Manning) by layer", fontsize=11)
    fig.tight_layout()
    return save(fig, out)


def scalar_mix_figure(w, summary, out):
    tasks = in_order(w["task"])
    layers = np.array(sorted(set(w["layer"].tolist())))
    grid = np.full((len(tasks), len(layers)), np.nan)
    col = {l: j for j, l in enumerate(layers)}
    for t, l, v in zip(w["task"], w["layer"], w["weight"]):
        grid[tasks.index(t), col[l]] = v
    fig, ax = plt.subplots(figsize=(max(5.5, 0.55 * len(layers) + 2.6), 0.6 * len(tasks) + 2.0))
    im = ax.imshow(grid, aspect="auto", cmap="Blues", vmin=0, vmax=max(float(np.nanmax(grid)), 1e-9),
                   interpolation="nearest")
    vmax = float(np.nanmax(grid))
    for i in range(len(tasks)):
        for j in range(len(layers)):
            if not np.isnan(grid[i, j]):
                ax.text(j, i + 0.28, "%.2f" % grid[i, j], ha="center", va="center", fontsize=6,
                        color="white" if grid[i, j] > 0.6 * vmax else "#333333")
    info = {}
    if summary is not None:
        for i, t in enumerate(summary["task"]):
            info[t] = (summary["center_of_gravity"][i], summary["expected_layer"][i])
    pos = lambda v: float(np.interp(v, layers, np.arange(len(layers))))  # layer value -> column position
    labelled = set()
    for i, t in enumerate(tasks):
        cog, exp = info.get(t, (math.nan, math.nan))
        if math.isnan(cog):  # no summary.csv: Σ l·s_l from the weights themselves
            row = grid[i]
            ok = ~np.isnan(row)
            cog = float((layers[ok] * row[ok]).sum() / row[ok].sum()) if row[ok].sum() > 0 else math.nan
        for v, mk, colour, name in ((cog, "D", "#d62728", r"center of gravity $\bar{E}_s$"),
                                    (exp, "v", "#ff7f0e", r"expected layer $\bar{E}_\Delta$")):
            if not math.isnan(v):
                ax.plot(pos(v), i - 0.18, marker=mk, ms=7, color=colour, mec="white", mew=0.8, ls="none",
                        label=None if name in labelled else name)
                labelled.add(name)
    ax.set_xticks(range(len(layers)))
    ax.set_xticklabels([str(l) for l in layers])
    ax.set_yticks(range(len(tasks)))
    ax.set_yticklabels(tasks)
    ax.set_xlabel("layer (0 = embeddings)")
    ax.set_title("Scalar-mix weights softmax(a) per task", fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02, label="weight")
    if labelled:
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.28 if len(tasks) < 4 else -0.15), ncol=2,
                  frameon=False)
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
        sys.exit("plot_probing.py: %s is not a folder" % args.results)
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
        except (Malformed, ValueError, KeyError, IndexError) as e:
            problems.append("%s: %s" % (name, e))
            plt.close("all")

    def optional(path, columns, numeric, key, figure):
        """A companion file: None (with a message) when missing; Malformed when present but bad."""
        if not os.path.isfile(path):
            print("%s: %s missing, drawn without it" % (figure, path), file=sys.stderr)
            return None
        return read_csv(path, columns, numeric, key)

    lin = p("lin_probes", "summary.csv")
    attempt("lin_accuracy_by_layer.png", [lin],
            lambda o: lin_figure(read_csv(lin, ["task", "split", "layer", "mean", "sd", "runs"],
                                          {"layer", "mean", "sd", "runs"}, key=("task", "split", "layer")), o))

    cs, css = p("confusion_score", "per_layer.csv"), p("confusion_score", "summary.csv")
    attempt("confusion_by_layer.png", [cs],
            lambda o: confusion_figure(
                read_csv(cs, ["condition", "layer", "mean_cs", "count"], {"layer", "mean_cs", "count"},
                         key=("condition", "layer")),
                optional(css, ["condition", "mean_cs", "uniform", "paper", "count"],
                         {"mean_cs", "uniform", "paper", "count"}, ("condition",),
                         "confusion_by_layer.png (no uniform reference)"), o))

    tp = p("token_probes", "summary.csv")
    attempt("token_probes_by_layer.png", [tp],
            lambda o: token_figure(read_csv(tp, ["task", "layer", "mean", "sd", "runs"], {"layer", "mean", "sd", "runs"},
                                            key=("task", "layer")), o))

    sp = p("structural_probe", "summary.csv")
    scols = ["probe", "layer", "uuas", "dspr", "root_accuracy", "nspr", "sentences"]
    attempt("structural_by_layer.png", [sp],
            lambda o: structural_figure(read_csv(sp, scols, set(scols) - {"probe"}, key=("probe", "layer")), o))

    sw, ss = p("scalar_mix", "weights.csv"), p("scalar_mix", "summary.csv")
    attempt("scalar_mix_weights.png", [sw],
            lambda o: scalar_mix_figure(
                read_csv(sw, ["task", "layer", "weight"], {"layer", "weight"}, key=("task", "layer")),
                optional(ss, ["task", "center_of_gravity", "expected_layer", "accuracy_all_layers"],
                         {"center_of_gravity", "expected_layer", "accuracy_all_layers"}, ("task",),
                         "scalar_mix_weights.png (center of gravity from the weights, no expected layer)"), o))

    for f in written:
        print(f)
    for msg in problems:
        print("error: " + msg, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
