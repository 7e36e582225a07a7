#!/usr/bin/env bash
# Campaign benchmark (issue #17): Clark et al. + the probing toolkit as one campaign against the two
# studies run one after the other, each on a cold cache, in one script run (same machine, same load).
#
#   scripts/bench/campaign.sh [OUT_DIR]          (default OUT_DIR: /tmp/bertology-campaign-bench)
#
# Environment:
#   BERTOLOGY=path     the binary (default build/bertology of this checkout)
#   MAX_SENTENCES=N    corpus.max_sentences of every corpus (default 600; 0 = the whole of UD EWT dev/test)
#   THREADS=N          model.threads (default 2)
#   QUICK_STAGES=1     shorter trainings on both sides (clark.probe_epochs 1, probe.seeds 1, probe.max_epochs 2,
#                      structural.max_epochs 2), so that extraction is a visible share of the wall time
#
# Both sides run configs/studies/clark2019.yaml and configs/studies/probing.yaml with the same --set
# overrides; the campaign side through configs/campaigns/clark-probing.yaml, the separate side as two
# `bertology run` commands. Measured: wall time of each side (date +%s.%N around the commands) and its
# extraction time = the sum of the "chunk N finished in S s" lines of every rank log under its cache
# (forward pass + write of every chunk computed), the chunks computed and their wordpieces (the
# "chunk N start (S sequences, W wordpieces)" lines of the computed chunks: the work, free of timing
# noise). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/bertology-campaign-bench}
BIN=${BERTOLOGY:-build/bertology}
MAX=${MAX_SENTENCES:-600}
THREADS=${THREADS:-2}
rm -rf "$OUT"; mkdir -p "$OUT"
SETS=(--set "corpus.max_sentences=$MAX" --set "model.threads=$THREADS")
if [ "${QUICK_STAGES:-0}" = 1 ]; then
  SETS+=(--set clark.probe_epochs=1 --set probe.seeds=1 --set probe.max_epochs=2 --set structural.max_epochs=2)
fi

extraction_seconds() {  # CACHE_DIR -> "seconds chunks wordpieces" of the chunks computed under it
  local s=0 n=0 w=0 log
  for log in "$1"/*/logs/rank_*.log; do
    [ -e "$log" ] || continue
    read -r ls ln lw < <(awk '/ finished in / { for (i = 1; i <= NF; ++i) if ($i == "in") s += $(i + 1); n++ }
                             / chunk [0-9]+ computed \(forward/ { c[$3] = 1 }
                             / chunk [0-9]+ start \(/ { t[$3] = $7 }
                             END { for (k in c) w += t[k]; printf "%.3f %d %d\n", s, n, w }' "$log")
    s=$(awk "BEGIN { print $s + $ls }"); n=$((n + ln)); w=$((w + lw))
  done
  printf "%.1f %d %d\n" "$s" "$n" "$w"
}
now() { date +%s.%N; }

echo "[campaign bench] separate: clark2019 then probing, cache $OUT/separate/cache" >&2
t0=$(now)
"$BIN" run configs/studies/clark2019.yaml "${SETS[@]}" --set "cache.dir=$OUT/separate/cache" \
  --set "study.output_dir=$OUT/separate/clark2019" > "$OUT/separate-clark.log" 2>&1
"$BIN" run configs/studies/probing.yaml "${SETS[@]}" --set "cache.dir=$OUT/separate/cache" \
  --set "study.output_dir=$OUT/separate/probing" > "$OUT/separate-probing.log" 2>&1
t1=$(now)
echo "[campaign bench] campaign: configs/campaigns/clark-probing.yaml, cache $OUT/campaign/cache" >&2
t2=$(now)
"$BIN" run configs/campaigns/clark-probing.yaml "${SETS[@]}" --set "cache.dir=$OUT/campaign/cache" \
  --set "campaign.output_dir=$OUT/campaign" > "$OUT/campaign.log" 2>&1
t3=$(now)

read -r sep_x sep_n sep_w < <(extraction_seconds "$OUT/separate/cache")
read -r cam_x cam_n cam_w < <(extraction_seconds "$OUT/campaign/cache")
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
sep_wall=$(calc "$t1 - $t0"); cam_wall=$(calc "$t3 - $t2")
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "| side | wall s | extraction s | chunks computed | wordpieces through the model |"
echo "|---|---:|---:|---:|---:|"
printf "| clark2019 then probing (separate) | %.1f | %.1f | %d | %d |\n" "$sep_wall" "$sep_x" "$sep_n" "$sep_w"
printf "| campaign clark-probing | %.1f | %.1f | %d | %d |\n" "$cam_wall" "$cam_x" "$cam_n" "$cam_w"
printf "\nseparate / campaign: extraction time %.2fx, wordpieces %.2fx, wall %.2fx (CPU: %s, model.threads %s, corpus.max_sentences %s, QUICK_STAGES %s)\n" \
  "$(calc "$sep_x / $cam_x")" "$(calc "$sep_w / $cam_w")" "$(calc "$sep_wall / $cam_wall")" "$cpu" "$THREADS" "$MAX" "${QUICK_STAGES:-0}"
