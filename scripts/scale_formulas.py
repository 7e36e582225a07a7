#!/usr/bin/env python3
"""The formulas of docs/scale.md: what a cache entry stores, what each stage holds in memory, how long
extraction takes, for a model and a corpus described by a few numbers. Standard library only.

    scripts/scale_formulas.py table            # the docs/scale.md tables (BERT-base/large x PTB-WSJ/EWT train)
    scripts/scale_formulas.py entry --sentences S --words W --pieces T --sum-t2 X --layers 13 --hidden 768 \
        --heads 12 --attention-layers 12 [--pooled]            # bytes of one entry

Units: bytes and seconds. Symbols: S sentences, W words, T wordpieces (specials included), Σt² the sum over
sequences of their squared length in pieces, Σn² the same in words, L layers, H heads, K = L·H, d hidden size,
V vocabulary, M layers mixed. The memory formulas are the reservations the stages make (MemoryBudget in
pipeline/stage/memory_budget.h and each stage's reserve() calls) plus what they hold; tests/scale/
test_scale_formulas.py checks them against a real entry and a real stage run on a small corpus.
"""
import argparse
import math
import os

MiB = 1 << 20
GiB = 1 << 30

# MemoryBudget::kProcessBaseBytes: LibTorch, HDF5, MPI, the config and entries at a stage's start.
PROCESS_BASE = 256 * MiB
# CacheReader::kAttentionCacheBytes: the largest attention cache of a reader.
ATTENTION_CACHE_CAP = 256 * MiB
# Per word and per piece, what a CacheReader keeps of the corpus and its index (measured: ~250 B per
# CoNLL-U word with its five annotation strings; 12 B per piece of ids, word ids, segment ids).
READER_BYTES_PER_WORD = 250
READER_BYTES_PER_PIECE = 12
# Stored precision (extract.dtype float16).
STORED = 2
# What a chunk file holds besides its datasets' values: HDF5's B-trees and headers, the key and
# layer attributes, Fletcher-32 checksums (measured ≤ 41 KiB on 256-token chunks).
CHUNK_FILE_OVERHEAD = 48 * 1024


def entry_bytes(S, T, W, sum_t2, hidden_layers, d, attention_layers, heads, pooled, stored=STORED):
    """Bytes of a cache entry's chunk files, CHUNK_FILE_OVERHEAD per chunk file aside."""
    index = 12 * T + 4 * 8 * S + 3 * 4 * S + 2 * 8  # /tokens (3 × int32) + /sequences (offsets, ids, counts)
    if attention_layers:
        index += 8 * (S + 1)  # /attention/offsets
    hidden = hidden_layers * T * d * stored
    words = hidden_layers * W * d * stored if pooled else 0
    attention = attention_layers * heads * sum_t2 * stored
    return index + hidden + words + attention


def chunk_attention_bytes(chunk_tokens, mean_t, mean_t2, layers, heads, stored=STORED):
    """The stored attention of every layer of one chunk (what a reader caches, ≤ ATTENTION_CACHE_CAP)."""
    sequences = chunk_tokens / mean_t
    return sequences * mean_t2 * heads * layers * stored


def reader_cache_bytes(chunk_tokens, mean_t, mean_t2, layers, heads):
    chunk = chunk_attention_bytes(chunk_tokens, mean_t, mean_t2, layers, heads)
    return min(chunk, ATTENTION_CACHE_CAP) + chunk / max(1, layers)


def probe_sentence_bytes(n, K, dv, attention=True):
    """attention_probes.h: K·n² + 4·K·n floats of attention, n·dv floats of vectors, n ints and flags."""
    return ((K * n * n + 4 * K * n) if attention else 0) * 4 + n * dv * 4 + n * 5


def attention_probe_features(S, W, sum_n2, K, dv):
    """Every training+test sentence of the attention probe as it holds them (float32)."""
    return 4 * K * sum_n2 + 16 * K * W + 4 * dv * W + 5 * W


def attention_probe_need(V, dv, K, n_max, chunk_tokens, mean_t, mean_t2, L, H, checkpoint_bytes=0):
    """What attention_probe reserves besides the features it holds (its 'needs at least'), readers aside;
    checkpoint_bytes: the weights file it reads whole for the word embeddings."""
    return (PROCESS_BASE + V * dv * 4 + checkpoint_bytes + 2 * reader_cache_bytes(chunk_tokens, mean_t, mean_t2, L, H)
            + probe_sentence_bytes(n_max, K, dv) + 8 * K * n_max * n_max * 4)


def probe_working_bytes(M, dim, batch=64):
    """probe_trainer.h's probe_working_bytes: one evaluation chunk as float32 and its scalar-mix product
    (chunk = min(4096, 16 MiB / row) rows), one training batch's copy, mix, activations and gradients."""
    row = M * dim * 4
    chunk = max(1, min(4096, (16 * MiB) // row))
    return 2 * chunk * row + 4 * batch * row


def token_probe_need(chunk_tokens, d, M=1, arc=False, batch=64):
    """token_probes and scalar_mix: one chunk's word vectors read and reordered, and the trainer's working
    memory for rows of M layers (arcs: 2d floats a layer)."""
    return PROCESS_BASE + 2 * chunk_tokens * d * 4 + probe_working_bytes(M, d * (2 if arc else 1), batch)


def token_probe_features(W, d, M=1, arc=False):
    """A task's rows (every word; arcs: [v_head; v_dep]) × M layers, held as the cache stores them
    (float16: probe_trainer.cpp keeps exact float16 copies)."""
    return W * M * d * STORED * (2 if arc else 1)


def structural_need(chunk_tokens, d, batch, n_max, rank):
    return PROCESS_BASE + 2 * chunk_tokens * d * 4 + (batch + 3) * n_max * n_max * rank * 4


def structural_features(W, d):
    """Word vectors as stored (float16), a head and a flag a word."""
    return W * (STORED * d + 5)


def held_or_streamed(need, features, budget, halved):
    """(peak estimate, 'held' | 'streamed' | 'refused'): a stage holds its features when they fit what the
    budget leaves after its need (halved for token probes and the structural probe: the margin for a
    window's row index and the heap between windows), else streams windows of that size."""
    if need > budget:
        return need, "refused"
    hold = (budget - need) / (2 if halved else 1)
    if features <= hold:
        return need + features * (2 if halved else 1), "held"
    return budget, "streamed"


def reader_bytes(W, T):
    return READER_BYTES_PER_WORD * W + READER_BYTES_PER_PIECE * T


# ---- the multiple-choice stages (pipeline/mcrc/mc_memory.h, mc_questions.h) -----------------------
# P: BertForMultipleChoice's parameters; a layer keeps T·(76 d + 12 H ℓ) B of fp32 activations for
# backward over T tokens in rows of ℓ (19 d + 3 H ℓ floats a token: mc_memory.h counts them).

def mc_parameter_count(L, d, V, I, positions=512, types=2):
    embeddings = (V + positions + types) * d + 2 * d
    layer = 4 * (d * d + d) + 2 * d + 2 * d * I + I + d + 2 * d
    return embeddings + L * layer + d * d + d + d + 1


def mc_layer_activation_bytes(d, H, tokens, length):
    return tokens * (76 * d + 12 * H * length)


def mc_need(L, d, H, V, I, train_questions, score_questions, options, length, on_gpu=False):
    """Bytes mcrc_finetune (train_questions > 0) or mcrc_attacks reserves for the model and a batch."""
    P = mc_parameter_count(L, d, V, I)
    if on_gpu:
        return 8 * P
    train = (L + 2) * mc_layer_activation_bytes(d, H, train_questions * options * length, length)
    score = 2 * mc_layer_activation_bytes(d, H, score_questions * options * length, length)
    return (24 if train_questions > 0 else 8) * P + max(train, score)


def mc_features(questions, options, mean_length):
    """Held encoded features: 8 B a token + 64 B an option + 128 B a question."""
    return 8 * questions * options * mean_length + 64 * questions * options + 128 * questions


# ---- the docs/scale.md tables ---------------------------------------------------------------------

MODELS = {
    # L, H, d, V; FLOP per token ≈ 2 × non-embedding parameters (the forward's GEMMs).
    "BERT-base": dict(L=12, H=12, d=768, V=30522, I=3072, params=85.0e6, checkpoint=440e6),
    "BERT-large": dict(L=24, H=16, d=1024, V=30522, I=4096, params=302.0e6, checkpoint=1340e6),
}

# Pieces per word (specials included) and E[t²], E[n²] measured with the bert-base-uncased WordPiece
# vocabulary (scripts/bench/corpus_stats in the issue #21 note): UD EWT dev+test (4,078 sentences:
# 1.367 pieces/word, E[t²] 466.9, E[n²] 262.3 at 12.32 words/sentence) and the NLTK 10% sample of
# PTB-WSJ (3,914 sentences: 1.263, 1146.2, 718.5 at 24.04). Sizes: PTB-WSJ §02–21 39,832 sentences,
# 950,028 tokens; UD EWT train (v2.x) 12,543 sentences, 204,585 words. E[t²] and E[n²] of a corpus
# are scaled from its sample by (words per sentence)².
def corpus(S, W, pieces_per_word, sample_words_per_sentence, sample_t2, sample_n2, n_max):
    scale = (W / S / sample_words_per_sentence) ** 2
    T = pieces_per_word * W
    return dict(S=S, W=W, T=T, sum_t2=S * sample_t2 * scale, sum_n2=S * sample_n2 * scale, mean_t=T / S,
                mean_t2=sample_t2 * scale, n_max=n_max, t_max=min(512, math.ceil(n_max * pieces_per_word)))


CORPORA = {
    "PTB-WSJ train": corpus(39832, 950028, 1.2632, 24.04, 1146.2, 718.5, n_max=141),
    "UD EWT train": corpus(12543, 204585, 1.3672, 12.32, 466.9, 262.3, n_max=159),
}

# Extraction rates (wordpieces/s) on 2 cores of the AMD EPYC of the README's CPU table: the BERT-base
# forward (batch 8 × 128, LibTorch 2.11) 1044 fp32, 2188 bf16; BERT-large scaled by FLOP per token.
# GPU: not measured yet (issue #14); no estimate is printed.
CPU_RATE_2_CORES = {"fp32": 1044.0, "bf16": 2188.0}


def extraction_seconds(model, T, cores, dtype="fp32"):
    rate = CPU_RATE_2_CORES[dtype] * (cores / 2) * MODELS["BERT-base"]["params"] / model["params"]
    return T / rate


# Stage time at full size: the held benchmark run (results/scale/scale-held-*.csv: the default model,
# all-MiniLM-L6-v2, on 2,000 EWT dev sentences with 30,484 words, 2 threads of an AMD EPYC; its
# configuration: clark.probe_epochs 1, probe.tasks [upos], seeds 1, max_epochs 3, structural max_epochs
# 3) scaled linearly by what each stage's work grows with. Held features only: a streamed stage adds
# features / hold reads of its layers per epoch. An estimate of the configuration's time, not a
# measurement: multiply by the epochs, tasks and seeds a study asks for.
BENCH_MODEL = dict(L=6, H=12, d=384)
BENCH_CORPUS = dict(S=2000, W=30484, mean_t2=466.9, mean_n2=262.3)
STAGE_WORK = {  # stage -> the work it scales with: f(model, corpus dict with S, W, mean_t2, mean_n2)
    "attention_patterns": lambda m, c: c["S"] * c["mean_t2"] * m["L"] * m["H"],
    "dependency_heads": lambda m, c: c["S"] * c["mean_t2"] * m["L"] * m["H"],
    "head_clusters": lambda m, c: c["S"] * c["mean_t2"] * (m["L"] * m["H"]) ** 2,  # head pairs
    "attention_distance": lambda m, c: c["S"] * c["mean_t2"] * m["L"] * m["H"],
    "attention_probe": lambda m, c: c["S"] * c["mean_n2"] * m["L"] * m["H"],
    "token_probes": lambda m, c: c["W"] * m["d"] * (m["L"] + 1),
    "scalar_mix": lambda m, c: c["W"] * m["d"] * (m["L"] + 1),
    "structural_probe": lambda m, c: c["W"] * m["d"] * m["d"] * (m["L"] + 1),  # rank d
}


def bench_seconds(path=None):
    """{stage: x4 wall seconds} of the newest held benchmark table, for the default model."""
    import csv
    import glob
    here = os.path.dirname(os.path.abspath(__file__))
    files = sorted(glob.glob(os.path.join(here, "..", "results", "scale", "scale-held-*.csv")))
    if path is None and not files:
        return {}
    with open(path or files[-1], newline="") as f:
        return {r["stage"]: float(r["wall_x4_s"]) for r in csv.DictReader(f) if r["model"] == "default"}


def stage_seconds(stage, model, corpus, bench):
    if stage not in bench or stage not in STAGE_WORK:
        return None
    return bench[stage] * STAGE_WORK[stage](model, corpus) / STAGE_WORK[stage](BENCH_MODEL, BENCH_CORPUS)


def human(b):
    for unit, size in (("TiB", 1 << 40), ("GiB", GiB), ("MiB", MiB), ("KiB", 1024)):
        if b >= size:
            return f"{b / size:.1f} {unit}"
    return f"{b:.0f} B"


def hours(s):
    if s >= 3600:
        return f"{s / 3600:.1f} h"
    return f"{s / 60:.0f} min" if s >= 60 else f"{s:.0f} s"


def table(budget_gb=8.0, chunk_tokens=4096, cores=32):
    budget = budget_gb * GiB
    out = []
    out.append("| model | corpus | S | pieces | hidden, all layers (token + word) | attention, all layers | "
               f"extraction fp32 / bf16, 2 cores | {cores} cores (linear) |")
    out.append("|---|---|---|---|---|---|---|---|")
    for mname, m in MODELS.items():
        for cname, c in CORPORA.items():
            hidden = entry_bytes(c["S"], c["T"], c["W"], 0, m["L"] + 1, m["d"], 0, m["H"], True)
            att = entry_bytes(c["S"], c["T"], c["W"], c["sum_t2"], 0, m["d"], m["L"], m["H"], False) - \
                entry_bytes(c["S"], c["T"], c["W"], 0, 0, m["d"], 0, m["H"], False)
            out.append(f"| {mname} | {cname} | {c['S']:,} | {c['T'] / 1e6:.2f} M | {human(hidden)} | {human(att)} | "
                       f"{hours(extraction_seconds(m, c['T'], 2))} / {hours(extraction_seconds(m, c['T'], 2, 'bf16'))} | "
                       f"{hours(extraction_seconds(m, c['T'], cores))} / "
                       f"{hours(extraction_seconds(m, c['T'], cores, 'bf16'))} |")
    out.append("")
    out.append(f"| model | corpus | stage | needs besides features | features at full size | at runtime.memory_gb "
               f"{budget_gb:g}: peak, mode |")
    out.append("|---|---|---|---|---|---|")
    for mname, m in MODELS.items():
        K = m["L"] * m["H"]
        for cname, c in CORPORA.items():
            rows = []
            readers = 2 * reader_bytes(c["W"], c["T"])  # a training and a test reader's corpora and index
            need = readers + attention_probe_need(m["V"], m["d"], K, c["n_max"], chunk_tokens, c["mean_t"],
                                                  c["mean_t2"], m["L"], m["H"], m["checkpoint"])
            feats = attention_probe_features(c["S"], c["W"], c["sum_n2"], K, m["d"])
            rows.append(("attention_probe", need, feats, False))
            rows.append(("token_probes (arc)", readers + token_probe_need(chunk_tokens, m["d"], 1, True),
                         token_probe_features(c["W"], m["d"], 1, True), True))
            rows.append(("scalar_mix (all layers, arc)", readers + token_probe_need(chunk_tokens, m["d"], m["L"] + 1, True),
                         token_probe_features(c["W"], m["d"], m["L"] + 1, True), True))
            rows.append(("structural_probe (rank d)",
                         readers + structural_need(chunk_tokens, m["d"], 20, c["n_max"], m["d"]),
                         structural_features(c["W"], m["d"]), True))
            # attention_pass: up to 8 queued + 1 read + 1 worker sequences of every layer's maps; no
            # budget (nothing to hold), so the formula is the peak.
            passes = PROCESS_BASE + reader_bytes(c["W"], c["T"]) + \
                reader_cache_bytes(chunk_tokens, c["mean_t"], c["mean_t2"], m["L"], m["H"]) + 10 * K * c["t_max"] ** 2 * 4
            rows.append(("attention passes (patterns, dependency_heads, head_clusters, distance)", passes, 0, False))
            for stage, need, feats, halved in rows:
                peak, mode = held_or_streamed(need, feats, budget, halved) if feats else (need, "no features")
                out.append(f"| {mname} | {cname} | {stage} | {human(need)} | {human(feats) if feats else '–'} | "
                           f"{human(peak)}, {mode} |")
    # Si et al.'s RACE fine-tuning: 87,866 training questions, 4 options, max_length 512 (features
    # bounded by ℓ: every input at full length), micro-batch 4, eval batch 8; text ~2 KB a question
    # (the passage is copied into each of its questions; an estimate, RACE is not here to measure).
    Q, C, ell = 87866, 4, 512
    text = 2 * Q * 2048  # the training set and an un-answerable copy
    for mname, m in MODELS.items():
        feats = mc_features(Q, C, ell)
        for where, on_gpu in (("CPU", False), ("GPU (host memory)", True)):
            need = PROCESS_BASE + text + mc_need(m["L"], m["d"], m["H"], m["V"], m["I"], 4, 8, C, ell, on_gpu)
            peak, mode = held_or_streamed(need, feats, budget, False)
            mode = "held" if mode == "held" else "encoded per batch"
            out.append(f"| {mname} | RACE train | mcrc_finetune, {where} | {human(need)} | {human(feats)} | "
                       f"{human(peak) if need <= budget else 'over the budget'}, {mode if need <= budget else 'refused'} |")
    out.append("")
    bench = bench_seconds()
    stages = list(STAGE_WORK)
    out.append("| model | corpus | " + " | ".join(stages) + " |")
    out.append("|---|---|" + "---|" * len(stages))
    for mname, m in MODELS.items():
        for cname, c in CORPORA.items():
            full = dict(S=c["S"], W=c["W"], mean_t2=c["mean_t2"], mean_n2=c["sum_n2"] / c["S"])
            cells = []
            for st in stages:
                sec = stage_seconds(st, m, full, bench)
                cells.append("–" if sec is None else hours(sec))
            out.append(f"| {mname} | {cname} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    t = sub.add_parser("table", help="the docs/scale.md tables")
    t.add_argument("--memory-gb", type=float, default=8.0)
    t.add_argument("--chunk-tokens", type=int, default=4096)
    t.add_argument("--cores", type=int, default=32)
    e = sub.add_parser("entry", help="bytes of one cache entry")
    for name in ("sentences", "words", "pieces", "sum-t2", "layers", "hidden", "heads", "attention-layers"):
        e.add_argument("--" + name, type=float, required=True)
    e.add_argument("--pooled", action="store_true")
    a = ap.parse_args()
    if a.command == "table":
        print(table(a.memory_gb, a.chunk_tokens, a.cores))
    else:
        print(int(entry_bytes(a.sentences, a.pieces, a.words, a.sum_t2, int(a.layers), int(a.hidden),
                              int(a.attention_layers), int(a.heads), a.pooled)))


if __name__ == "__main__":
    main()
