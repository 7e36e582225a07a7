#!/usr/bin/env python3
"""Fixtures for tests/unit/test_probe_reference.cpp: small seeded inputs run through the
transcriptions of the authors' code (scripts/reference/lin_confusion.py, hewitt_reporter.py).

    /usr/bin/python3 scripts/reference/make_probe_fixtures.py

Needs numpy (and scipy for Hewitt's spearmanr): Debian's python3-numpy and python3-scipy.
Writes tests/fixtures/reference/lin_confusion.json and hewitt_reporter.json; running it again
writes the same bytes (seeded numpy, sorted keys).

Floats: inputs are float32 (as the authors' code sees attention and probe predictions), written
as the shortest decimal that reads back (decimal -> double -> float, as the C++ test does) to the
same float32; outputs are float64, written as Python repr (reads back exactly). NaN is written as null.
"""
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hewitt_reporter as hr  # noqa: E402
import lin_confusion as lc  # noqa: E402

OUT_DIR = os.path.join(HERE, "..", "..", "tests", "fixtures", "reference")


def f32_list(a):
    """A float32 array as nested lists of Python floats that read back to the same float32."""
    a = np.asarray(a, dtype=np.float32)
    if a.ndim == 0:
        x = float(np.format_float_positional(a[()], unique=True, trim='-'))  # a[()]: np.float32
        assert np.float32(x) == a, (x, a)
        return x
    return [f32_list(x) for x in a]


def f64(x):
    x = float(x)
    return None if math.isnan(x) else x


# ----------------------------------------------------------------------------------------------
# Lin et al. 2019, confusion score

# Lines as in the Open Sesame files (configs/samples/open_sesame, second line of each file):
# sentence<TAB>source<TAB>subject<TAB>distractors, one wordpiece per word under bert-base-uncased.
LIN_LINES = [
    ("agr.4", "her worm below your wolf would move\t5\t0 1\t3 4 "),
    ("agr.12", "my dog who could hit her wolf could wait\t7\t0 1\t5 6 "),
    ("agr.15", "the bee who can accept our ducks does change\t7\t0 1\t5 6 "),
    ("refl.1", "my girl could kick our mother by herself\t7\t0 1\t4 5 "),
    ("refl.3", "the monk who would dress your wizard would kick himself\t9\t0 1\t5 6 "),
    ("refl.5", "some woman that some princess would hit would remember some sister by herself\t12\t0 1\t3 4 9 10 "),
    ("refl.8", "some aunt that would clean the man will hit some king by herself\t12\t0 1\t5 6 9 10 "),
]
LIN_LAYERS, LIN_HEADS = 3, 2


def softmax_rows(logits):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def make_lin(rng):
    sentences, attns, lines = [], [], []
    for origin, line in LIN_LINES:
        words = line.split("\t")[0].split(" ")
        T = len(words) + 2  # [CLS] words [SEP], one piece per word
        # Peaky attention (logits N(0, 2^2)), rounded to 6 decimals so that the JSON stays small;
        # rows then sum to 1 only approximately, which the score does not need (it normalises
        # over the groups).
        a = softmax_rows(rng.normal(0.0, 2.0, size=(LIN_LAYERS, 1, LIN_HEADS, T, T)))
        a = np.round(a, 6).astype(np.float32)
        a = np.maximum(a, np.float32(1e-6))  # no exact zeros
        stored = f32_list(a[:, 0])
        attn = np.asarray(stored, dtype=np.float32)[:, None]  # what the C++ test reads back
        assert np.array_equal(attn, a)
        sentence, source_idx, groups_idx = lc.preprocess_line(line)
        bce = lc.sentence_bce(attn, source_idx, groups_idx, LIN_LAYERS)
        sentences.append({
            "origin": origin,
            "line": line,
            "words": words,
            "source_idx": source_idx,                 # wordpiece position ([CLS] = 0)
            "target_groups_idx": groups_idx,          # wordpiece positions, one list per TAB field
            "attention": stored,                      # [layers, heads, T, T] float32
            "bce": [f64(x) for x in bce],             # CS per layer
        })
        attns.append(attn)
        lines.append(line)
    bces, corpus_avg_bce, corpus_avg_summed_bce = lc.corpus_bce(lines, attns, LIN_LAYERS)
    for s, row in zip(sentences, bces):
        assert [f64(x) for x in row] == s["bce"]
    return {
        "source": "yongjie-lin/bert-opensesame@4b4d3691dfbba00601db205dda7f5f9d907dda37 "
                  "bertviz/attention_cross_entropy.ipynb (scripts/reference/lin_confusion.py)",
        "layers": LIN_LAYERS,
        "heads": LIN_HEADS,
        "sentences": sentences,
        "corpus_avg_bce": [f64(x) for x in corpus_avg_bce],
        "corpus_avg_summed_bce": f64(corpus_avg_summed_bce),
    }


# ----------------------------------------------------------------------------------------------
# Hewitt & Manning 2019, reporter

NON_PUNCT = ["NN", "NNS", "VBD", "VBZ", "DT", "JJ", "IN", "RB", "PRP", "CC", "TO", "VB"]
# Tags some rules call punctuation but Hewitt's reporter keeps as words.
OTHER_SYMBOLS = ["HYPH", "NFP", "$", "#", "-LCB-", "-RCB-", "SYM"]


def random_heads(n, rng):
    """A random tree as CoNLL heads: each word but the root attaches to one placed before it in a
    random order."""
    order = rng.permutation(n)
    heads = [0] * n
    for k in range(1, n):
        heads[order[k]] = int(order[rng.integers(0, k)]) + 1
    return heads


def leaves(heads):
    n = len(heads)
    has_child = [False] * n
    for h in heads:
        if h:
            has_child[h - 1] = True
    return [i for i in range(n) if not has_child[i]]


def predicted_distances(gold, rng, noise, step):
    """Symmetric, zero diagonal (as ||B(h_i - h_j)||^2 is), float32; quantised to `step` when
    step > 0 so that ties occur."""
    n = gold.shape[0]
    p = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            v = abs(gold[i, j] + rng.normal(0.0, noise)) ** 1.5
            v = round(v / step) * step if step else round(v, 3)
            p[i, j] = p[j, i] = v
    return p.astype(np.float32)


def predicted_depths(gold, rng, noise, step):
    d = np.abs(gold + rng.normal(0.0, noise, size=gold.shape)) ** 1.5
    d = np.round(d / step) * step if step else np.round(d, 3)
    return d.astype(np.float32)


def make_sentence(rng, n, kind):
    heads = random_heads(n, rng)
    xpos = [NON_PUNCT[rng.integers(0, len(NON_PUNCT))] for _ in range(n)]
    root = heads.index(0)
    leaf = [i for i in leaves(heads) if i != root]
    if kind == "punct_leaves":      # punctuation only on leaves (the usual case)
        for k, i in enumerate(leaf[: max(1, len(leaf) // 2)]):
            xpos[i] = hr.PUNCTS[(k * 3) % len(hr.PUNCTS)]
    elif kind == "internal_punct":  # a punctuation word that heads others: gold MST ties
        internal = [i for i in range(n) if i != root and i not in leaf]
        xpos[internal[0]] = ":"
        xpos[leaf[0]] = ","
    elif kind == "brackets":
        xpos[leaf[0]] = "-LRB-"
        xpos[leaf[-1]] = "-RRB-"
        if len(leaf) > 2:
            xpos[leaf[1]] = "``"
    elif kind == "all_punct":       # no kept word: UUAS 0 of 0, argmin fallback
        xpos = [hr.PUNCTS[i % len(hr.PUNCTS)] for i in range(n)]
    elif kind == "other_symbols":   # not punctuation for Hewitt
        for k, i in enumerate(leaf):
            xpos[i] = OTHER_SYMBOLS[k % len(OTHER_SYMBOLS)]
        xpos[leaf[0]] = "."
    return heads, xpos


# (length, kind, distance noise, distance step, depth noise, depth step)
HEWITT_PLAN = [
    (3, "plain", 0.3, 0, 0.3, 0),            # outside lengths 5..50
    (5, "punct_leaves", 0.4, 0.5, 0.4, 0.5),
    (5, "plain", 0.8, 0, 0.6, 0),
    (6, "all_punct", 0.5, 0, 0.5, 0.5),
    (7, "internal_punct", 0.3, 0.5, 0.3, 0.5),
    (7, "internal_punct", 0.9, 1.0, 0.8, 1.0),
    (8, "punct_leaves", 0.6, 0, 0.5, 0),
    (9, "other_symbols", 0.5, 0.5, 0.5, 0.5),
    (10, "brackets", 0.7, 0, 0.6, 0),
    (12, "punct_leaves", 1.0, 1.0, 0.9, 1.0),
    (12, "plain", 0.5, 0, 0.4, 0),
    (15, "brackets", 0.8, 0.5, 0.7, 0.5),
]


def make_hewitt(rng):
    sentences = []
    for n, kind, dn, ds, pn, ps in HEWITT_PLAN:
        heads, xpos = make_sentence(rng, n, kind)
        gold_d = hr.distance_labels(heads)
        gold_depth = hr.depth_labels(heads)
        pd = predicted_distances(gold_d, rng, dn, ds)
        pdep = predicted_depths(gold_depth, rng, pn, ps)
        sentences.append({"heads": heads, "xpos": xpos, "kind": kind, "gold_distances": gold_d,
                          "gold_depths": gold_depth, "pred_distances": pd, "pred_depths": pdep})
    # Hand-made ties for get_nopunct_argmin: in the second length-5 sentence, a punctuation word
    # before the least deep word with the same depth; in the length-8 one, two kept words tie.
    s = sentences[2]
    root = s["heads"].index(0)
    other = (root + 1) % 5
    first, second = min(root, other), max(root, other)
    s["xpos"][first] = "."
    s["pred_depths"][first] = s["pred_depths"][second] = np.float32(0.125)
    s["pred_depths"][[i for i in range(5) if i not in (first, second)]] += np.float32(0.5)
    s = sentences[6]
    kept = [i for i in range(8) if s["xpos"][i] not in hr.PUNCTS]
    lo = float(s["pred_depths"].min())
    s["pred_depths"][kept[1]] = s["pred_depths"][kept[3]] = np.float32(lo - 0.25)

    # Read the float32 inputs back as the C++ test will, then run the transcription on them.
    out = []
    for s in sentences:
        rec = {
            "kind": s["kind"],
            "words": ["w%d" % (i + 1) for i in range(len(s["heads"]))],
            "heads": s["heads"],
            "xpos": s["xpos"],
            "pred_distances": f32_list(s["pred_distances"]),
            "pred_depths": f32_list(s["pred_depths"]),
        }
        s["pred_distances"] = np.asarray(rec["pred_distances"], dtype=np.float32)
        s["pred_depths"] = np.asarray(rec["pred_depths"], dtype=np.float32)
        out.append(rec)

    def obs(s, prediction, label):
        return {"prediction": prediction.copy(), "label": label.copy(), "length": len(s["heads"]),
                "sentence": ["w%d" % (i + 1) for i in range(len(s["heads"]))],
                "xpos_sentence": s["xpos"]}

    dist_obs = [obs(s, s["pred_distances"], s["gold_distances"]) for s in sentences]
    depth_obs = [obs(s, s["pred_depths"], s["gold_depths"]) for s in sentences]
    d_lists, d_means, dspr = hr.wordpair_report_spearmanr(dist_obs)
    uuas, correct, total, per_sentence = hr.report_uuas(dist_obs)
    # Hewitt's configs list spearmanr before root_acc (root_acc overwrites punctuation depths).
    n_lists, n_means, nspr = hr.word_report_spearmanr(depth_obs)
    root_acc, roots_correct, roots_total, argmins = hr.report_root_acc(depth_obs)

    per_length_rows = {}
    for idx, (rec, s, (gold_edges, pred_edges, c)) in enumerate(zip(out, sentences, per_sentence)):
        n = len(s["heads"])
        rec["gold_distances"] = s["gold_distances"].astype(int).tolist()
        rec["gold_depths"] = s["gold_depths"].astype(int).tolist()
        rec["keep"] = [t not in hr.PUNCTS for t in s["xpos"]]
        rec["gold_edges"] = [list(map(int, e)) for e in gold_edges]
        rec["pred_edges"] = [list(map(int, e)) for e in pred_edges]
        rec["uuas_correct"] = int(c)
        rec["uuas_total"] = len(gold_edges)
        # This sentence's entries in the per-length lists (a length's sentences are in order):
        # n rhos (one per word) for DSpr, one for NSpr.
        k = per_length_rows.get(n, 0)
        rec["dspr_rhos"] = [f64(x) for x in d_lists[n][k * n:(k + 1) * n]]
        rec["nspr_rho"] = f64(n_lists[n][k])
        per_length_rows[n] = k + 1
        rec["nopunct_argmin"] = argmins[idx]

    def per_length(lists, means):
        return {str(n): {"rhos": [f64(x) for x in lists[n]], "mean": f64(means[n])} for n in sorted(lists)}

    return {
        "source": "john-hewitt/structural-probes@ad37b02431c8f9b6276bbd5eb624873a4cfac3c5 "
                  "structural-probes/reporter.py, task.py (scripts/reference/hewitt_reporter.py)",
        "punctuation_tags": hr.PUNCTS,
        "sentences": out,
        "uuas": {"correct": int(correct), "total": int(total), "uuas": f64(uuas)},
        "dspr": {"per_length": per_length(d_lists, d_means), "mean_5_50": f64(dspr)},
        "nspr": {"per_length": per_length(n_lists, n_means), "mean_5_50": f64(nspr)},
        "root_acc": {"correct": int(roots_correct), "total": int(roots_total), "root_acc": f64(root_acc)},
    }


def make_hewitt_nan(rng):
    """Documented deviation: a constant predicted depth vector gives a NaN Spearman, which
    Hewitt's np.mean carries into the length's mean and the 5-50 mean."""
    sents = []
    for n, const in ((5, True), (6, False)):
        heads = random_heads(n, rng)
        gold = hr.depth_labels(heads)
        pred = np.full(n, 0.75, dtype=np.float32) if const else predicted_depths(gold, rng, 0.5, 0)
        sents.append({"heads": heads, "pred": pred, "gold": gold})
    recs = [{"heads": s["heads"], "pred_depths": f32_list(s["pred"])} for s in sents]
    obs = [{"prediction": np.asarray(r["pred_depths"], dtype=np.float32), "label": s["gold"],
            "length": len(s["heads"]), "sentence": ["w"] * len(s["heads"]),
            "xpos_sentence": ["NN"] * len(s["heads"])} for r, s in zip(recs, sents)]
    lists, means, mean = hr.word_report_spearmanr(obs)
    return {
        "sentences": recs,
        "nspr": {"per_length": {str(n): {"rhos": [f64(x) for x in lists[n]], "mean": f64(means[n])}
                                for n in sorted(lists)},
                 "mean_5_50": f64(mean)},
    }


def write(name, obj):
    path = os.path.normpath(os.path.join(OUT_DIR, name))
    text = json.dumps(obj, sort_keys=True, allow_nan=False, separators=(",", ":"))
    with open(path, "w") as f:
        f.write(text + "\n")
    print("%s: %d bytes" % (path, len(text) + 1))


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    write("lin_confusion.json", make_lin(np.random.default_rng(2019)))
    rng = np.random.default_rng(13)
    hewitt = make_hewitt(rng)
    hewitt["nan_deviation"] = make_hewitt_nan(rng)
    write("hewitt_reporter.json", hewitt)


if __name__ == "__main__":
    main()
