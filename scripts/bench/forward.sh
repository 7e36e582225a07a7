#!/usr/bin/env bash
# Encoder forward throughput: bertology (LibTorch C++) beside Hugging Face transformers (PyTorch),
# same machine, same thread count, same shapes (batch 8 x seq 128), in one run.
#
#   scripts/setup.sh --reference     # once: .venv with transformers
#   scripts/bench/forward.sh [THREADS] [ITERS]
#
# Targets (issue 2): BERT-base-shaped forward >= 70% of the GEMM GFLOP/s; >= 1.0x Hugging Face.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD_DIR:-build}  # BUILD_DIR=build-system-torch: the Debian-LibTorch build, as .venv's HF uses Debian's torch
THREADS=${1:-2}; ITERS=${2:-5}
[ -x $BUILD/bench_forward ] || cmake --build $BUILD --target bench_forward -j 2 >/dev/null
[ -x .venv/bin/python ] || { echo "run scripts/setup.sh --reference first (needs .venv with transformers)" >&2; exit 2; }
export OMP_NUM_THREADS=$THREADS
out=$(mktemp)
# Interleave the two so that machine noise hits both alike.
$BUILD/bench_forward --threads "$THREADS" --iters "$ITERS" | tee -a "$out"
.venv/bin/python scripts/bench/hf_forward.py --threads "$THREADS" --iters "$ITERS" 2>/dev/null | tee -a "$out"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
r = {}
for line in open(sys.argv[1]):
    d = json.loads(line); r[d["what"]] = d
gemm = r["gemm_fp32_4096x768x3072"]["gflops"]
print("\n| model (batch 8, seq 128) | bertology tok/s | HF tok/s | bertology / HF | bertology GFLOP/s | %% of GEMM (%.0f GFLOP/s) |" % gemm)
print("|---|---|---|---|---|---|")
for ours, hf, name in [("bertology_default_model", "hf_default_model", "all-MiniLM-L6-v2"),
                       ("bertology_bert_base_random", "hf_bert_base_random", "BERT-base shape (random)")]:
    o, h = r[ours], r[hf]
    print("| %s | %.0f | %.0f | %.2fx | %.1f | %.0f%% |" % (name, o["tokens_per_s"], h["tokens_per_s"],
          o["tokens_per_s"] / h["tokens_per_s"], o["gflops"], 100 * o["gflops"] / gemm))
PY
rm -f "$out"
