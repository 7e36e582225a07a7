#!/usr/bin/env bash
# CPU speed, in one run on one machine: bertology on LibTorch 2.11 (fp32 and bf16) vs bertology on
# Debian's LibTorch 1.13 vs Hugging Face transformers on the same torch 2.11 (the strong setup) vs
# the GEMM rate of each LibTorch in each dtype. Names the CPU.
#
#   scripts/setup.sh --reference                                    # once: .venv-torch2 (torch 2.11 + transformers)
#   BUILD_DIR=build-system-torch scripts/setup.sh --system-torch    # once: the Debian-LibTorch build beside build/
#   scripts/bench/cpu.sh [CONLLU] [REPEATS] [OUT.md]
#
# CONLLU: default ../shared/data/ud_english_ewt/en_ewt-ud-dev.conllu (UD English EWT dev, 2001 sentences);
# REPEATS (default 3) runs of each extraction, interleaved so that machine noise hits all alike
# (best run and spread are reported); OUT.md (default results/bench/cpu-<date>.md) gets the tables.
#
# 1. Forward (build/bench_forward, HF scripts/bench/hf_forward.py): batch 8 x seq 128, best of 10 after a
#    warm-up, all-MiniLM-L6-v2 and a random BERT-base shape; GEMM = [4096x768]·[768x3072] in the same
#    dtype and LibTorch. Target: BERT-base forward >= 70% of the same-dtype GEMM rate.
# 2. Extraction end to end (wall of the whole command): all 7 hidden layers + all attention maps of
#    all-MiniLM-L6-v2, stored fp16. bertology: `bertology extract` with the defaults. HF strong
#    (scripts/bench/hf_extract.py --strong): fast tokenizer, length-sorted batches of <= 4096 padded
#    tokens, inference mode, eager attention, fp16 writes, h5py. Target: >= 1.5x HF strong, same dtype.
# All runs: 2 threads (OMP_NUM_THREADS=2, model.threads=2), one process at a time.
set -euo pipefail
CONLLU=${1:-}
[ -z "$CONLLU" ] || [[ "$CONLLU" = /* ]] || CONLLU="$PWD/$CONLLU"
cd "$(dirname "$0")/../.."
CONLLU=${CONLLU:-../shared/data/ud_english_ewt/en_ewt-ud-dev.conllu}
REPEATS=${2:-3}
OUT=${3:-results/bench/cpu-$(date +%Y-%m-%d).md}
MODEL=models/all-MiniLM-L6-v2
NEW=${NEW_BUILD:-build}; OLD=${OLD_BUILD:-build-system-torch}; PY=.venv-torch2/bin/python  # dirs overridable
die() { echo "cpu.sh: $*" >&2; exit 2; }
[ -f "$CONLLU" ] || die "corpus $CONLLU not found (pass a CoNLL-U path)"
[ -x $NEW/bertology ] && [ -x $NEW/bench_forward ] || die "$NEW/ not built (scripts/setup.sh)"
[ -x $OLD/bertology ] && [ -x $OLD/bench_forward ] || die "$OLD/ not built (BUILD_DIR=$OLD scripts/setup.sh --system-torch)"
[ -x $PY ] || die "$PY missing (scripts/setup.sh --reference)"
grep -q "^BERTOLOGY_LIBTORCH:PATH=..*" $NEW/CMakeCache.txt || die "$NEW/ is not built against a LibTorch prefix (scripts/setup.sh)"

export OMP_NUM_THREADS=2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CONLLU_ABS=$(realpath "$CONLLU")
CPU=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
FLAGS=$(grep -m1 "^flags" /proc/cpuinfo | tr ' ' '\n' | grep -E "^(avx2|avx512f|avx512_bf16|amx_bf16|avx512_fp16|amx_tile)$" | tr '\n' ' ')
echo "CPU: $CPU ($(nproc) CPUs; $FLAGS)" >&2
results=$work/results.jsonl

# ---- 1. Forward ----------------------------------------------------------------------------------
$NEW/bench_forward --threads 2 --iters 10 --tag bertology_t2 | tee -a $results >&2
$NEW/bench_forward --threads 2 --iters 10 --tag bertology_t2 --dtype bfloat16 | tee -a $results >&2
$OLD/bench_forward --threads 2 --iters 10 --tag bertology_debian | tee -a $results >&2
$OLD/bench_forward --threads 2 --iters 10 --tag bertology_debian --dtype bfloat16 | tee -a $results >&2
$PY scripts/bench/hf_forward.py --threads 2 --iters 10 2>/dev/null | tee -a $results >&2
$PY scripts/bench/hf_forward.py --threads 2 --iters 10 --dtype bfloat16 2>/dev/null | tee -a $results >&2

# ---- 2. Extraction end to end --------------------------------------------------------------------
JOB=(scripts/bench/extract_job.yaml --set corpus.path="$CONLLU_ABS")  # the job; cache.dir per run
timed() {  # timed WHAT REP CMD...: one JSON line with the wall time of CMD (its stdout's last JSON line merged for HF)
  local what=$1 rep=$2; shift 2
  /usr/bin/python3 - "$what" "$rep" "$@" <<'PY' >> $results
import json, subprocess, sys, time
what, rep, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
t = time.perf_counter()
p = subprocess.run(cmd, capture_output=True, text=True)
wall = time.perf_counter() - t
if p.returncode != 0:
    sys.exit("cpu.sh: %s failed (exit %d):\n%s%s" % (" ".join(cmd), p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
r = {"what": what, "rep": rep, "wall_s": round(wall, 3)}
if what.startswith("hf"):
    r["wordpieces"] = json.loads(p.stdout.strip().splitlines()[-1])["wordpieces"]
print(json.dumps(r))
print("  %-22s run %d: %.2f s" % (what, rep, wall), file=sys.stderr)
PY
}
$NEW/bertology extract "${JOB[@]}" --dry-run --set cache.dir=$work/dry > $work/plan.txt  # warms the page cache
WORDPIECES=$(/usr/bin/python3 -c "import glob,json; print(json.load(open(glob.glob('$work/dry/*/plan.json')[0]))['num_tokens'])" 2>/dev/null || echo 0)
rm -rf $work/dry
for rep in $(seq 1 "$REPEATS"); do
  timed bertology_t2_fp32 $rep $NEW/bertology extract "${JOB[@]}" --set cache.dir=$work/c; rm -rf $work/c
  timed bertology_t2_bf16 $rep $NEW/bertology extract "${JOB[@]}" --set cache.dir=$work/c --set model.dtype=bfloat16; rm -rf $work/c
  timed bertology_debian_fp32 $rep $OLD/bertology extract "${JOB[@]}" --set cache.dir=$work/c; rm -rf $work/c
  for dt in float32 bfloat16; do
    timed hf_strong_$dt $rep $PY scripts/bench/hf_extract.py --strong --dtype $dt --conllu "$CONLLU_ABS" --model $MODEL \
      --threads 2 --out $work/hf.h5; rm -f $work/hf.h5
  done
done

mkdir -p "$(dirname "$OUT")"
cp $results "${OUT%.md}.jsonl"  # the raw measurements beside the tables
/usr/bin/python3 - $results "$CPU" "$FLAGS" "$CONLLU" "$REPEATS" "$WORDPIECES" <<'PY' | tee "$OUT"
import json, sys, datetime
path, cpu, flags, corpus, repeats, wordpieces = sys.argv[1:7]
rows = [json.loads(l) for l in open(path)]
fw = {(r.get("tag", ""), r["what"]): r for r in rows if "rep" not in r}  # GEMM lines share a name across LibTorches
ex = {}
for r in rows:
    if "rep" in r:
        ex.setdefault(r["what"], []).append(r)
wp = int(wordpieces) or next((r["wordpieces"] for r in rows if "wordpieces" in r), 0)
def gemm(tag, dt):
    key = [k for k in fw if k[0] == tag and k[1].startswith("gemm_" + dt)]
    return fw[key[0]]["gflops"] if key else float("nan")
def forward(name):
    return next((r for (tag, what), r in fw.items() if what == name), None)
print("# CPU speed, %s\n" % datetime.date.today())
print("CPU: **%s** (%s); 2 threads; `scripts/bench/cpu.sh` (%s runs of each extraction, interleaved)\n" % (cpu, flags.strip(), repeats))
print("## GEMM [4096×768]·[768×3072], GFLOP/s\n")
print("| LibTorch | fp32 | bf16 |\n|---|---|---|")
print("| 2.11 (PyPI wheel, MKL + oneDNN) | %.0f | %.0f |" % (gemm("bertology_t2", "fp32"), gemm("bertology_t2", "bf16")))
print("| 1.13 (Debian, OpenBLAS; oneDNN for bf16) | %.0f | %.0f |" % (gemm("bertology_debian", "fp32"), gemm("bertology_debian", "bf16")))
print("\n## Forward, batch 8 × seq 128, tokens/s (best of 10)\n")
print("| model | setup | tokens/s | GFLOP/s | % of same-dtype GEMM | vs HF same torch+dtype |\n|---|---|---|---|---|---|")
for model, key in [("all-MiniLM-L6-v2", "default_model"), ("BERT-base shape (random)", "bert_base_random")]:
    for label, name, tag, dt, hf in [("bertology, LibTorch 2.11, fp32", "bertology_t2_" + key, "bertology_t2", "fp32", "hf_" + key),
                                     ("bertology, LibTorch 2.11, bf16", "bertology_t2_%s_bf16" % key, "bertology_t2", "bf16", "hf_%s_bf16" % key),
                                     ("bertology, Debian LibTorch 1.13, fp32", "bertology_debian_" + key, "bertology_debian", "fp32", None),
                                     ("bertology, Debian LibTorch 1.13, bf16", "bertology_debian_%s_bf16" % key, "bertology_debian", "bf16", None),
                                     ("HF transformers, torch 2.11, fp32", "hf_" + key, None, "fp32", None),
                                     ("HF transformers, torch 2.11, bf16", "hf_%s_bf16" % key, None, "bf16", None)]:
        r = forward(name)
        if not r:
            continue
        g = gemm(tag, dt) if tag else float("nan")
        pct = "%.0f%%" % (100 * r["gflops"] / g) if tag and "gflops" in r else ""
        vs = "%.2f×" % (r["tokens_per_s"] / forward(hf)["tokens_per_s"]) if hf and forward(hf) else ""
        print("| %s | %s | %.0f | %s | %s | %s |" % (model, label, r["tokens_per_s"], "%.0f" % r["gflops"] if "gflops" in r else "", pct, vs))
print("\n## Extraction end to end: %s, %d wordpieces, all layers + attention, stored fp16\n" % (corpus, wp))
print("| setup | best wall | wordpieces/s | spread | vs HF strong, same dtype |\n|---|---|---|---|---|")
best = {k: min(v, key=lambda r: r["wall_s"]) for k, v in ex.items()}
for label, k, ref in [("bertology, LibTorch 2.11, fp32", "bertology_t2_fp32", "hf_strong_float32"),
                      ("bertology, LibTorch 2.11, bf16 compute", "bertology_t2_bf16", "hf_strong_bfloat16"),
                      ("bertology, Debian LibTorch 1.13, fp32", "bertology_debian_fp32", None),
                      ("HF strong, torch 2.11, fp32", "hf_strong_float32", None),
                      ("HF strong, torch 2.11, bf16", "hf_strong_bfloat16", None)]:
    if k not in best:
        continue
    w = [r["wall_s"] for r in ex[k]]
    vs = "%.2f×" % (best[ref]["wall_s"] / best[k]["wall_s"]) if ref else ""
    print("| %s | %.2f s | %.0f | %.2f–%.2f s | %s |" % (label, best[k]["wall_s"], wp / best[k]["wall_s"], min(w), max(w), vs))
print("\nbertology 2.11 fp32 vs Debian 1.13 fp32, end to end: %.2f×" % (best["bertology_debian_fp32"]["wall_s"] / best["bertology_t2_fp32"]["wall_s"]))
PY
echo "cpu.sh: tables in $OUT" >&2
