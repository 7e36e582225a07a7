#!/usr/bin/env bash
# Scale benchmark (issue #21): does each analysis stage stay within its memory budget and scale linearly
# when the training corpus grows 4x?
#
#   scripts/bench/scale.sh [OUT_DIR]            (default OUT_DIR: /tmp/bertology-scale)
#
# Environment:
#   BERTOLOGY=path   the binary (default build/bertology of this checkout)
#   SENTENCES=N      sentences of the x1 training corpus (default 500; at least 4)
#   SENTENCES_BY_MODEL="LABEL=N ..."   (optional, e.g. "base=200") SENTENCES for these model labels (space- or
#                    comma-separated; labels not in MODELS are ignored): the BERT-base-shaped model is slow
#   MEMORY_GB=auto|X runtime.memory_gb of the stage runs (default auto). auto: per (model, stage), before the timed
#                    runs, one untimed run on the x1 config at the smallest budget (--set runtime.memory_gb=0.0625,
#                    its output in OUT_DIR/scratch/MODEL, log OUT_DIR/logs/MODEL-x1/STAGE.budget.log); a stage
#                    that refuses it with `runtime.memory_gb: STAGE needs at least M MiB ...` gets M + HOLD_MIB MiB
#                    (in GiB, rounded up to 6 decimals), a stage that runs (no budget: it ignores memory_gb) gets 8;
#                    any other failure exits 1. Its timed x1 and x4 runs use that same budget, so a stage that
#                    holds features holds at most HOLD_MIB MiB of them in both and streams the rest.
#                    X (a number, GiB): that budget for every run (e.g. 0.8: below what the x4 features of the
#                    probes need, so that the budget binds; with 8 GiB every split of these corpora is held and
#                    the probes' peaks grow with the corpus, as they may)
#   HOLD_MIB=N       MiB added to each stage's minimum with MEMORY_GB=auto, for the features it holds (default 64).
#                    The minimum can grow a little with the corpus (attention_probe's attention caches until the
#                    cache chunks are full, the readers' index), so a HOLD_MIB of a few MiB can make an x4 run
#                    refuse the x1's budget; the error's minimum is rounded to 0.1 MiB
#   CHUNK_TOKENS=N   extract.chunk_tokens of the entries (default 1024: x1 already spans several chunks, so the
#                    per-chunk buffers of a pass, which saturate at a few chunks, are not counted as growth)
#   MODELS="..."     labels or model folders (default "default base"): default = models/all-MiniLM-L6-v2;
#                    base = a randomly initialised BERT-base-shaped model (12 layers, 768 hidden, 12 heads,
#                    3072 intermediate) that scripts/bench/make_random_bert.py writes (once) into
#                    OUT_DIR/models/random-bert-base; a folder = that checkpoint (label: its name)
#   STAGES="..."     the stages to benchmark (default: every stage that needs only the EWT corpus, below;
#                    mcrc_finetune can be added: it fine-tunes on MC160 stories instead, MC_STORIES below)
#   SHUFFLE=full|blocks  probe.shuffle of the probes (default full, the papers' order; blocks: the epoch order
#                    that streams linearly, pipeline/stage/epoch_order.h) with probe.shuffle_block SHUFFLE_BLOCK
#                    (default 2048 items)
#   ROW_SCRATCH=true|false  runtime.row_scratch of the configs (default true): streamed probes copy a layer they
#                    re-read to an unlinked file of $TMPDIR (else /tmp) once (CacheReader::set_row_scratch_dir)
#   MC_STORIES=N     MC160 training stories of mcrc_finetune's x1 set (default 10: 40 questions; x4 = 160)
#   REPEAT=N         timed runs per (model, corpus, stage) (default 1); the tables take the median wall time and
#                    the median peak of the runs that succeeded (a second on a shared 2-core machine varies by
#                    10-20 % from run to run; the stage line's resolution is 0.01 s)
#
# Corpora (OUT_DIR/corpora/, named by their sentence counts, so models with different counts each get their own
# and a model's corpora stay unchanged when another's count changes): x1 = ewt-dev-firstN.conllu, the first N
# sentences (N = SENTENCES, or the model's SENTENCES_BY_MODEL) of configs/samples/en_ewt-ud-dev.conllu;
# x4 = ewt-dev-firstN-x4.conllu, x1 four times, copies 2..4 with `# sent_id = ID-copyK` so ids stay unique; the
# probes' test corpus is ewt-test-firstT.conllu, the first T = N/4 sentences of configs/samples/en_ewt-ud-test.conllu
# for both (fixed on purpose: only the training corpus grows). One study config per (model, corpus) in
# OUT_DIR/configs/ (cache OUT_DIR/cache, model.threads 2, tokenizer.max_length 128, input.overlong skip, every hidden
# layer + attention + mean word vectors, clark.probe_epochs 1 without the random-init probe, probe.tasks [upos],
# probe.seeds 1 and max_epochs 3, structural.max_epochs 3, runtime.memory_gb MEMORY_GB or 8 with auto).
#
# Per (model, corpus): untimed warm-up `bertology extract CONFIG` (the training entry),
# `bertology extract CONFIG --set corpus.path=TEST` (the test entry that the probes and attention_probe extract
# otherwise) and `bertology extract CONFIG --set input.pairs=true` (attention_patterns' sentence pairs); then each
# stage in its own process, timed:
#   /usr/bin/time -v bertology run CONFIG --set 'stages=[STAGE]' --set study.output_dir=OUT_DIR/runs/MODEL-CORPUS
#                     --set runtime.memory_gb=BUDGET --set cache.verify_on_resume=false
# (BUDGET: MEMORY_GB, or the stage's budget with auto, above; its stage folder is removed first, so it is never
# skipped as up to date; the warm-up verified the entries; a run whose log shows an extraction of new chunks is run
# once more, its first log kept as STAGE.extracting.log).
# Measured per run: the binary's own line `stage STAGE: S s, peak memory P MiB (rank 0)` (the stage's wall time
# and its peak RSS, VmHWM reset when the stage starts) and time -v's "Maximum resident set size" of the whole
# process (model loading, cache check and stage). Logs: OUT_DIR/logs/MODEL-CORPUS/.
#
# Also per run, from its log: whether the stage held its features or streamed them from the cache (mode: held,
# streamed when any of its probes streamed, - for a stage that logs neither; attention_probe: "sentences held in
# memory" / "streamed: ...", token_probes and scalar_mix: "features held" / "streamed in N windows",
# structural_probe: "sentences held (float16)" / "streamed in windows of at most ...").
#
# Output: OUT_DIR/scale.csv (model, stage, memory_gb, sentences_x1, wall_x1_s, wall_x4_s, wall_ratio, peak_x1_mib,
# peak_x4_mib, peak_ratio, maxrss_x1_mib, maxrss_x4_mib, mode_x1, mode_x4) and OUT_DIR/scale.md (the same with
# verdicts, the CPU, cores, binary, settings, date and command line; also printed). Targets per stage: peak ratio
# x4/x1 <= 1.2 (the budget bounds memory, not the corpus) and wall ratio x4/x1 <= 4.4 (linear, +10%). A wall time
# of x1 under the stage line's resolution (0.01 s) gives no wall ratio and no wall verdict.
# mcrc_finetune (when STAGES names it) trains on the first MC_STORIES stories of configs/samples/mctest/
# mc160.train.tsv (x1) and on them four times over (x4, ids suffixed -copyK), 1 epoch, max_length 128, batch and
# micro-batch 4, dev and test the two stories of tests/fixtures/mcrc/mc160.dev.first2.tsv; its mode is held when it
# held the training features, streamed when it encoded them per batch.
# Not benchmarked (they need inputs other than the EWT corpus): lin_probes, confusion_score (Open Sesame data),
# coref_heads (a coreference corpus), attention_gradients (a checkpoint with its masked-LM head), mcrc_attacks
# (its work is the test set, which does not grow here), clark_report, probing_report, si_report (they read other
# stages' tables).
#
# Exit status: 0 when every benchmarked stage meets both targets, 1 otherwise (or a stage run failed, or with
# MEMORY_GB=auto a budget run failed other than by refusing the budget), 2 on bad input (missing binary, model or
# sample file, bad settings).
set -euo pipefail
usage() { sed -n '5p' "$0" | sed 's/^# *//' >&2; exit 2; }
case "${1:-}" in -h|--help) usage ;; -*) usage ;; esac
[ $# -le 1 ] || usage
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/scripts/bench
PY=/usr/bin/python3
OUT_DIR=${1:-/tmp/bertology-scale}
BIN=${BERTOLOGY:-$ROOT/build/bertology}
SENTENCES=${SENTENCES:-500}
SENTENCES_BY_MODEL=${SENTENCES_BY_MODEL:-}
MEMORY_GB=${MEMORY_GB:-auto}
HOLD_MIB=${HOLD_MIB:-64}
CHUNK_TOKENS=${CHUNK_TOKENS:-1024}
MODELS=${MODELS:-default base}
MC_STORIES=${MC_STORIES:-10}
REPEAT=${REPEAT:-1}
SHUFFLE=${SHUFFLE:-full}
SHUFFLE_BLOCK=${SHUFFLE_BLOCK:-2048}
ROW_SCRATCH=${ROW_SCRATCH:-true}
DEFAULT_STAGES="attention_patterns dependency_heads attention_probe head_clusters attention_distance token_probes scalar_mix structural_probe"
STAGES=${STAGES:-$DEFAULT_STAGES}
DEV_SAMPLE=$ROOT/configs/samples/en_ewt-ud-dev.conllu
TEST_SAMPLE=$ROOT/configs/samples/en_ewt-ud-test.conllu
DEFAULT_MODEL=$ROOT/models/all-MiniLM-L6-v2
MAX_PEAK_RATIO=1.2
MAX_WALL_RATIO=4.4
THREADS=2
PROBE_MEMORY_GB=0.0625  # the smallest runtime.memory_gb the binary accepts (MEMORY_GB=auto's budget runs)
UNBUDGETED_MEMORY_GB=8  # MEMORY_GB=auto: a stage that runs at PROBE_MEMORY_GB (it has no budget)

# The command line, for the report (before anything changes).
CMDLINE="BERTOLOGY=$(printf %q "$BIN") SENTENCES=$(printf %q "$SENTENCES")"
[ -z "$SENTENCES_BY_MODEL" ] || CMDLINE+=" SENTENCES_BY_MODEL=$(printf %q "$SENTENCES_BY_MODEL")"
CMDLINE+=" MEMORY_GB=$(printf %q "$MEMORY_GB")"
[ "$MEMORY_GB" != auto ] || CMDLINE+=" HOLD_MIB=$(printf %q "$HOLD_MIB")"
CMDLINE+=" MODELS=$(printf %q "$MODELS")"
[ "$STAGES" = "$DEFAULT_STAGES" ] || CMDLINE+=" STAGES=$(printf %q "$STAGES")"
[ "$MC_STORIES" = 10 ] || CMDLINE+=" MC_STORIES=$MC_STORIES"
[ "$SHUFFLE" = full ] || CMDLINE+=" SHUFFLE=$SHUFFLE SHUFFLE_BLOCK=$SHUFFLE_BLOCK"
[ "$ROW_SCRATCH" = true ] || CMDLINE+=" ROW_SCRATCH=$ROW_SCRATCH"
[ "$REPEAT" = 1 ] || CMDLINE+=" REPEAT=$REPEAT"
CMDLINE+=" $(printf %q "$0")"
[ $# -eq 0 ] || CMDLINE+=" $(printf %q "$1")"

bad() { echo "scale.sh: $*" >&2; exit 2; }
[ -x "$BIN" ] || bad "$BIN is not an executable (build it, or set BERTOLOGY=)"
[ -x /usr/bin/time ] || bad "/usr/bin/time not found (apt-get install time)"
[ -x "$PY" ] || bad "$PY not found"
[ -f "$DEV_SAMPLE" ] || bad "sample corpus $DEV_SAMPLE not found"
[ -f "$TEST_SAMPLE" ] || bad "sample corpus $TEST_SAMPLE not found"
{ [[ "$SENTENCES" =~ ^[0-9]+$ ]] && [ "$SENTENCES" -ge 4 ]; } || bad "SENTENCES must be an integer >= 4, got '$SENTENCES'"
[ "$MEMORY_GB" = auto ] || [[ "$MEMORY_GB" =~ ^[0-9]*\.?[0-9]+$ ]] || bad "MEMORY_GB must be auto or a number, got '$MEMORY_GB'"
[[ "$HOLD_MIB" =~ ^[0-9]*\.?[0-9]+$ ]] || bad "HOLD_MIB must be a number (MiB), got '$HOLD_MIB'"
[[ "$SHUFFLE" =~ ^(full|blocks)$ ]] || bad "SHUFFLE must be full or blocks, got '$SHUFFLE'"
[[ "$SHUFFLE_BLOCK" =~ ^[1-9][0-9]*$ ]] || bad "SHUFFLE_BLOCK must be a positive integer, got '$SHUFFLE_BLOCK'"
[[ "$ROW_SCRATCH" =~ ^(true|false)$ ]] || bad "ROW_SCRATCH must be true or false, got '$ROW_SCRATCH'"
[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || bad "REPEAT must be a positive integer, got '$REPEAT'"
[ -n "$MODELS" ] || bad "MODELS is empty"
[ -n "$STAGES" ] || bad "STAGES is empty"
case "$OUT_DIR" in *'"'*|*\\*|*$'\n'*) bad "OUT_DIR must not contain quotes, backslashes or newlines" ;; esac
mkdir -p "$OUT_DIR" || bad "cannot create $OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
# The study configs' runtime.memory_gb (every run also sets it on its command line).
CONFIG_MEMORY_GB=$MEMORY_GB; [ "$MEMORY_GB" != auto ] || CONFIG_MEMORY_GB=$UNBUDGETED_MEMORY_GB

# Stages: benchmarked, or not (and why).
declare -A NOT_BENCHED=(
  [lin_probes]="needs Open Sesame data (lin.data_dir)"
  [confusion_score]="needs Open Sesame data (lin.data_dir)"
  [coref_heads]="needs a coreference corpus (clark.coref_corpus)"
  [attention_gradients]="needs a checkpoint with its masked-LM head (clark.gradient_model); neither model has one"
  [mcrc_attacks]="its work is the test set (mcrc.test), which does not grow here"
  [clark_report]="a report: reads other stages' tables"
  [probing_report]="a report: reads other stages' tables"
  [si_report]="a report: reads other stages' tables"
)
BENCH=()
: > "$OUT_DIR/not_benchmarked.tsv"
for s in $STAGES; do
  if [ -n "${NOT_BENCHED[$s]:-}" ]; then
    printf '%s\t%s\n' "$s" "${NOT_BENCHED[$s]}" >> "$OUT_DIR/not_benchmarked.tsv"
  elif [ ! -d "$ROOT/stages/$s" ]; then
    bad "stage '$s' is not in $ROOT/stages/"
  else
    BENCH+=("$s")
  fi
done
for s in "${!NOT_BENCHED[@]}"; do
  [ -d "$ROOT/stages/$s" ] || continue
  grep -q "^$s"$'\t' "$OUT_DIR/not_benchmarked.tsv" || printf '%s\t%s\n' "$s" "${NOT_BENCHED[$s]}" >> "$OUT_DIR/not_benchmarked.tsv"
done
[ ${#BENCH[@]} -gt 0 ] || bad "no stage to benchmark in STAGES='$STAGES'"

# Models: label -> folder.
declare -A MODEL_DIR=()
LABELS=()
for m in $MODELS; do
  case "$m" in
    default) dir=$DEFAULT_MODEL ;;
    base) dir=$OUT_DIR/models/random-bert-base ;;
    *) [ -d "$m" ] || bad "MODELS: '$m' is neither default, base nor a folder"; dir=$(cd "$m" && pwd); m=$(basename "$dir") ;;
  esac
  [[ "$m" =~ ^[A-Za-z0-9._-]+$ ]] || bad "model label '$m' has characters other than letters, digits, . _ -"
  [ -z "${MODEL_DIR[$m]:-}" ] || bad "MODELS names '$m' twice"
  MODEL_DIR[$m]=$dir; LABELS+=("$m")
done
for m in "${LABELS[@]}"; do
  if [ "$m" = base ] && [ "${MODEL_DIR[$m]}" = "$OUT_DIR/models/random-bert-base" ]; then
    [ -f "$DEFAULT_MODEL/config.json" ] || bad "$DEFAULT_MODEL/config.json not found (the base model is made like it)"
    "$PY" "$HERE/make_random_bert.py" --like "$DEFAULT_MODEL" --out "${MODEL_DIR[$m]}" \
      --layers 12 --hidden 768 --heads 12 --intermediate 3072 --seed 1234 ||
      { rc=$?; echo "scale.sh: make_random_bert.py failed" >&2; exit "$([ $rc = 2 ] && echo 2 || echo 1)"; }
  fi
  for f in config.json vocab.txt; do
    [ -f "${MODEL_DIR[$m]}/$f" ] || bad "model '$m': ${MODEL_DIR[$m]}/$f not found"
  done
done

# Sentences per model: SENTENCES, or SENTENCES_BY_MODEL's (labels not in MODELS ignored).
declare -A NSENT=()
for m in "${LABELS[@]}"; do NSENT[$m]=$SENTENCES; done
declare -A OVERRIDDEN=()
for kv in ${SENTENCES_BY_MODEL//,/ }; do
  [[ "$kv" =~ ^([A-Za-z0-9._-]+)=([0-9]+)$ ]] || bad "SENTENCES_BY_MODEL: '$kv' is not LABEL=N"
  label=${BASH_REMATCH[1]}; count=${BASH_REMATCH[2]}
  [ "$count" -ge 4 ] || bad "SENTENCES_BY_MODEL: $label must have at least 4 sentences, got $count"
  [ -z "${OVERRIDDEN[$label]:-}" ] || bad "SENTENCES_BY_MODEL names '$label' twice"
  OVERRIDDEN[$label]=1
  if [ -n "${MODEL_DIR[$label]:-}" ]; then
    NSENT[$label]=$count
  else
    echo "scale.sh: SENTENCES_BY_MODEL: '$label' is not in MODELS (${LABELS[*]}): ignored" >&2
  fi
done

# Corpora (rewritten only when their content changes, so the cache entries stay valid).
mkdir -p "$OUT_DIR/corpora" "$OUT_DIR/configs" "$OUT_DIR/logs" "$OUT_DIR/runs"
first_sentences() {  # FILE N COPY: the first N sentences of FILE; COPY > 1 suffixes sent_id with -copyCOPY
  awk -v n="$2" -v k="$3" 'BEGIN { RS = ""; FS = "\n"; ORS = "\n\n" }
    NR <= n { out = ""
              for (i = 1; i <= NF; i++) { line = $i; if (k > 1 && line ~ /^# sent_id = /) line = line "-copy" k
                                           out = out (i > 1 ? "\n" : "") line }
              print out }' "$1"
}
put() {  # DEST: stdin to DEST unless DEST already has that content
  local tmp; tmp=$(mktemp "$1.XXXXXX")
  cat > "$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}
count_sentences() { awk 'BEGIN { RS = "" } END { print NR }' "$1"; }
# Per sentence count N (each file's name has its count, so models with different counts never share one):
# X1[N], X4[N] and TEST[N] (the first N/4 test sentences).
declare -A X1=() X4=() TEST=()
for m in "${LABELS[@]}"; do
  n=${NSENT[$m]}
  [ -z "${X1[$n]:-}" ] || continue
  nt=$((n / 4))
  X1[$n]=$OUT_DIR/corpora/ewt-dev-first$n.conllu
  X4[$n]=$OUT_DIR/corpora/ewt-dev-first$n-x4.conllu
  TEST[$n]=$OUT_DIR/corpora/ewt-test-first$nt.conllu
  first_sentences "$DEV_SAMPLE" "$n" 1 | put "${X1[$n]}"
  for k in 1 2 3 4; do first_sentences "$DEV_SAMPLE" "$n" "$k"; done | put "${X4[$n]}"
  first_sentences "$TEST_SAMPLE" "$nt" 1 | put "${TEST[$n]}"
  [ "$(count_sentences "${X1[$n]}")" = "$n" ] || bad "$DEV_SAMPLE has fewer than $n sentences"
  [ "$(count_sentences "${X4[$n]}")" = "$((4 * n))" ] || bad "internal: ${X4[$n]} does not have $((4 * n)) sentences"
  [ "$(count_sentences "${TEST[$n]}")" = "$nt" ] || bad "$TEST_SAMPLE has fewer than $nt sentences"
  [ "$(grep '^# sent_id = ' "${X4[$n]}" | sort | uniq -d | wc -l)" = 0 ] || bad "internal: ${X4[$n]} has duplicate sent_ids"
done

# mcrc_finetune's training sets: the first MC_STORIES MC160 training stories (.tsv and its .ans), and four copies.
[[ "$MC_STORIES" =~ ^[1-9][0-9]*$ ]] || bad "MC_STORIES must be a positive integer"
MC_SAMPLE=$ROOT/configs/samples/mctest/mc160.train
MC_FIXTURE=$ROOT/tests/fixtures/mcrc/mc160.dev.first2.tsv
declare -A MC=([x1]=$OUT_DIR/corpora/mc160-train-first$MC_STORIES.tsv [x4]=$OUT_DIR/corpora/mc160-train-first$MC_STORIES-x4.tsv)
head -n "$MC_STORIES" "$MC_SAMPLE.tsv" | put "${MC[x1]}"
head -n "$MC_STORIES" "$MC_SAMPLE.ans" | put "${MC[x1]%.tsv}.ans"
for k in 1 2 3 4; do head -n "$MC_STORIES" "$MC_SAMPLE.tsv" | sed -E "s/^([^\t]*)\t/\1-copy$k\t/"; done | put "${MC[x4]}"
for k in 1 2 3 4; do head -n "$MC_STORIES" "$MC_SAMPLE.ans"; done | put "${MC[x4]%.tsv}.ans"
[ "$(wc -l < "${MC[x1]}")" = "$MC_STORIES" ] || bad "$MC_SAMPLE.tsv has fewer than $MC_STORIES stories"

write_config() {  # LABEL CORPUS_TAG CORPUS_FILE MODEL_DIR TEST_FILE -> the config path
  local cfg=$OUT_DIR/configs/$1-$2.yaml
  local stages; stages=$(IFS=,; echo "${BENCH[*]}"); stages=${stages//,/, }
  put "$cfg" <<EOF
# Written by scripts/bench/scale.sh: model $1, corpus $2 ($3).
study:
  name: scale-$1-$2
  output_dir: "$OUT_DIR/runs/$1-$2"
model:
  path: "$4"
  threads: $THREADS
tokenizer:
  max_length: 128
input:
  overlong: skip
corpus:
  path: "$3"
  format: conllu
extract:
  layers: []                # every hidden layer 0..L (the probes, scalar_mix)
  attention: true           # the Clark stages
  word_pooling: mean        # the probes
  chunk_tokens: $CHUNK_TOKENS
cache:
  dir: "$OUT_DIR/cache"
runtime:
  memory_gb: $CONFIG_MEMORY_GB
  row_scratch: $ROW_SCRATCH
clark:
  test_corpus: "$5"
  probe_epochs: 1
  random_init_probe: false
probe:
  tasks: [upos]             # one task: the memory question is the same for all, the time is not
  seeds: 1
  max_epochs: 3
  test_corpus: "$5"
  shuffle: $SHUFFLE
  shuffle_block: $SHUFFLE_BLOCK
structural:
  max_epochs: 3
mcrc:
  format: mctest
  train: "${MC[$2]}"
  dev: "$MC_FIXTURE"
  test: "$MC_FIXTURE"
  max_length: 128
  epochs: 1
  batch_size: 4
  micro_batch: 4
  eval_batch: 4
  unanswerable: []
stages: [$stages]
EOF
  echo "$cfg"
}

to_mib() {  # "412.0 MiB" -> MiB
  awk -v v="$1" -v u="$2" 'BEGIN { f["B"] = 1 / 1048576; f["KiB"] = 1 / 1024; f["MiB"] = 1; f["GiB"] = 1024
                                   f["TiB"] = 1048576; if (!(u in f)) exit 1; printf "%.1f", v * f[u] }'
}

mode_of() {  # STAGE LOG -> held | streamed (any of its probes streamed) | - (the stage logs neither)
  if grep -Eq "^$1: .*(streamed: |streamed in [0-9]+ windows|streamed in windows of at most |features: train encoded per batch)" "$2"; then
    echo streamed
  elif grep -Eq "^$1: .*(sentences held in memory|features held( \(float(16|32)\))?$|sentences held( \(float(16|32)\))?\)|features: train held)" "$2"; then
    echo held
  else
    echo -
  fi
}
budget_gib() {  # MIB HOLD_MIB -> (MIB + HOLD_MIB) MiB in GiB, rounded up to 6 decimals
  awk -v m="$1" -v h="$2" 'BEGIN { v = (m + h) / 1024 * 1000000; r = int(v); if (r < v) r++; printf "%.6f", r / 1000000 }'
}

MEAS=$OUT_DIR/measurements.tsv
printf 'model\tcorpus\tstage\trepeat\tsentences\tmemory_gb\tmode\trc\tstage_s\tpeak_mib\tmaxrss_mib\tprocess_s\tlog\n' > "$MEAS"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
counts=; for m in "${LABELS[@]}"; do counts+="${counts:+, }$m ${NSENT[$m]} / $((4 * NSENT[$m])) / $((NSENT[$m] / 4))"; done
echo "scale.sh: models ${LABELS[*]}; stages ${BENCH[*]}; x1 / x4 training / test sentences: $counts;" \
     "memory_gb $MEMORY_GB$([ "$MEMORY_GB" != auto ] || echo " (HOLD_MIB $HOLD_MIB)"); $(nproc) CPUs; output $OUT_DIR" >&2
declare -A BUDGET=()  # MODEL/STAGE -> runtime.memory_gb of its timed runs
for m in "${LABELS[@]}"; do
  n=${NSENT[$m]}
  for corpus in x1 x4; do
    file=${X1[$n]}; [ "$corpus" = x4 ] && file=${X4[$n]}
    tag=$m-$corpus
    cfg=$(write_config "$m" "$corpus" "$file" "${MODEL_DIR[$m]}" "${TEST[$n]}")
    logs=$OUT_DIR/logs/$tag; mkdir -p "$logs"
    # Untimed warm-up (entries reused when complete): the training entry, the test entry (the probes and
    # attention_probe extract it otherwise) and the sentence-pairs entry (attention_patterns: input.pairs true).
    for what in train test pairs; do
      extra=()
      [ "$what" = test ] && extra=(--set "corpus.path=${TEST[$n]}")
      [ "$what" = pairs ] && extra=(--set input.pairs=true)
      echo "scale.sh: $tag: extracting the $what entry (untimed)" >&2
      rc=0
      "$BIN" extract "$cfg" --set "runtime.memory_gb=$CONFIG_MEMORY_GB" ${extra[@]+"${extra[@]}"} \
        > "$logs/extract_$what.log" 2>&1 || rc=$?
      if [ "$rc" != 0 ]; then
        tail -20 "$logs/extract_$what.log" >&2
        echo "scale.sh: $tag: extraction of the $what entry failed (exit $rc; $logs/extract_$what.log)" >&2
        exit "$([ $rc = 2 ] && echo 2 || echo 1)"
      fi
    done
    for stage in "${BENCH[@]}"; do
      # The stage's budget, once per model, on the x1 config, before its timed runs (MEMORY_GB=auto: its smallest
      # budget + HOLD_MIB, from an untimed run that it refuses; 8 GiB when it runs, having no budget).
      if [ -z "${BUDGET[$m/$stage]:-}" ]; then
        if [ "$MEMORY_GB" != auto ]; then
          BUDGET[$m/$stage]=$MEMORY_GB
        else
          blog=$logs/$stage.budget.log
          scratch=$OUT_DIR/scratch/$m
          echo "scale.sh: $tag: $stage: its smallest budget (untimed run at runtime.memory_gb $PROBE_MEMORY_GB)" >&2
          rm -rf "$scratch"
          rc=0
          "$BIN" run "$cfg" --set "stages=[$stage]" --set "study.output_dir=$scratch" \
            --set "runtime.memory_gb=$PROBE_MEMORY_GB" --set cache.verify_on_resume=false > "$blog" 2>&1 || rc=$?
          need=$(sed -nE 's/.*runtime\.memory_gb: [^ ]+ needs at least ([0-9.]+) MiB.*/\1/p' "$blog" | head -1)
          if [ "$rc" != 0 ] && [ -n "$need" ]; then
            BUDGET[$m/$stage]=$(budget_gib "$need" "$HOLD_MIB")
            echo "  needs at least $need MiB: budget $need + $HOLD_MIB MiB = ${BUDGET[$m/$stage]} GiB" >&2
          elif [ "$rc" = 0 ]; then
            BUDGET[$m/$stage]=$UNBUDGETED_MEMORY_GB
            echo "  it ran (no budget): ${BUDGET[$m/$stage]} GiB" >&2
          else
            tail -5 "$blog" >&2
            echo "scale.sh: $tag: $stage: the budget run failed (exit $rc) other than by refusing the budget: $blog" >&2
            exit 1
          fi
        fi
      fi
      budget=${BUDGET[$m/$stage]}
      echo "scale.sh: $tag: $stage (runtime.memory_gb $budget)" >&2
      for repeat in $(seq 1 "$REPEAT"); do
      log=$logs/$stage.log; [ "$repeat" = 1 ] || log=$logs/$stage.run$repeat.log
      for attempt in 1 2; do
        rm -rf "$OUT_DIR/runs/$tag"/*/"$stage"
        rc=0
        /usr/bin/time -v -o "$log.time" "$BIN" run "$cfg" --set "stages=[$stage]" \
          --set "study.output_dir=$OUT_DIR/runs/$tag" --set "runtime.memory_gb=$budget" \
          --set cache.verify_on_resume=false > "$log" 2>&1 || rc=$?
        # A stage that extracted an entry the warm-up did not make was timed with the extraction: once more.
        if [ "$rc" = 0 ] && [ "$attempt" = 1 ] && grep -Eq '^extracting [1-9][0-9]* of ' "$log"; then
          mv "$log" "$logs/$stage.extracting.log"
          echo "  (it extracted an entry inside the timed run, $logs/$stage.extracting.log: timing it again)" >&2
          continue
        fi
        break
      done
      line=$(grep -E "^stage $stage: [0-9.]+ s, peak memory [0-9.]+ [KMGT]?i?B" "$log" | tail -1 || true)
      stage_s=; peak=
      if [ -n "$line" ]; then
        stage_s=$(sed -E 's/^stage [^:]+: ([0-9.]+) s.*/\1/' <<< "$line")
        peak=$(to_mib "$(sed -E 's/.*peak memory ([0-9.]+) ([KMGT]?i?B).*/\1/' <<< "$line")" \
                      "$(sed -E 's/.*peak memory ([0-9.]+) ([KMGT]?i?B).*/\2/' <<< "$line")")
      elif [ "$rc" = 0 ]; then
        rc=-1  # ran, but without the stage line: an older binary?
      fi
      maxrss=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): *\([0-9]*\).*/\1/p' "$log.time" | tail -1)
      [ -z "$maxrss" ] || maxrss=$(awk -v k="$maxrss" 'BEGIN { printf "%.1f", k / 1024 }')
      elapsed=$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time[^:]*: *\(.*\)$/\1/p' "$log.time" | tail -1)
      [ -z "$elapsed" ] || elapsed=$(awk -v t="$elapsed" 'BEGIN { n = split(t, p, ":"); s = 0
                                                             for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }')
      mode=$(mode_of "$stage" "$log")
      if [ "$rc" != 0 ]; then
        echo "scale.sh: $tag: $stage failed (exit $rc; $log):" >&2; tail -5 "$log" >&2
      else
        echo "  $stage_s s, peak $peak MiB, process max RSS $maxrss MiB, process ${elapsed} s; features: $mode" >&2
      fi
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$corpus" "$stage" "$repeat" "$n" "$budget" \
        "$mode" "$rc" "$stage_s" "$peak" "$maxrss" "$elapsed" "$log" >> "$MEAS"
      done
    done
  done
done

# The tables and the verdict.
CPU=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
VERSION=$("$BIN" --version 2>/dev/null | head -1 || true)
[ -n "$VERSION" ] || VERSION=$("$BIN" --help 2>&1 | head -1 || true)
"$PY" - "$MEAS" "$OUT_DIR" "$SENTENCES" "$SENTENCES_BY_MODEL" "$MAX_PEAK_RATIO" "$MAX_WALL_RATIO" "${CPU:-unknown}" \
  "$(nproc)" "$THREADS" "$BIN" "$VERSION" "$MEMORY_GB" "$CMDLINE" "$LOAD_START" "$OUT_DIR/not_benchmarked.tsv" \
  "$HOLD_MIB" "$PROBE_MEMORY_GB" "$UNBUDGETED_MEMORY_GB" "$MC_STORIES" <<'PY'
import csv, datetime, os, statistics, sys
(meas, out_dir, n_default, by_model, max_peak, max_wall, cpu, nproc, threads, binary, version, memory_gb, cmdline, load,
 not_benched, hold_mib, probe_gb, unbudgeted_gb, mc_stories) = sys.argv[1:20]
n_default, max_peak, max_wall = int(n_default), float(max_peak), float(max_wall)
with open(meas, newline="") as f:
    rows = list(csv.DictReader(f, delimiter="\t"))
models, stages, repeats, n_of = [], [], {}, {}
for r in rows:
    if r["model"] not in models: models.append(r["model"])
    if r["stage"] not in stages: stages.append(r["stage"])
    repeats.setdefault((r["model"], r["stage"], r["corpus"]), []).append(r)
    n_of[r["model"]] = int(r["sentences"])
num = lambda x: float(x) if x not in ("", None) else None
def summary(rs):
    """The runs of one (model, stage, corpus) as one: the first failure when one failed, else the median wall time,
    peak and max RSS of the runs (REPEAT); mode and budget of the first."""
    failed = [r for r in rs if r["rc"] != "0"]
    if failed:
        return failed[0]
    s = dict(rs[0])
    for k in ("stage_s", "peak_mib", "maxrss_mib", "process_s"):
        v = [num(r[k]) for r in rs if num(r[k]) is not None]
        s[k] = "%.4f" % statistics.median(v) if v else ""
    return s
runs = {k: summary(v) for k, v in repeats.items()}
def ratio(a, b):
    return None if a is None or b is None or a <= 0 else b / a
fmt = lambda x, d=2: "" if x is None else "%.*f" % (d, x)
csv_rows, md_rows, details, all_ok = [], [], [], True
for m in models:
    for s in stages:
        x1, x4 = runs.get((m, s, "x1")), runs.get((m, s, "x4"))
        n = n_of[m]
        budget = (x1 or x4)["memory_gb"] if (x1 or x4) else ""
        mode1, mode4 = (x1["mode"] if x1 else ""), (x4["mode"] if x4 else "")
        ok1, ok4 = x1 is not None and x1["rc"] == "0", x4 is not None and x4["rc"] == "0"
        w1, w4 = (num(x1["stage_s"]) if ok1 else None), (num(x4["stage_s"]) if ok4 else None)
        p1, p4 = (num(x1["peak_mib"]) if ok1 else None), (num(x4["peak_mib"]) if ok4 else None)
        r1, r4 = (num(x1["maxrss_mib"]) if x1 else None), (num(x4["maxrss_mib"]) if x4 else None)
        wr, pr = ratio(w1, w4), ratio(p1, p4)
        if not (ok1 and ok4):
            failed = [c for c, x, ok in (("x1", x1, ok1), ("x4", x4, ok4)) if not ok]
            why = "; ".join("%s failed (exit %s)" % (c, (x1 if c == "x1" else x4)["rc"] if (x1 if c == "x1" else x4)
                                                      else "not run") for c in failed)
            wall_v = peak_v = "**FAIL**: " + why
            all_ok = False
        else:
            if wr is None:
                wall_v = "n/a (x1 under 0.01 s)"
            elif wr <= max_wall:
                wall_v = "ok"
            else:
                wall_v, all_ok = "**FAIL**", False
            if pr is not None and pr <= max_peak:
                peak_v = "ok"
            else:
                peak_v, all_ok = "**FAIL**", False
        csv_rows.append([m, s, budget, n, fmt(w1), fmt(w4), fmt(wr, 2), fmt(p1, 1), fmt(p4, 1), fmt(pr, 3), fmt(r1, 1), fmt(r4, 1),
                         mode1, mode4])
        md_rows.append("| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            m, s, budget, n, fmt(w1), fmt(w4), fmt(wr, 2), wall_v, fmt(p1, 1), fmt(p4, 1), fmt(pr, 3), peak_v, fmt(r1, 1),
            fmt(r4, 1), mode1, mode4))
        for c in ("x1", "x4"):
            for x in repeats.get((m, s, c), []):
                details.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | `%s` |" % (
                    m, s, c, x["repeat"], x["memory_gb"], x["mode"], x["rc"], x["stage_s"], x["process_s"],
                    x["maxrss_mib"], x["log"]))
with open(os.path.join(out_dir, "scale.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["model", "stage", "memory_gb", "sentences_x1", "wall_x1_s", "wall_x4_s", "wall_ratio", "peak_x1_mib",
                "peak_x4_mib", "peak_ratio", "maxrss_x1_mib", "maxrss_x4_mib", "mode_x1", "mode_x4"])
    w.writerows(csv_rows)
skipped = sorted(l.rstrip("\n").split("\t", 1) for l in open(not_benched) if l.strip())
md = []
md.append("# Scale benchmark (issue #21)\n")
md.append("- CPU: %s (%s CPUs visible; load average at start %s)" % (cpu, nproc, load))
md.append("- cores used: model.threads = %s, one process per stage run" % threads)
md.append("- binary: `%s` (%s)" % (binary, version))
if memory_gb == "auto":
    md.append("- runtime.memory_gb: auto (column memory GB). MEMORY_GB=auto: each stage at the smallest budget it "
              "accepts plus HOLD_MIB MiB to hold features, the same for x1 and x4 (HOLD_MIB = %s; the smallest budget "
              "from the error of an untimed run on x1 at runtime.memory_gb %s, log STAGE.budget.log; %s GiB for a "
              "stage that ran there: it has no budget)" % (hold_mib, probe_gb, unbudgeted_gb))
else:
    md.append("- runtime.memory_gb: %s (every run)" % memory_gb)
if all(n_of[m] == n_default for m in models):
    md.append("- SENTENCES: %d (x1 = %d training sentences of en_ewt-ud-dev, x4 = %d; test corpus: the first %d of "
              "en_ewt-ud-test for both)" % (n_default, n_default, 4 * n_default, n_default // 4))
else:
    md.append("- SENTENCES: %d, SENTENCES_BY_MODEL: %s (x1 = N training sentences of en_ewt-ud-dev, x4 = 4N; test "
              "corpus: the first N/4 of en_ewt-ud-test for both; N: %s)"
              % (n_default, by_model or "-", ", ".join("%s %d" % (m, n_of[m]) for m in models)))
if any(r["stage"] == "mcrc_finetune" for r in rows):
    md.append("- MC_STORIES: %s (mcrc_finetune: x1 = the first %s MC160 training stories, %d questions, x4 = %d; its "
              "'sentences x1' column is the EWT count of the other stages)"
              % (mc_stories, mc_stories, 4 * int(mc_stories), 16 * int(mc_stories)))
md.append("- runs per (model, corpus, stage): %d%s" % (max(len(v) for v in repeats.values()),
          " (median wall time, peak and max RSS)" if max(len(v) for v in repeats.values()) > 1 else ""))
md.append("- date: %s" % datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z"))
md.append("- command: `%s`\n" % cmdline)
md.append("Wall = the stage's own time and peak = its own peak RSS (VmHWM reset when the stage starts), both from the "
          "binary's `stage STAGE: S s, peak memory P (rank 0)` line; max RSS = `/usr/bin/time -v` of the whole "
          "process (model loading, cache check, stage). Targets: peak ratio x4/x1 <= %g, wall ratio x4/x1 <= %g. "
          "Mode: whether the stage held its features (held) or streamed them from the cache (streamed: any of its "
          "probes did), from its log; - for a stage that logs neither.\n" % (max_peak, max_wall))
md.append("| model | stage | memory GB | sentences x1 | wall x1 s | wall x4 s | wall ratio | wall <= %g | peak x1 MiB "
          "| peak x4 MiB | peak ratio | peak <= %g | max RSS x1 MiB | max RSS x4 MiB | mode x1 | mode x4 |"
          % (max_wall, max_peak))
md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
md.extend(md_rows)
if skipped:
    md.append("\nNot benchmarked:\n")
    for s, why in skipped:
        md.append("- %s: %s" % (s, why))
md.append("\nRuns (stage s: the stage line; process: `/usr/bin/time -v` of the whole process):\n")
md.append("| model | stage | corpus | run | memory GB | mode | exit | stage s | process wall s | process max RSS MiB | log |")
md.append("|---|---|---|---|---|---|---|---|---|---|---|")
md.extend(details)
md.append("\n" + ("PASS: every benchmarked stage meets both targets" if all_ok else
                  "FAIL: not every benchmarked stage meets both targets"))
text = "\n".join(md) + "\n"
with open(os.path.join(out_dir, "scale.md"), "w") as f:
    f.write(text)
sys.stdout.write(text)
print("\nwrote %s and %s" % (os.path.join(out_dir, "scale.csv"), os.path.join(out_dir, "scale.md")), file=sys.stderr)
sys.exit(0 if all_ok else 1)
PY
