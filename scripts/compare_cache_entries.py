#!/usr/bin/env python3
"""Largest differences between two activation-cache entries of the same corpus and plan.

    /usr/bin/python3 scripts/compare_cache_entries.py CACHE/ENTRY_A CACHE/ENTRY_B

Used to measure what a compute dtype (model.dtype float32 vs bfloat16) or a LibTorch does to the
stored tensors. Both entries must hold the same chunks with the same sequences in the same rows
(same corpus, tokenizer settings, chunk_tokens and batch_tokens: only the model's compute differs);
this is checked. Prints one JSON object: per dataset group (hidden, hidden_words, attention), the
max and mean |A - B| over every stored value of every layer, and per layer the max, all as stored
(fp16), plus the number of values compared.
"""
import glob
import json
import os
import sys

import h5py
import numpy as np


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a_dir, b_dir = sys.argv[1:]
    chunks = sorted(os.path.basename(p) for p in glob.glob(os.path.join(a_dir, "chunk_*.h5")))
    if not chunks or chunks != sorted(os.path.basename(p) for p in glob.glob(os.path.join(b_dir, "chunk_*.h5"))):
        sys.exit("compare_cache_entries.py: the two entries do not hold the same chunk files")
    stats = {}  # group -> layer -> [max, sum, count]
    for name in chunks:
        with h5py.File(os.path.join(a_dir, name), "r") as fa, h5py.File(os.path.join(b_dir, name), "r") as fb:
            for key in ("tokens/input_ids", "sequences/sentence_a"):
                if not np.array_equal(fa[key][...], fb[key][...]):
                    sys.exit("compare_cache_entries.py: %s: %s differ: not the same plan" % (name, key))
            for group in ("hidden", "hidden_words", "attention"):
                if group not in fa:
                    continue
                for layer in fa[group]:
                    x = fa[group][layer][...].astype(np.float32)
                    y = fb[group][layer][...].astype(np.float32)
                    d = np.abs(x - y)
                    s = stats.setdefault(group, {}).setdefault(layer, [0.0, 0.0, 0])
                    s[0] = max(s[0], float(d.max()) if d.size else 0.0)
                    s[1] += float(d.sum(dtype=np.float64))
                    s[2] += d.size
    out = {}
    for group, layers in stats.items():
        n = sum(v[2] for v in layers.values())
        out[group] = {"max_abs_diff": max(v[0] for v in layers.values()),
                      "mean_abs_diff": sum(v[1] for v in layers.values()) / max(n, 1),
                      "values": n,
                      "max_abs_diff_by_layer": {k: v[0] for k, v in sorted(layers.items())}}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
