#!/usr/bin/python3
"""scikit-learn reference for the `token_probes` stage's `upos` task (docs/probing.md).

Per layer, a multinomial logistic regression (sklearn `LogisticRegression`, lbfgs, the default) on
the word-pooled hidden states of a train cache entry, scored on a test cache entry:

    /usr/bin/python3 scripts/bench/upos_sklearn.py TRAIN_ENTRY TEST_ENTRY \
        [--layers 0,1,..] [--max-iter 1000] [--C 1.0] [--out results.json]

Each entry is a complete cache directory (plan.json, key.json, chunk_*.h5, manifest.json) of a
CoNLL-U corpus extracted with `extract.word_pooling: mean` (key.json selection.word_pooling).
The word rows (/hidden_words/layer_LL) are put back in corpus order (/sequences/sentence_a,
rows per sequence from /sequences/word_offsets) and labelled with the UPOS column of the
corpus (plan.json corpus.path; integer-ID lines only, in order; the first corpus.max_sentences
sentences when the key limits them; sentences skipped as overlong are absent from the cache and
so from the data; a pair sequence holds sentence A's words then sentence B's). Every word counts,
including a word without pieces (a zero row) and a test word whose UPOS never occurs in training
(always wrong). Features are widened to float32 (sklearn's lbfgs works in float64), no scaling.

--layers: default every layer stored in both entries. Accuracies are percentages.

Prints the elapsed seconds of (a) reading (CoNLL-U + HDF5, both entries) and (b) fitting +
predicting per layer and in total, a table, and as the last line a JSON object
{layers: [{layer, accuracy, seconds, correct, count, n_iter, converged}], read_seconds,
fit_seconds, train_words, test_words, ...} (scripts/bench/token_probes.sh parses it); --out
writes the same object to a file.
"""
import argparse
import hashlib
import json
import os
import sys
import time
import warnings

import h5py
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
import sklearn


def fail(msg):
    sys.exit("upos_sklearn.py: " + msg)


def read_conllu_upos(path):
    """Sentences of a CoNLL-U file: lists of the UPOS (column 4) of the integer-ID lines."""
    sentences, words = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
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
            if len(col) < 4:
                fail("%s:%d: fewer than 4 columns" % (path, n))
            words.append(col[3])
    if words:
        sentences.append(words)
    return sentences


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Entry:
    """One cache entry: its corpus order and the UPOS of every word row, in corpus order."""

    def __init__(self, path):
        self.path = path
        for name in ("plan.json", "key.json"):
            if not os.path.isfile(os.path.join(path, name)):
                fail("%s is not a cache entry (no %s)" % (path, name))
        if not os.path.isfile(os.path.join(path, "manifest.json")):
            fail("%s: entry incomplete (no manifest.json)" % path)
        self.key = json.load(open(os.path.join(path, "key.json")))
        self.plan = json.load(open(os.path.join(path, "plan.json")))
        pooling = self.key["selection"].get("word_pooling", "none")
        if pooling != "mean":
            fail("%s: word_pooling is %r; the upos probe needs an entry extracted with extract.word_pooling: mean"
                 % (path, pooling))
        corpus = self.plan["corpus"]
        if corpus.get("format") != "conllu":
            fail("%s: corpus format %r, needs conllu" % (path, corpus.get("format")))
        cpath = corpus["path"]
        if not os.path.isfile(cpath):
            fail("%s: corpus %s (plan.json corpus.path) not found" % (path, cpath))
        if sha256_file(cpath) != self.key["corpus"]["sha256"]:
            fail("%s: corpus %s changed since extraction (sha256 differs from key.json)" % (path, cpath))
        sentences = read_conllu_upos(cpath)
        limit = self.key["corpus"].get("max_sentences", 0)
        if limit and limit > 0:
            sentences = sentences[:limit]
        if len(sentences) != corpus["num_sentences"]:
            fail("%s: %d sentences, plan.json says %d" % (cpath, len(sentences), corpus["num_sentences"]))
        self.corpus_path = cpath
        self.skipped = set(self.plan.get("skipped_sentences", []))

        # Index datasets of every chunk: corpus order of the sequences, word rows, labels.
        self.chunks = []  # (file, order, word_offsets) per chunk
        labels, seen = [], set()
        self.layers = None
        self.hidden_size = None
        self.num_sequences = self.words_without_pieces = 0
        for c in self.plan["chunks"]:
            fn = os.path.join(path, "chunk_%05d.h5" % c["index"])
            with h5py.File(fn, "r") as f:
                layers = json.loads(f.attrs["layers"])
                if self.layers is None:
                    self.layers = layers
                elif layers != self.layers:
                    fail("%s: chunks disagree on the stored layers" % path)
                self.hidden_size = int(f.attrs["hidden_size"])
                sa = f["sequences/sentence_a"][:]
                sb = f["sequences/sentence_b"][:]
                nw = f["sequences/num_words"][:]
                woff = f["sequences/word_offsets"][:]
                off = f["sequences/offsets"][:]
                wid = f["tokens/word_ids"][:]
            order = np.argsort(sa, kind="stable")  # batch order -> corpus order
            for s in order:
                words = list(sentences[sa[s]])
                seen.add(int(sa[s]))
                if sb[s] >= 0:
                    words += sentences[sb[s]]
                    seen.add(int(sb[s]))
                if nw[s] != len(words) or woff[s + 1] - woff[s] != len(words):
                    fail("%s: sentence %d: %d words in the cache (%d rows), %d in the corpus"
                         % (path, sa[s], nw[s], woff[s + 1] - woff[s], len(words)))
                labels += words
                pieces = wid[off[s]:off[s + 1]]
                self.words_without_pieces += len(words) - len(np.unique(pieces[pieces >= 0]))
            self.num_sequences += len(sa)
            self.chunks.append((fn, order, woff))
        missing = set(range(len(sentences))) - seen - self.skipped
        if missing:
            fail("%s: %d sentences neither in the cache nor skipped (first %d)" % (path, len(missing), min(missing)))
        self.labels = np.array(labels, dtype=object)

    def layer(self, l):
        """[words, d] float32 word rows of layer l, corpus order."""
        out = np.empty((len(self.labels), self.hidden_size), dtype=np.float32)
        r = 0
        for fn, order, woff in self.chunks:
            with h5py.File(fn, "r") as f:
                h = f["hidden_words/layer_%02d" % l][:]
            for s in order:
                n = woff[s + 1] - woff[s]
                out[r:r + n] = h[woff[s]:woff[s + 1]]
                r += n
        assert r == len(out)
        return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("train", help="cache entry of the training corpus")
    ap.add_argument("test", help="cache entry of the test corpus")
    ap.add_argument("--layers", help="comma-separated layers (0 = embeddings); default every layer both entries store")
    ap.add_argument("--max-iter", type=int, default=1000)
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--out", help="also write the JSON result to this file")
    args = ap.parse_args()

    t0 = time.perf_counter()
    train, test = Entry(args.train), Entry(args.test)
    t_read = time.perf_counter() - t0
    if train.hidden_size != test.hidden_size:
        fail("hidden sizes differ: %d (train) vs %d (test)" % (train.hidden_size, test.hidden_size))
    common = [l for l in train.layers if l in test.layers]
    if args.layers:
        try:
            layers = [int(x) for x in args.layers.split(",") if x.strip()]
        except ValueError:
            fail("--layers: expected comma-separated integers, got %r" % args.layers)
        absent = [l for l in layers if l not in common]
        if absent:
            fail("layer(s) %s not stored in both entries (train %s, test %s)" % (absent, train.layers, test.layers))
    else:
        layers = common
    if not layers:
        fail("no layer stored in both entries")

    classes = sorted(set(train.labels))
    unseen = int(sum(1 for y in test.labels if y not in set(classes)))
    print("train %s: %d sequences, %d words (%d without pieces), %s" % (args.train, train.num_sequences,
          len(train.labels), train.words_without_pieces, train.corpus_path))
    print("test  %s: %d sequences, %d words (%d without pieces), %s" % (args.test, test.num_sequences,
          len(test.labels), test.words_without_pieces, test.corpus_path))
    print("%d UPOS classes in training; %d test words with a label never seen in training; "
          "LogisticRegression(C=%g, max_iter=%d), sklearn %s, %d CPUs" % (len(classes), unseen, args.C, args.max_iter,
                                                                      sklearn.__version__, os.cpu_count()))

    results, t_fit = [], 0.0
    print("\n| layer | accuracy % | correct / count | iterations | fit+predict s | read s |")
    print("|---|---|---|---|---|---|")
    for l in layers:
        t0 = time.perf_counter()
        xtr, xte = train.layer(l), test.layer(l)
        tr = time.perf_counter() - t0
        t_read += tr
        t0 = time.perf_counter()
        clf = LogisticRegression(max_iter=args.max_iter, C=args.C)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(xtr, train.labels)
        pred = clf.predict(xte)
        sec = time.perf_counter() - t0
        t_fit += sec
        correct = int((pred == test.labels).sum())
        n_iter = int(np.max(clf.n_iter_))
        acc = 100.0 * correct / len(test.labels)
        results.append({"layer": l, "accuracy": round(acc, 4), "seconds": round(sec, 4), "correct": correct,
                        "count": len(test.labels), "n_iter": n_iter, "converged": n_iter < args.max_iter})
        print("| %d | %.2f | %d / %d | %d%s | %.3f | %.3f |" % (l, acc, correct, len(test.labels), n_iter,
              "" if n_iter < args.max_iter else " (max_iter)", sec, tr), flush=True)
    best = max(results, key=lambda r: (r["accuracy"], -r["layer"]))
    print("\nbest layer %d: %.2f%%" % (best["layer"], best["accuracy"]))
    print("(a) reading: %.3f s" % t_read)
    print("(b) fitting + predicting: %.3f s (%d layers)" % (t_fit, len(layers)))
    summary = {"layers": results, "read_seconds": round(t_read, 4), "fit_seconds": round(t_fit, 4),
               "train_words": len(train.labels), "test_words": len(test.labels), "classes": len(classes),
               "test_words_unseen_label": unseen, "C": args.C, "max_iter": args.max_iter,
               "train_entry": args.train, "test_entry": args.test}
    if args.out:
        with open(args.out + ".tmp", "w") as f:
            json.dump(summary, f, indent=1)
            f.write("\n")
        os.replace(args.out + ".tmp", args.out)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
