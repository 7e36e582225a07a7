#!/usr/bin/python3
"""Figures of the Si et al. (2019) study (multiple-choice fine-tuning, attacks, un-answerable training).

    /usr/bin/python3 scripts/plot_si2019.py RESULTS_MODEL_DIR [--out DIR]

RESULTS_MODEL_DIR is <study.output_dir>/<model>/ (docs/si2019.md); the PNGs go to
RESULTS_MODEL_DIR/figures/ (or --out). A figure whose input is missing is skipped with a message;
a malformed input is reported and makes the exit status 1. Prints the files written, one per line.

  si_attacks.png         mcrc_attacks/attacks.csv: test accuracy of the original test set and under
                         each attack (Table 2), the random baseline dashed
  si_unanswerable.png    mcrc_finetune/regimes.csv: test accuracy after training on the original
                         and on each un-answerable training set (Table 3), random and longest-option
                         baselines dashed (mcrc_finetune/stage.json)
  si_correlations.png    left: % performance change against % option-length change, one point per
                         attack (attacks.csv); right: % change against mean ShuffleDegree, one point per
                         group of questions (bins.csv)

Matplotlib with the Agg backend; no timestamps or randomness in the output.
"""
import argparse
import csv
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PNG_META = {"Software": None}


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def number(text):
    return float(text) if text not in ("", "nan") else float("nan")


def save(fig, out, name):
    path = os.path.join(out, name)
    tmp = path + ".tmp.png"  # complete files only under the final name
    fig.savefig(tmp, dpi=110, bbox_inches="tight", metadata=PNG_META)
    plt.close(fig)
    os.replace(tmp, path)
    print(path)


def attacks_figure(model_dir, out):
    rows = read_csv(os.path.join(model_dir, "mcrc_attacks", "attacks.csv"))
    stage = json.load(open(os.path.join(model_dir, "mcrc_finetune", "stage.json")))
    names = [r["attack"] for r in rows]
    acc = [number(r["accuracy"]) for r in rows]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.bar(range(len(rows)), acc, color=["#4c72b0"] + ["#dd8452"] * (len(rows) - 1))
    ax.axhline(stage["random_baseline"], color="gray", linestyle="--", label="random")
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(names, rotation=30, ha="right")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("%s: un-readable attacks (Si et al. Table 2)" % rows[0]["dataset"])
    ax.legend()
    save(fig, out, "si_attacks.png")


def unanswerable_figure(model_dir, out):
    rows = read_csv(os.path.join(model_dir, "mcrc_finetune", "regimes.csv"))
    stage = json.load(open(os.path.join(model_dir, "mcrc_finetune", "stage.json")))
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.bar(range(len(rows)), [number(r["test_accuracy"]) for r in rows],
           color=["#4c72b0"] + ["#55a868"] * (len(rows) - 1))
    ax.axhline(stage["random_baseline"], color="gray", linestyle="--", label="random")
    ax.axhline(stage["longest_baseline"], color="black", linestyle=":", label="longest option")
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([r["regime"] for r in rows], rotation=30, ha="right")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("%s: training on un-answerable data (Si et al. Table 3)" % rows[0]["dataset"])
    ax.legend()
    save(fig, out, "si_unanswerable.png")


def correlations_figure(model_dir, out):
    attacks = [r for r in read_csv(os.path.join(model_dir, "mcrc_attacks", "attacks.csv")) if r["attack"] != "original"]
    bins = [r for r in read_csv(os.path.join(model_dir, "mcrc_attacks", "bins.csv")) if r["analysis"] == "shuffle_degree"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    for r in attacks:
        x, y = number(r["option_length_change_percent"]), number(r["change_percent"])
        left.scatter([x], [y], color="#dd8452")
        left.annotate(r["attack"], (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    left.set_xlabel("option length change (%)")
    left.set_ylabel("performance change (%)")
    left.set_title("per attack")
    right.plot([number(r["mean_value"]) for r in bins], [number(r["change_percent"]) for r in bins], "o-", color="#4c72b0")
    right.set_xlabel("mean ShuffleDegree of the question group")
    right.set_ylabel("performance change (%)")
    right.set_title("shuffling attacks, questions grouped")
    save(fig, out, "si_correlations.png")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("--out")
    args = ap.parse_args()
    out = args.out or os.path.join(args.model_dir, "figures")
    os.makedirs(out, exist_ok=True)
    status = 0
    for figure, needs in [(attacks_figure, ["mcrc_attacks/attacks.csv", "mcrc_finetune/stage.json"]),
                          (unanswerable_figure, ["mcrc_finetune/regimes.csv", "mcrc_finetune/stage.json"]),
                          (correlations_figure, ["mcrc_attacks/attacks.csv", "mcrc_attacks/bins.csv"])]:
        missing = [n for n in needs if not os.path.exists(os.path.join(args.model_dir, n))]
        if missing:
            print("skipped %s: %s missing" % (figure.__name__, ", ".join(missing)), file=sys.stderr)
            continue
        try:
            figure(args.model_dir, out)
        except (KeyError, ValueError, IndexError, json.JSONDecodeError) as e:
            print("%s: malformed input: %r" % (figure.__name__, e), file=sys.stderr)
            status = 1
    sys.exit(status)


if __name__ == "__main__":
    main()
