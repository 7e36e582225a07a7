#!/usr/bin/python3
"""Plain numpy reference for the `dependency_heads` stage (Clark et al. 2019, §4.2, Table 1).

Re-implements the released notebook (clarkkev/attention-analysis: Syntax_Analysis.ipynb
`attn_head_predictor` / `evaluate_predictor`, bpe_utils.py `get_word_word_attention`) on one cache
entry, read directly with h5py, and writes the same heads.csv as the C++ stage
(docs/clark2019.md): relation,layer,head,direction,correct,count,accuracy.

    /usr/bin/python3 scripts/bench/dependency_heads_numpy.py CACHE_ENTRY_DIR \
        [--word-from mean|first] [--min-count 100] [--out heads.csv]

The entry must hold attention of single sentences (key.json: "attention": true, "pairs": false)
of a CoNLL-U corpus (plan.json corpus.path). Like the notebook it loops over sentences with numpy per
sentence (all heads of a layer at once). Word-level attention is computed as CacheReader::word_attention
does: sums in float64 (exact for float16/float32 inputs), division by the piece count, then rounded
to float32 before the argmax, so that near-ties resolve as in the C++ stage.

Prints the elapsed seconds of (a) reading (CoNLL-U + HDF5) and (b) computing, and as the last line
a JSON object with both (scripts/bench/dependency_heads.sh parses it).
"""
import argparse
import json
import os
import sys
import time

import h5py
import numpy as np

POSS_RELATIONS = ("poss", "nmod:poss")
POSS_NEXT_WORDS = {"contract": ("'s", "s'", "'"), "notebook": ("'s", "s'", "\u2019s", "s\u2019")}
DIRECTIONS = ("dep_to_head", "head_to_dep")


def read_conllu(path):
    """Sentences of a CoNLL-U (or CoNLL-X) file: lists of (form, head, deprel) of the integer-ID lines."""
    sentences, words = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip():
                if words:
                    sentences.append(words)
                words = []
                continue
            if line.startswith("#"):
                continue
            col = line.split("\t")
            if not col[0].isdigit():  # "3-4" multiword-token range or "8.1" empty node
                continue
            words.append((col[1], int(col[6]), col[7]))
    if words:
        sentences.append(words)
    return sentences


def word_word_attention(att, word_ids, word_from):
    """[H, T, T] piece attention -> ([H, U, U] float32 unit attention, unit word ids).

    Units in sequence order: every special token ([CLS]/[SEP], word id -1) alone, every word (with at
    least one piece) at its first piece. TO a unit = sum over its pieces' columns; FROM a unit = mean
    over its pieces' rows (`mean`, the paper) or its first piece's row (`first`, bpe_utils' default)."""
    T = len(word_ids)
    unit_of = np.empty(T, dtype=np.int64)
    unit_word, first_piece, seen = [], [], {}
    for t, w in enumerate(word_ids):
        w = int(w)
        if w >= 0 and w in seen:
            unit_of[t] = seen[w]
            continue
        u = len(unit_word)
        unit_word.append(w)
        first_piece.append(t)
        if w >= 0:
            seen[w] = u
        unit_of[t] = u
    U = len(unit_word)
    member = np.zeros((T, U))  # member[t, u] = 1 when piece t belongs to unit u
    member[np.arange(T), unit_of] = 1.0
    a = att.astype(np.float64)
    to_units = a @ member  # [H, T, U]: columns summed (exact: float16/32 inputs, float64 sums)
    if word_from == "mean":
        rows = (member.T @ to_units) / member.sum(axis=0)[:, None]  # [H, U, U]: rows summed, / pieces
    else:
        rows = to_units[:, first_piece, :]
    return rows.astype(np.float32), np.array(unit_word, dtype=np.int64)


def predict_heads(word_att, unit_word, num_words):
    """attn_head_predictor for all heads at once, both modes.

    Returns [2, H, num_words] predicted 1-based heads (-1 for a word without pieces, never correct):
    [0] dep_to_head ("normal": argmax_j A[i, j]), [1] head_to_dep ("transpose": argmax_j A[j, i])."""
    keep = unit_word >= 0  # drop the [CLS]/[SEP] rows and columns
    a = word_att[:, keep][:, :, keep].copy()
    n = a.shape[1]
    a[:, np.arange(n), np.arange(n)] = 0  # ignore attention to self
    pred_units = np.stack([np.argmax(a, axis=-1), np.argmax(a, axis=-2)])  # ties: lowest index
    words_of_units = unit_word[keep]
    out = np.full((2, a.shape[0], num_words), -1, dtype=np.int64)
    out[:, :, words_of_units] = words_of_units[pred_units] + 1  # +1 because ROOT is at index 0
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("entry", help="cache entry directory (holds plan.json, key.json, chunk_*.h5)")
    ap.add_argument("--word-from", choices=("mean", "first"), default="mean")
    ap.add_argument("--min-count", type=int, default=100)
    ap.add_argument("--out", default="heads.csv")
    ap.add_argument("--poss-rule", choices=("contract", "notebook"), default="notebook",
                    help="possessive rule: `notebook` (the default, as the released notebook and docs/clark2019.md): "
                         "for a poss/nmod:poss dependent followed by 's or s' (also curly), the next word's "
                         "prediction is scored instead; `contract`: predicting that next word (or ') also counts")
    args = ap.parse_args()

    t_read = t_compute = 0.0
    t0 = time.perf_counter()
    key = json.load(open(os.path.join(args.entry, "key.json")))
    plan = json.load(open(os.path.join(args.entry, "plan.json")))
    if not key["selection"]["attention"] or key["input"]["pairs"]:
        sys.exit("%s: needs an entry with attention of single sentences (attention: true, pairs: false)" % args.entry)
    if not os.path.isfile(os.path.join(args.entry, "manifest.json")):
        sys.exit("%s: entry incomplete (no manifest.json)" % args.entry)
    corpus = read_conllu(plan["corpus"]["path"])
    if len(corpus) != plan["corpus"]["num_sentences"]:
        sys.exit("%s: %d sentences, plan.json says %d" % (plan["corpus"]["path"], len(corpus),
                                                          plan["corpus"]["num_sentences"]))
    relations = {}  # relation -> row of the counters; "all" is row 0
    relations["all"] = 0
    t_read += time.perf_counter() - t0

    correct = None  # [relations, L_sel, 2, H_sel]
    counts = {}     # relation -> number of dependents
    layers = heads = None
    num_sequences = num_words_total = words_without_pieces = poss_rule_hits = 0
    for c in plan["chunks"]:
        t0 = time.perf_counter()
        with h5py.File(os.path.join(args.entry, "chunk_%05d.h5" % c["index"]), "r") as f:
            chunk_layers = json.loads(f.attrs["attention_layers"])
            chunk_heads = json.loads(f.attrs["attention_heads"])
            if layers is None:
                layers, heads = chunk_layers, chunk_heads
            assert (layers, heads) == (chunk_layers, chunk_heads), "chunks disagree on the stored attention"
            sentence_a = f["sequences/sentence_a"][:]
            offsets = f["sequences/offsets"][:]
            att_offsets = f["attention/offsets"][:]
            seq_num_words = f["sequences/num_words"][:]
            word_ids = f["tokens/word_ids"][:]
            att = [f["attention/layer_%02d" % l][:] for l in layers]  # flat, float16 or float32
        t_read += time.perf_counter() - t0

        t0 = time.perf_counter()
        if correct is None:
            correct = np.zeros((64, len(layers), 2, len(heads)), dtype=np.int64)
        for s in np.argsort(sentence_a, kind="stable"):  # batch order -> corpus order
            words = corpus[sentence_a[s]]
            n = len(words)
            assert seq_num_words[s] == n, "sentence %d: %d words in the cache, %d in the corpus" % (
                sentence_a[s], seq_num_words[s], n)
            forms = [w[0] for w in words]
            gold = np.array([w[1] for w in words])
            rel_rows = []
            for r in [w[2] for w in words]:
                if r not in relations:
                    relations[r] = len(relations)
                    if relations[r] >= correct.shape[0]:
                        correct = np.concatenate([correct, np.zeros_like(correct)])
                counts[r] = counts.get(r, 0) + 1
                rel_rows.append(relations[r])
            rel_rows = np.array(rel_rows)
            counts["all"] = counts.get("all", 0) + n
            # Possessive rule (see --poss-rule): alt = the next word's index, or -2 when the rule does not apply.
            alt = np.full(n, -2)
            for i in range(n - 1):
                if words[i][2] in POSS_RELATIONS and forms[i + 1] in POSS_NEXT_WORDS[args.poss_rule]:
                    alt[i] = i + 2  # 1-based index of the next word
            poss = np.flatnonzero(alt > 0)
            wid = word_ids[offsets[s]:offsets[s + 1]]
            T = len(wid)
            words_without_pieces += n - len(set(int(w) for w in wid if w >= 0))
            for li in range(len(layers)):
                a = att[li][att_offsets[s]:att_offsets[s + 1]].reshape(len(heads), T, T)
                wa, unit_word = word_word_attention(a, wid, args.word_from)
                pred = predict_heads(wa, unit_word, n)  # [2, H, n]
                if args.poss_rule == "contract":
                    ok = (pred == gold) | (pred == alt)
                    poss_rule_hits += int(((pred == alt) & (pred != gold)).sum())
                else:  # the notebook: is_correct = (predictions[i + 1] == y)
                    scored = pred.copy()
                    scored[:, :, poss] = pred[:, :, poss + 1]
                    ok = scored == gold
                    poss_rule_hits += int(((scored == gold) & (pred != gold)).sum())
                ok = ok.transpose(2, 0, 1).astype(np.int64)  # [n, 2, H]
                np.add.at(correct[:, li], rel_rows, ok)
                correct[0, li] += ok.sum(axis=0)
            num_sequences += 1
            num_words_total += n
        t_compute += time.perf_counter() - t0

    t0 = time.perf_counter()
    reported = ["all"] + sorted((r for r in counts if r != "all" and counts[r] >= args.min_count),
                                key=lambda r: (-counts[r], r))
    tmp = args.out + ".tmp"
    with open(tmp, "w") as out:
        out.write("relation,layer,head,direction,correct,count,accuracy\n")
        for r in reported:
            for li, l in enumerate(layers):
                for hi, h in enumerate(heads):
                    for d, name in enumerate(DIRECTIONS):
                        k = int(correct[relations[r], li, d, hi])
                        out.write("%s,%d,%d,%s,%d,%d,%.6f\n" % (r, l + 1, h + 1, name, k, counts[r],
                                                               100.0 * k / counts[r]))
    os.replace(tmp, args.out)
    t_write = time.perf_counter() - t0

    best = max(((correct[0, li, d, hi], l + 1, h + 1, DIRECTIONS[d]) for li, l in enumerate(layers)
                for hi, h in enumerate(heads) for d in range(2)))
    print("entry %s: %d sequences, %d words (%d without pieces), %d relations (%d with >= %d), "
          "layers %d x heads %d, word_from %s, poss_rule %s" % (args.entry, num_sequences, num_words_total, words_without_pieces,
                                                  len(counts) - 1, len(reported) - 1, args.min_count,
                                                  len(layers), len(heads), args.word_from, args.poss_rule))
    print("best head for all: %d-%d %s %.2f%%; possessive rule made %d wrong predictions correct"
          % (best[1], best[2], best[3], 100.0 * best[0] / counts["all"], poss_rule_hits))
    print("wrote %s (%d rows)" % (args.out, len(reported) * len(layers) * len(heads) * 2))
    print("(a) reading: %.3f s" % t_read)
    print("(b) computing: %.3f s" % t_compute)
    print(json.dumps({"read_seconds": round(t_read, 4), "compute_seconds": round(t_compute, 4),
                      "write_seconds": round(t_write, 4), "num_sequences": num_sequences,
                      "num_words": num_words_total}))


if __name__ == "__main__":
    main()
