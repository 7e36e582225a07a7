#!/usr/bin/env bash
# The GPU check of issue #14, run on a machine with one GPU and PyTorch 2.11.0+cu130 (the H100/H200
# machines of the device tool), from the repository root, without building anything there:
#
#   here:   scripts/setup.sh --cuda && scripts/device/bundle.sh
#   there:  scripts/device/gpu_check.sh [OUT_DIR]          (device tool: carry ["device-bundle"])
#
# Uses the machine's own torch/CUDA/NCCL libraries (device-bundle/ brings bertology's binaries and
# the non-torch libraries they load) and its Python (torch, transformers, h5py). Models have random
# weights drawn as transformers draws them (scripts/device/make_random_models.py): the shapes of
# all-MiniLM-L6-v2 (whose real weights, 90 MB, exceed what the tool carries), BERT-base and
# BERT-large; speed does not depend on the weights. Writes OUT_DIR/gpu_check.jsonl (every
# measurement) and OUT_DIR/gpu_check.md (the tables); about 5 minutes on an H100.
#
# Measured:
#  1. encoder parity: GPU fp32 vs CPU fp32 (max |Δh|, |Δα|; target <= 1e-4), bf16 vs HF bf16 on the GPU
#  2. the GPU's bf16 GEMM rate (PyTorch) and bertology's bf16 forward (batch 64 x seq 128) against it
#     (target for BERT-large: >= 50% of the GEMM rate)
#  3. extraction of UD EWT dev (all layers + attention, stored fp16), bf16 compute, per model:
#     bertology extract vs HF transformers + h5py (scripts/bench/hf_extract.py --strong --device cuda:
#     fast tokenizer, length-sorted batches of the same token budget, inference mode, fp16 on the GPU
#     before one copy per batch), end to end; target >= 3x
#  4. MC fine-tuning tokens/s, bf16 mixed precision: bench_mc_train vs HF BertForMultipleChoice under
#     torch.autocast, the same batches (MC160 dev, BERT-base shape); target >= 1.2x
#  5. a single-rank NCCL all-reduce
#
# A plumbing rehearsal on a CPU machine (small, slow, numbers meaningless):
#   DEVICE=cpu MODELS=minilm_shape FWD_MODELS=default MC_MODEL=minilm_shape PY=.venv-torch2/bin/python \
#     scripts/device/gpu_check.sh /tmp/gpu_check_rehearsal
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-${OUT:-/tmp/gpu_check}}
mkdir -p "$OUT"
B=device-bundle
[ -x $B/bin/bertology ] || { echo "gpu_check.sh: $B/ missing: run scripts/device/bundle.sh here and carry device-bundle" >&2; exit 2; }
PY=${PY:-python3}
DEVICE=${DEVICE:-cuda}
MODELS=${MODELS:-minilm_shape bert_base bert_large}
FWD_MODELS=${FWD_MODELS:-default,base,large}
MC_MODEL=${MC_MODEL:-bert_base}
MC_EPOCHS=${MC_EPOCHS:-3}   # the first untimed
SITE=$($PY -c 'import os, torch; print(os.path.dirname(os.path.dirname(torch.__file__)))')
NV=$(find "$SITE/nvidia" -maxdepth 3 -type d -name lib 2>/dev/null | tr '\n' ':' || true)
# Only bertology's binaries see the bundled libraries: Python keeps the machine's own.
LIBS="$PWD/$B/lib:$SITE/torch/lib:$NV${LD_LIBRARY_PATH:-}"
LIBS=${LIBS%:}  # a trailing ':' would add the current folder
run_bin() { local b=$1; shift; LD_LIBRARY_PATH="$LIBS" "$PWD/$B/bin/$b" "$@"; }
# Every library the binaries need must resolve here (the bundle's Debian 12 libraries need glibc >= 2.36).
missing=$(for b in $B/bin/*; do LD_LIBRARY_PATH="$LIBS" ldd "$b"; done | grep "not found" | sort -u || true)
[ -z "$missing" ] || { echo "gpu_check.sh: libraries not found: $missing" >&2; exit 2; }
glibc=$(ldd --version | head -1 | grep -oE '[0-9]+\.[0-9]+$' || echo 0)
awk -v v="$glibc" 'BEGIN { split(v, a, "."); exit !(a[1] > 2 || (a[1] == 2 && a[2] >= 36)) }' ||
  { echo "gpu_check.sh: glibc $glibc here; the bundled binaries (built on Debian 12) need >= 2.36" >&2; exit 2; }
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=8
J=$OUT/gpu_check.jsonl; : > "$J"
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
log() { printf '[gpu_check %s] %s\n' "$(date +%T)" "$*" >&2; }
json() { grep '^{' | tee -a "$J"; }

log "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | tee "$OUT/gpu.txt" || true
$PY - <<'PY' | json
import json, platform, torch, transformers
print(json.dumps({"what": "machine", "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none (CPU rehearsal)", "torch": torch.__version__,
                  "transformers": transformers.__version__, "python": platform.python_version(),
                  "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")}))
PY
run_bin bertology --version | head -1 >&2

log "random models"
$PY scripts/device/make_random_models.py --vocab tests/fixtures/vocab/bert-base-uncased-vocab.txt --out "$W/models" \
  --only "$(echo minilm_shape $MODELS $MC_MODEL | tr ' ' '\n' | sort -u | paste -sd,)" >&2

log "1. parity"
for dt in bfloat16 float32; do
  $PY scripts/device/hf_parity_reference.py --model "$W/models/minilm_shape" --out "$W/hf_$dt.safetensors" --device $DEVICE --dtype $dt >&2
done
run_bin device_check --model "$W/models/minilm_shape" --device $DEVICE --hf-bf16 "$W/hf_bfloat16.safetensors" \
  --hf-fp32 "$W/hf_float32.safetensors" | json

log "2. GEMM rate and forward"
$PY scripts/device/gemm_rate.py --device $DEVICE --dtype bfloat16 --n 8192 | json
$PY scripts/device/gemm_rate.py --device $DEVICE --dtype bfloat16 --shape 8192,1024,4096 | json
run_bin bench_forward --model "$W/models/minilm_shape" --device $DEVICE --dtype bfloat16 --models $FWD_MODELS \
  --batch 64 --seq 128 --iters 20 --threads 8 --tag gpu | json

log "3. extraction, UD EWT dev"
CONLLU=$PWD/configs/samples/en_ewt-ud-dev.conllu
timed() {  # timed WHAT CMD...: wall time of CMD as one JSON line
  local what=$1; shift
  local t0 t1; t0=$(date +%s.%N); "$@" > "$W/cmd.out" 2> "$W/cmd.err" || { cat "$W/cmd.err" >&2; return 1; }; t1=$(date +%s.%N)
  $PY -c "import json,sys; print(json.dumps({'what': sys.argv[1], 'wall_s': round(float(sys.argv[3]) - float(sys.argv[2]), 3)}))" "$what" "$t0" "$t1" | json
}
for m in $MODELS; do
  cat > "$W/extract_$m.yaml" <<EOF
model: {path: $W/models/$m, device: $DEVICE, dtype: bfloat16, threads: 8}
corpus: {path: $CONLLU, format: conllu}
extract: {attention: true, dtype: float16, batch_tokens: 16384}
cache: {dir: $W/cache_$m}
EOF
  for rep in 1 2; do
    rm -rf "$W/cache_$m" "$W/hf.h5"
    timed "bertology_extract_${m}_$rep" run_bin bertology extract "$W/extract_$m.yaml"
    timed "hf_extract_${m}_$rep" $PY scripts/bench/hf_extract.py --strong --device $DEVICE --dtype bfloat16 --batch-tokens 16384 \
      --conllu "$CONLLU" --model "$W/models/$m" --threads 8 --out "$W/hf.h5"
    grep '^{' "$W/cmd.out" | tail -1 | $PY -c "import json,sys; d=json.load(sys.stdin); d['what']='hf_extract_detail_${m}_$rep'; print(json.dumps(d))" | json
  done
  $PY -c "import glob,json; print(json.dumps({'what': 'plan_$m', 'num_tokens': json.load(open(glob.glob('$W/cache_$m/*/plan.json')[0]))['num_tokens']}))" | json
  rm -rf "$W/cache_$m" "$W/hf.h5"
done

log "4. MC fine-tuning, bf16 mixed precision"
echo "{\"what\": \"mc_model\", \"name\": \"$MC_MODEL\"}" | json
MC=configs/samples/mctest/mc160.dev.tsv
run_bin bench_mc_train --model "$W/models/$MC_MODEL" --data $MC --format mctest --device $DEVICE --dtype bfloat16 \
  --batch 16 --epochs $MC_EPOCHS --threads 8 --batches-out "$W/batches.json" | json
$PY scripts/bench/hf_mc_train.py --model "$W/models/$MC_MODEL" --data $MC --batches "$W/batches.json" --device $DEVICE \
  --autocast bfloat16 --threads 8 | json

log "5. summary"
$PY scripts/device/summarize_gpu_check.py "$J" > "$OUT/gpu_check.md"
cat "$OUT/gpu_check.md"
