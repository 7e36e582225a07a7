#!/usr/bin/env bash
# What model.dtype bfloat16 does to the science, against float32 on the same LibTorch, default model:
# the Clark dependency-head table (UD EWT dev), the UPOS probe and the structural probe (dev -> test),
# plus the largest differences of the cached hidden states and attention maps. Fresh caches (both
# extractions computed here, nothing reused from cache/), one process, 2 threads; ~40 minutes on 2 cores.
#
#   scripts/bench/precision_science.sh [WORK_DIR] [OUT.md]
#
# WORK_DIR (default tmp/precision): caches and study outputs; OUT.md (default
# results/bench/precision-<date>.md): the tables (scripts/bench/precision_science.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${1:-tmp/precision}; OUT=${2:-results/bench/precision-$(date +%Y-%m-%d).md}
WORK=$(mkdir -p "$WORK" && cd "$WORK" && pwd)
B=${BUILD_DIR:-build}/bertology
[ -x "$B" ] || { echo "precision_science.sh: $B not built (scripts/setup.sh)" >&2; exit 2; }
for dt in float32 bfloat16; do
  echo "[precision] $dt: clark2019 dependency_heads" >&2
  $B run configs/studies/clark2019.yaml --set "stages=[dependency_heads]" --set study.output_dir="$WORK/clark_$dt" \
    --set cache.dir="$WORK/cache_$dt" --set model.dtype=$dt > "$WORK/clark_$dt.log" 2>&1
  echo "[precision] $dt: probing (UPOS, structural)" >&2
  $B run configs/studies/probing.yaml --set "stages=[token_probes,structural_probe]" --set "probe.tasks=[upos]" \
    --set study.output_dir="$WORK/probing_$dt" --set cache.dir="$WORK/cache_$dt" --set model.dtype=$dt > "$WORK/probing_$dt.log" 2>&1
done
mkdir -p "$(dirname "$OUT")"
/usr/bin/python3 scripts/bench/precision_science.py "$WORK" | tee "$OUT"
