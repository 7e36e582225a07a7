#!/usr/bin/env python3
"""Tables of scripts/bench/precision_science.sh: float32 vs bfloat16 compute, same LibTorch.

    /usr/bin/python3 scripts/bench/precision_science.py WORK_DIR

WORK_DIR holds clark_<dtype>/, probing_<dtype>/ (study outputs) and cache_<dtype>/ (their caches)
for dtype float32 and bfloat16. Prints Markdown: the cached tensors' largest differences
(scripts/compare_cache_entries.py on each pair of entries with the same corpus), the dependency-head
table (best head per relation), UPOS accuracy per layer and the structural probe per layer, each
with the bf16 - fp32 difference in points and the largest |difference| flagged against 0.5 points.
"""
import csv
import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def one(pattern):
    hits = glob.glob(pattern)
    if len(hits) != 1:
        sys.exit("precision_science.py: expected one match for %s, found %d" % (pattern, len(hits)))
    return hits[0]


def entry_pairs(work):
    """Cache entries of the two dtypes with the same corpus and selection (their keys differ only in compute_dtype)."""
    def key(entry):
        k = json.load(open(os.path.join(entry, "key.json")))
        k["model"].pop("compute_dtype")
        return json.dumps(k, sort_keys=True)
    a = {key(e): e for e in glob.glob(os.path.join(work, "cache_float32", "*")) if os.path.isfile(os.path.join(e, "plan.json"))}
    b = {key(e): e for e in glob.glob(os.path.join(work, "cache_bfloat16", "*")) if os.path.isfile(os.path.join(e, "plan.json"))}
    return [(a[k], b[k]) for k in sorted(a) if k in b]


def main():
    work = sys.argv[1]
    print("# bfloat16 vs float32 compute: what it does to the science\n")
    print("Default model (all-MiniLM-L6-v2), UD EWT, `scripts/bench/precision_science.sh`; both extractions fresh.\n")
    print("## Cached tensors (stored fp16)\n")
    print("| cache entry (corpus, selection) | group | max \\|Δ\\| | mean \\|Δ\\| | values |\n|---|---|---|---|---|")
    for fa, fb in entry_pairs(work):
        plan = json.load(open(os.path.join(fa, "plan.json")))
        k = json.load(open(os.path.join(fa, "key.json")))
        sel = k["selection"]
        name = "%s, layers %s%s" % (os.path.basename(plan["corpus"]["path"]), ",".join(map(str, sel["layers"])),
                                    ", attention" if sel["attention"] else "")
        d = json.loads(subprocess.check_output([sys.executable, os.path.join(HERE, "..", "compare_cache_entries.py"), fa, fb]))
        for group, s in d.items():
            print("| %s | %s | %.4g | %.3g | %d |" % (name, group, s["max_abs_diff"], s["mean_abs_diff"], s["values"]))
    worst = []
    print("\n## Clark et al.: best head per relation (UD EWT dev, accuracy %)\n")
    a = {r["relation"]: r for r in rows(one(os.path.join(work, "clark_float32", "*", "dependency_heads", "relations.csv")))}
    b = {r["relation"]: r for r in rows(one(os.path.join(work, "clark_bfloat16", "*", "dependency_heads", "relations.csv")))}
    print("| relation | count | fp32 best (layer-head) | bf16 best (layer-head) | Δ points |\n|---|---|---|---|---|")
    for rel, ra in a.items():
        rb = b[rel]
        delta = float(rb["best_accuracy"]) - float(ra["best_accuracy"])
        worst.append(("dependency heads: " + rel, delta))
        print("| %s | %s | %.2f (%s-%s) | %.2f (%s-%s) | %+.2f |" % (rel, ra["count"], float(ra["best_accuracy"]), ra["best_layer"],
                                                              ra["best_head"], float(rb["best_accuracy"]), rb["best_layer"],
                                                              rb["best_head"], delta))
    print("\n## UPOS probe (train dev, score test; mean of 3 seeds, accuracy %)\n")
    a = rows(one(os.path.join(work, "probing_float32", "*", "token_probes", "summary.csv")))
    b = rows(one(os.path.join(work, "probing_bfloat16", "*", "token_probes", "summary.csv")))
    print("| layer | fp32 | bf16 | Δ points |\n|---|---|---|---|")
    for ra, rb in zip(a, b):
        delta = float(rb["mean"]) - float(ra["mean"])
        worst.append(("UPOS layer " + ra["layer"], delta))
        print("| %s | %.2f ± %.2f | %.2f ± %.2f | %+.2f |" % (ra["layer"], float(ra["mean"]), float(ra["sd"]), float(rb["mean"]),
                                                        float(rb["sd"]), delta))
    print("\n## Structural probe (Hewitt & Manning; mean of 3 seeds)\n")
    a = rows(one(os.path.join(work, "probing_float32", "*", "structural_probe", "summary.csv")))
    b = rows(one(os.path.join(work, "probing_bfloat16", "*", "structural_probe", "summary.csv")))
    print("| probe | layer | fp32 | bf16 | Δ |\n|---|---|---|---|---|")
    for ra, rb in zip(a, b):
        if ra["probe"] == "distance":
            cols = [("UUAS", "uuas", 1), ("DSpr", "dspr", 100)]
        else:
            cols = [("root %", "root_accuracy", 1), ("NSpr", "nspr", 100)]
        for label, c, scale in cols:
            delta = (float(rb[c]) - float(ra[c])) * scale
            worst.append(("structural %s layer %s %s" % (ra["probe"], ra["layer"], label), delta))
            print("| %s %s | %s | %.4g | %.4g | %+.2f%s |" % (ra["probe"], label, ra["layer"], float(ra[c]), float(rb[c]), delta,
                                                            " points" if scale == 1 else " (×100)"))
    w = max(worst, key=lambda x: abs(x[1]))
    over = [n for n, d in worst if abs(d) > 0.5]
    print("\nLargest |Δ|: %.2f points (%s). Differences over 0.5 points: %s." % (abs(w[1]), w[0], ", ".join(over) if over else "none"))


if __name__ == "__main__":
    main()
