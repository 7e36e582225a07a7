#!/usr/bin/env bash
# Multiple-choice fine-tuning throughput (issue: Si et al. 2019): bertology's trainer beside Hugging
# Face BertForMultipleChoice (PyTorch), same machine, same threads, the same batches; then the
# data-parallel efficiency of 2 ranks x 1 thread against 1 rank x 1 thread. One run.
#
#   scripts/setup.sh --reference     # once: .venv with transformers
#   scripts/bench/mc_train.sh [DATA_TSV] [BATCH] [EPOCHS]
#
# DATA_TSV: an MCTest .tsv (its .ans beside it); default the shipped MC160 dev set (120 questions).
# bench_mc_train trains EPOCHS epochs (the first untimed) and writes the timed epochs' batches;
# hf_mc_train.py trains on exactly those batches. Tokens are real (non-pad) tokens.
# Targets: bertology >= 1.2x HF tokens/s; 2-rank efficiency >= 85% (1 thread per rank).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD_DIR:-build}  # BUILD_DIR=build-system-torch: the Debian-LibTorch build, as .venv's HF uses Debian's torch
DATA=${1:-configs/samples/mctest/mc160.dev.tsv}; BATCH=${2:-4}; EPOCHS=${3:-2}
MODEL=models/all-MiniLM-L6-v2
[ -x $BUILD/bench_mc_train ] || cmake --build $BUILD --target bench_mc_train -j 2 >/dev/null
[ -x .venv/bin/python ] || { echo "run scripts/setup.sh --reference first (needs .venv with transformers)" >&2; exit 2; }
out=$(mktemp); batches=$(mktemp)
MPIRUN="mpirun --allow-run-as-root --oversubscribe --bind-to none"
common=(--model "$MODEL" --data "$DATA" --batch "$BATCH" --epochs "$EPOCHS")
OMP_NUM_THREADS=2 $BUILD/bench_mc_train "${common[@]}" --threads 2 --batches-out "$batches" | tee -a "$out"
OMP_NUM_THREADS=2 .venv/bin/python scripts/bench/hf_mc_train.py --model "$MODEL" --data "$DATA" --batches "$batches" \
  --threads 2 2>/dev/null | tee -a "$out"
OMP_NUM_THREADS=1 $BUILD/bench_mc_train "${common[@]}" --threads 1 | sed 's/"what": "bertology_mc_train"/"what": "one_rank_one_thread"/' | tee -a "$out"
OMP_NUM_THREADS=1 $MPIRUN -np 2 $BUILD/bench_mc_train "${common[@]}" --threads 1 | sed 's/"what": "bertology_mc_train"/"what": "two_ranks_one_thread"/' | tee -a "$out"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
r = {}
for line in open(sys.argv[1]):
    if line.startswith("{"):
        d = json.loads(line); r[d["what"]] = d
o, h = r["bertology_mc_train"], r["hf_mc_train"]
one, two = r["one_rank_one_thread"], r["two_ranks_one_thread"]
print("\n| measurement | tokens/s | |")
print("|---|---|---|")
print("| bertology, 1 rank x 2 threads | %.0f | %.2fx HF |" % (o["tokens_per_s"], o["tokens_per_s"] / h["tokens_per_s"]))
print("| HF BertForMultipleChoice, 2 threads | %.0f | |" % h["tokens_per_s"])
print("| bertology, 1 rank x 1 thread | %.0f | |" % one["tokens_per_s"])
print("| bertology, 2 ranks x 1 thread (MPI) | %.0f | efficiency %.1f%% |" % (two["tokens_per_s"], 100 * two["tokens_per_s"] / (2 * one["tokens_per_s"])))
PY
rm -f "$out" "$batches"
