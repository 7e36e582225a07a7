#!/usr/bin/env python3
"""Plain-PyTorch reference for the `edge_probing` stage: Tenney et al. (2019)'s edge probe, jiant's
"edges-tmpl" recipe on a frozen encoder, trained on the wordpiece rows of bertology cache entries.

    .venv-torch2/bin/python scripts/bench/edge_probe_torch.py \
        --train-entry cache/KEY --test-entry cache/KEY \
        --train-conllu configs/samples/en_ewt-ud-dev.conllu \
        --test-conllu configs/samples/en_ewt-ud-test.conllu \
        [--tasks pos,deps] [--layers all|0,3,6] [--seed 1234] [--max-epochs 20] \
        [--dev-fraction 0.1] [--threads 2] [--out results.jsonl] [--verbose]

Independent of the C++ code: the cache is read with h5py from the documented format (docs/cache.md,
pipeline/cache/chunk_format.h); the CoNLL-U files are parsed here.

Data
  * An entry is a complete cache directory (manifest.json, plan.json, key.json, chunk_XXXXX.h5) of a
    CoNLL-U corpus holding /hidden/layer_LL (token rows). Sequences are numbered in corpus order
    (chunks in plan order; inside a chunk, sorted by /sequences/sentence_a); sequence i is corpus
    sentence sentence_a[i]; sentences skipped at extraction have no sequence and so no targets.
    Each CoNLL-U file must have the sha256 recorded in the entry's plan.json.
  * A word's pieces = the wordpieces of its sequence whose /tokens/word_ids equals its index.
  * Splits (as token_splits in the product): n = sequences of the train entry, n_dev =
    floor(dev_fraction * n); train = sequences [0, n - n_dev), dev = [n - n_dev, n); test = every
    sequence of the test entry.
  * pos: each word with >= 1 piece; span1 = its pieces; label = XPOS.
    deps: each word whose own and whose head's pieces are non-empty; span1 = the dependent's
    pieces, span2 = the head's pieces (the root's own, as jiant's ud_to_json.py); label = DEPREL.
    Labels = sorted union over train, dev and test; targets are one-hot vectors over them.

Model and training (per task and layer; torch.manual_seed(seed) at the start of each job)
  proj_k = Linear(d, 256) per span side; self-attentive pooling per side (Linear(256, 1) logits,
  softmax over the span's tokens, weighted sum of the projected tokens); concat the sides ->
  Linear(., 256) -> tanh -> LayerNorm(256) -> Dropout(0.3) -> Linear(256, n_labels); dropout 0.2
  on the token vectors before the projections (jiant's sentence encoder), one mask for both sides.
  Loss: BCE with logits, mean over targets x labels. Adam (AMSGrad, jiant's "adam"), --lr
  (jiant 1e-4), batches of 32 sentences (all
  their targets), sentence order reshuffled each epoch (torch.randperm), grad norm clipped to 5.
  After each epoch: dev micro-F1 (pred = logit > 0; F1 = 2TP / (2TP + FP + FN) over all
  (target, label) pairs, in percent). An epoch improves when its dev F1 is strictly above the best
  so far (its weights are kept); with `bad` epochs since the last improvement, the lr is halved
  whenever bad reaches a multiple of --lr-patience and training stops when bad reaches --patience
  or after max_epochs. Test micro-F1 is that of the best-dev weights.

Output: one JSON line per (task, layer) to --out (and a summary line per job on stdout):
  {task, layer, dev_f1, test_f1, epochs, best_epoch, seconds, train_targets, dev_targets,
   test_targets, n_labels}
  `seconds` = training + dev/test evaluation wall time of the job (features already in memory).
  The feature read (HDF5 -> float32 in corpus order) is timed separately (read_seconds), and so are
  building the targets and a one-time torch warm-up; the total printed at the end is the sum of the
  jobs' seconds.
"""
import argparse
import hashlib
import json
import os
import sys
import time

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PROJ_DIM = 256
HIDDEN_DIM = 256
DROPOUT = 0.3
LR = 1e-4          # --lr
INPUT_DROPOUT = 0.2
BATCH_SENTENCES = 32
EVAL_BATCH_SENTENCES = 128
CLIP_NORM = 5.0
LR_PATIENCE = 2   # --lr-patience: halve after this many epochs without improvement
STOP_PATIENCE = 5  # --patience: stop after this many epochs without improvement


def die(msg):
    print(f"edge_probe_torch: {msg}", file=sys.stderr)
    sys.exit(2)


# ----------------------------------------------------------------------------------------------
# CoNLL-U

def read_conllu(path):
    """Sentences as lists of (xpos, head, deprel) per word of the basic tree."""
    sentences, cur, open_ = [], [], False
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line.strip():
                if open_:
                    sentences.append(cur)
                cur, open_ = [], False
                continue
            open_ = True
            if line.startswith("#"):
                continue
            col = line.split("\t")
            if len(col) != 10:
                die(f"{path}: expected 10 tab-separated columns: {line!r}")
            if "-" in col[0] or "." in col[0]:
                continue  # multiword-token range or empty node
            if int(col[0]) != len(cur) + 1:
                die(f"{path}: word ID {col[0]} out of sequence")
            head = -1 if col[6] == "_" else int(col[6])
            cur.append((col[4], head, col[7]))
    if open_:
        sentences.append(cur)
    return sentences


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


# ----------------------------------------------------------------------------------------------
# Cache entry

class Entry:
    """Index and hidden states (float32, corpus order) of one cache entry."""

    def __init__(self, path, conllu, layers_wanted):
        self.path = path
        if not os.path.exists(os.path.join(path, "manifest.json")):
            die(f"{path}: entry incomplete (no manifest.json)")
        plan = json.load(open(os.path.join(path, "plan.json")))
        key = json.load(open(os.path.join(path, "key.json")))
        self.key = os.path.basename(os.path.normpath(path))
        if plan["corpus"]["format"] != "conllu":
            die(f"{path}: corpus format {plan['corpus']['format']}, expected conllu")
        if key["input"]["pairs"]:
            die(f"{path}: pair entries are not supported")
        digest = sha256_file(conllu)
        if digest != plan["corpus"]["sha256"]:
            die(f"{conllu}: sha256 differs from the corpus of {path} ({plan['corpus']['path']})")
        sents = read_conllu(conllu)
        max_s = key["corpus"].get("max_sentences", 0)
        if max_s:
            sents = sents[:max_s]
        if len(sents) != plan["corpus"]["num_sentences"]:
            die(f"{conllu}: {len(sents)} sentences, plan says {plan['corpus']['num_sentences']}")
        self.sentences = sents
        self.stored_layers = key["selection"]["layers"]
        self.hidden_size = plan["model"]["hidden_size"]

        # Index datasets of every chunk, and the row permutation batch order -> corpus order.
        sent_a, num_words, word_ids, tok_len, perm = [], [], [], [], []
        chunk_files, base = [], 0
        for c in plan["chunks"]:
            fn = os.path.join(path, f"chunk_{c['index']:05d}.h5")
            chunk_files.append(fn)
            with h5py.File(fn, "r") as f:
                off = f["sequences/offsets"][:]
                sa = f["sequences/sentence_a"][:]
                nw = f["sequences/num_words"][:]
                wid = f["tokens/word_ids"][:]
            order = np.argsort(sa, kind="stable")
            for s in order:
                sent_a.append(sa[s])
                num_words.append(nw[s])
                word_ids.append(wid[off[s]:off[s + 1]])
                tok_len.append(off[s + 1] - off[s])
                perm.append(np.arange(off[s], off[s + 1]) + base)
            base += int(off[-1])
        self.chunk_files = chunk_files
        self.sentence_a = np.asarray(sent_a, dtype=np.int64)
        self.num_sequences = len(sent_a)
        if np.any(np.diff(self.sentence_a) <= 0):
            die(f"{path}: sequences are not in increasing corpus order")
        self.perm = np.concatenate(perm)  # corpus-order row r = batch-order row perm[r]
        self.tok_off = np.concatenate([[0], np.cumsum(tok_len)]).astype(np.int64)
        self.num_tokens = int(self.tok_off[-1])

        # Words: global word index = word_off[i] + w. CSR of each word's token rows.
        nw = np.asarray(num_words, dtype=np.int64)
        self.word_off = np.concatenate([[0], np.cumsum(nw)]).astype(np.int64)
        for i, s in enumerate(self.sentence_a):
            if len(self.sentences[s]) != nw[i]:
                die(f"{path}: sequence {i} (sentence {s}) has {nw[i]} words, the CoNLL-U "
                    f"sentence {len(self.sentences[s])}")
        wid_all = np.concatenate(word_ids).astype(np.int64)
        seq_of_tok = np.repeat(np.arange(self.num_sequences), tok_len)
        rows = np.flatnonzero(wid_all >= 0)
        gword = self.word_off[seq_of_tok[rows]] + wid_all[rows]
        order = np.argsort(gword, kind="stable")
        self.piece_rows = rows[order]
        counts = np.bincount(gword, minlength=int(self.word_off[-1]))
        self.piece_count = counts.astype(np.int64)
        self.piece_start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)

        missing = [l for l in layers_wanted if l not in self.stored_layers]
        if missing:
            die(f"{path}: layers {missing} not stored (stored: {self.stored_layers})")
        self.layers_wanted = list(layers_wanted)
        self.hidden = {}

    def read_hidden(self):
        """Reads /hidden/layer_LL of the wanted layers as float32 [num_tokens, d], corpus order."""
        parts = {l: [] for l in self.layers_wanted}
        for fn in self.chunk_files:
            with h5py.File(fn, "r") as f:
                for l in self.layers_wanted:
                    parts[l].append(f[f"hidden/layer_{l:02d}"][:])
        for l in self.layers_wanted:
            h = np.concatenate(parts[l])[self.perm].astype(np.float32)
            parts[l] = None
            self.hidden[l] = torch.from_numpy(h)


# ----------------------------------------------------------------------------------------------
# Targets

class Split:
    """Targets of a set of sequences, grouped by sequence (targets of sequence k of the split are
    [t_off[k], t_off[k+1]))."""

    def __init__(self, entry, sequences, task):
        self.entry = entry
        w1, w2, labels, t_len = [], [], [], []
        self.skipped = 0
        for i in sequences:
            sent = entry.sentences[entry.sentence_a[i]]
            base = entry.word_off[i]
            n = 0
            for w, (xpos, head, deprel) in enumerate(sent):
                g = base + w
                if task == "pos":
                    if entry.piece_count[g] == 0:
                        self.skipped += 1
                        continue
                    w1.append(g)
                    labels.append(xpos)
                else:
                    if head < 0:
                        continue
                    gh = base + (w if head == 0 else head - 1)
                    if entry.piece_count[g] == 0 or entry.piece_count[gh] == 0:
                        self.skipped += 1
                        continue
                    w1.append(g)
                    w2.append(gh)
                    labels.append(deprel)
                n += 1
            t_len.append(n)
        self.w1 = np.asarray(w1, dtype=np.int64)
        self.w2 = np.asarray(w2, dtype=np.int64) if task == "deps" else None
        self.label_names = labels
        self.t_off = np.concatenate([[0], np.cumsum(t_len)]).astype(np.int64)
        self.num_sequences = len(t_len)
        self.num_targets = len(labels)

    def set_labels(self, index):
        self.y = torch.from_numpy(np.asarray([index[l] for l in self.label_names], dtype=np.int64))

    def spans(self, words):
        """One span side of a batch: the distinct token rows its spans use (sorted) [U], each span's
        pieces as indices into them, padded [T, L] (0 where masked), and the mask [T, L]."""
        e = self.entry
        cnt = e.piece_count[words]
        L = int(cnt.max())
        ar = np.arange(L)
        mask = ar[None, :] < cnt[:, None]
        pos = np.where(mask, e.piece_start[words][:, None] + ar[None, :], 0)
        rows = e.piece_rows[pos]
        uniq, inv = np.unique(rows[mask], return_inverse=True)
        local = np.zeros(mask.shape, dtype=np.int64)
        local[mask] = inv
        return torch.from_numpy(uniq), torch.from_numpy(local), torch.from_numpy(mask)

    def batch(self, seq_ids):
        """Tensors of all targets of the split's sequences seq_ids (numpy array of split indices)."""
        starts, ends = self.t_off[seq_ids], self.t_off[seq_ids + 1]
        t = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends)])
        if t.size == 0:
            return None
        b = {"y": self.y[torch.from_numpy(t)]}
        b["side1"] = self.spans(self.w1[t])
        if self.w2 is not None:
            b["side2"] = self.spans(self.w2[t])
        return b


# ----------------------------------------------------------------------------------------------
# Model

class SpanSide(nn.Module):
    """Projection + self-attentive pooling of one span side. As in jiant, the tokens are projected
    once (each distinct token row of the batch) and the spans then gather projected vectors and
    attention logits, padded to the longest span of the batch and masked."""

    def __init__(self, d):
        super().__init__()
        self.proj = nn.Linear(d, PROJ_DIM)
        self.att = nn.Linear(PROJ_DIM, 1)

    def forward(self, X, side):
        _, local, mask = side                              # X [U, d] = the side's distinct rows; [T, L], [T, L]
        p = self.proj(X)                                   # [U, P]
        a = self.att(p).squeeze(-1)                        # [U]
        logits = a[local].masked_fill(~mask, float("-inf"))
        w = torch.softmax(logits, dim=1)                   # [T, L]
        return torch.bmm(w.unsqueeze(1), p[local]).squeeze(1)  # [T, P]


class EdgeProbe(nn.Module):
    def __init__(self, d, n_sides, n_labels):
        super().__init__()
        self.sides = nn.ModuleList([SpanSide(d) for _ in range(n_sides)])
        self.hidden = nn.Linear(n_sides * PROJ_DIM, HIDDEN_DIM)
        self.norm = nn.LayerNorm(HIDDEN_DIM)
        self.drop = nn.Dropout(DROPOUT)
        self.in_drop = nn.Dropout(INPUT_DROPOUT)
        self.out = nn.Linear(HIDDEN_DIM, n_labels)

    def forward(self, H, b):
        # Input dropout once per token of the batch, shared by both sides (jiant drops the encoder output).
        sides = [b["side1"]] + ([b["side2"]] if len(self.sides) > 1 else [])
        rows = [torch.as_tensor(s[0]) for s in sides]
        u, inv = torch.unique(torch.cat(rows), return_inverse=True)
        X = self.in_drop(H[u])
        parts, at = [], 0
        for module, side, r in zip(self.sides, sides, rows):
            parts.append(module(X[inv[at:at + r.numel()]], side))
            at += r.numel()
        z = torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]
        return self.out(self.drop(self.norm(torch.tanh(self.hidden(z)))))


def micro_f1(model, H, split, n_labels):
    model.eval()
    tp = fp = fn = 0
    with torch.no_grad():
        for s in range(0, split.num_sequences, EVAL_BATCH_SENTENCES):
            b = split.batch(np.arange(s, min(s + EVAL_BATCH_SENTENCES, split.num_sequences)))
            if b is None:
                continue
            pred = model(H, b) > 0
            gold = F.one_hot(b["y"], n_labels).bool()
            tp += int((pred & gold).sum())
            fp += int((pred & ~gold).sum())
            fn += int((~pred & gold).sum())
    model.train()
    den = 2 * tp + fp + fn
    return 100.0 * 2 * tp / den if den else 0.0


def train_job(H_train, H_test, train, dev, test, n_sides, n_labels, seed, max_epochs, verbose=False):
    torch.manual_seed(seed)
    model = EdgeProbe(H_train.shape[1], n_sides, n_labels)
    opt = torch.optim.Adam(model.parameters(), lr=LR, amsgrad=True)
    best_f1, best_epoch, best_state, bad, epochs = -1.0, 0, None, 0, 0
    model.train()
    for epoch in range(1, max_epochs + 1):
        epochs = epoch
        te = time.perf_counter()
        order = torch.randperm(train.num_sequences).numpy()
        loss_sum, steps = 0.0, 0
        for s in range(0, train.num_sequences, BATCH_SENTENCES):
            b = train.batch(order[s:s + BATCH_SENTENCES])
            if b is None:
                continue
            logits = model(H_train, b)
            target = F.one_hot(b["y"], n_labels).float()
            loss = F.binary_cross_entropy_with_logits(logits, target)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)
            opt.step()
            loss_sum += loss.item()
            steps += 1
        tf = time.perf_counter()
        f1 = micro_f1(model, H_train, dev, n_labels)
        if verbose:
            print(f"  epoch {epoch}: loss {loss_sum / max(steps, 1):.5f} dev F1 {f1:.2f} "
                  f"lr {opt.param_groups[0]['lr']:.2e} train {tf - te:.2f} s dev eval "
                  f"{time.perf_counter() - tf:.2f} s", flush=True)
        if f1 > best_f1:
            best_f1, best_epoch, bad = f1, epoch, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
            if bad >= STOP_PATIENCE:
                break
            if bad % LR_PATIENCE == 0:
                for g in opt.param_groups:
                    g["lr"] *= 0.5
    model.load_state_dict(best_state)
    tt = time.perf_counter()
    test_f1 = micro_f1(model, H_test, test, n_labels)
    if verbose:
        print(f"  test eval {time.perf_counter() - tt:.2f} s", flush=True)
    return best_f1, test_f1, epochs, best_epoch


# ----------------------------------------------------------------------------------------------

def main():
    global LR, STOP_PATIENCE, LR_PATIENCE
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train-entry", required=True)
    ap.add_argument("--test-entry", required=True)
    ap.add_argument("--train-conllu", required=True)
    ap.add_argument("--test-conllu", required=True)
    ap.add_argument("--tasks", default="pos,deps")
    ap.add_argument("--layers", default="all")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--max-epochs", type=int, default=20)
    ap.add_argument("--lr", type=float, default=LR)
    ap.add_argument("--patience", type=int, default=STOP_PATIENCE)
    ap.add_argument("--lr-patience", type=int, default=LR_PATIENCE)
    ap.add_argument("--dev-fraction", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=None)
    ap.add_argument("--verbose", action="store_true", help="print loss and dev F1 per epoch")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    LR, STOP_PATIENCE, LR_PATIENCE = a.lr, a.patience, a.lr_patience

    tasks = [t for t in a.tasks.split(",") if t]
    for t in tasks:
        if t not in ("pos", "deps"):
            die(f"unknown task {t!r} (pos, deps)")

    t0 = time.perf_counter()
    if a.layers == "all":
        ktr = json.load(open(os.path.join(a.train_entry, "key.json")))["selection"]["layers"]
        kte = json.load(open(os.path.join(a.test_entry, "key.json")))["selection"]["layers"]
        layers = sorted(set(ktr) & set(kte))
    else:
        layers = [int(x) for x in a.layers.split(",") if x]
    train_e = Entry(a.train_entry, a.train_conllu, layers)
    test_e = Entry(a.test_entry, a.test_conllu, layers)
    index_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    train_e.read_hidden()
    t1 = time.perf_counter()
    test_e.read_hidden()
    t2 = time.perf_counter()
    read_seconds = t2 - t0
    print(f"entries: train {train_e.key} ({train_e.num_sequences} seq, {train_e.num_tokens} tokens), "
          f"test {test_e.key} ({test_e.num_sequences} seq, {test_e.num_tokens} tokens); "
          f"layers {layers}")
    print(f"index+conllu {index_seconds:.2f} s; read_seconds {read_seconds:.2f} "
          f"(train {t1 - t0:.2f}, test {t2 - t1:.2f})", flush=True)

    n = train_e.num_sequences
    n_dev = int(a.dev_fraction * n)
    train_seq, dev_seq = np.arange(0, n - n_dev), np.arange(n - n_dev, n)
    test_seq = np.arange(test_e.num_sequences)
    if len(train_seq) == 0 or len(test_seq) == 0 or len(dev_seq) == 0:
        die("too few sentences for train, dev and test sets")

    # One-time torch initialisation (first module construction, first kernels) outside the jobs.
    tw = time.perf_counter()
    warm = EdgeProbe(train_e.hidden_size, 2, 2)
    side = (torch.arange(2), torch.zeros(4, 2, dtype=torch.int64), torch.ones(4, 2, dtype=torch.bool))
    warm(train_e.hidden[layers[0]], {"side1": side, "side2": side}).sum().backward()
    torch.optim.Adam(warm.parameters(), lr=LR).step()
    del warm
    print(f"torch warm-up {time.perf_counter() - tw:.2f} s (not counted)", flush=True)

    out = open(a.out, "w") if a.out else None
    total = 0.0
    for task in tasks:
        tt = time.perf_counter()
        tr, dv, te = (Split(train_e, train_seq, task), Split(train_e, dev_seq, task),
                      Split(test_e, test_seq, task))
        names = sorted(set(tr.label_names) | set(dv.label_names) | set(te.label_names))
        index = {l: k for k, l in enumerate(names)}
        for s in (tr, dv, te):
            s.set_labels(index)
        n_sides = 2 if task == "deps" else 1
        print(f"{task}: targets train {tr.num_targets} dev {dv.num_targets} test {te.num_targets}, "
              f"{len(names)} labels, skipped (no pieces) {tr.skipped + dv.skipped + te.skipped}, "
              f"targets built in {time.perf_counter() - tt:.2f} s", flush=True)
        for layer in layers:
            js = time.perf_counter()
            dev_f1, test_f1, epochs, best_epoch = train_job(
                train_e.hidden[layer], test_e.hidden[layer], tr, dv, te, n_sides, len(names),
                a.seed, a.max_epochs, a.verbose)
            sec = time.perf_counter() - js
            total += sec
            rec = {"task": task, "layer": layer, "dev_f1": round(dev_f1, 4), "test_f1": round(test_f1, 4),
                   "epochs": epochs, "best_epoch": best_epoch, "seconds": round(sec, 3),
                   "train_targets": tr.num_targets, "dev_targets": dv.num_targets,
                   "test_targets": te.num_targets, "n_labels": len(names)}
            print(f"{task} layer {layer}: dev F1 {dev_f1:.2f} test F1 {test_f1:.2f} epochs {epochs} "
                  f"best {best_epoch} {sec:.1f} s", flush=True)
            if out:
                out.write(json.dumps(rec) + "\n")
                out.flush()
    if out:
        out.close()
    print(f"total {total:.1f} s (jobs; read_seconds {read_seconds:.2f} excluded)")


if __name__ == "__main__":
    main()
