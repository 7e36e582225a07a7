#!/usr/bin/env bash
# Fuzz the parsers and loaders (fuzz/, issue #19) with libFuzzer + ASan + UBSan.
#
#   scripts/fuzz.sh build                 configure and build build-fuzz/ (clang; no LibTorch)
#   scripts/fuzz.sh TARGET [SECONDS]      a campaign (default 600 s) on one target; the corpus it
#                                         grows stays in build-fuzz/corpus/TARGET, crashes go to
#                                         build-fuzz/findings/TARGET/
#   scripts/fuzz.sh replay [SECONDS]      every target over its seeds and fuzz/regressions/TARGET
#                                         (committed minimised findings), then SECONDS of fuzzing
#                                         each (default 15): what .ci/run does
#   scripts/fuzz.sh list                  the targets
# Seeds come from the test fixtures and configs/samples (seed_files below), dictionaries from
# fuzz/dict/. fuzz_cache_reader mutates a real cache entry that the main build extracts first
# (build/bertology, or $BERTOLOGY_BUILD/bertology: scripts/setup.sh makes it). Limits: 2 GB RSS, 512 MB per allocation, 10 s per input (a slower input is a finding).
# Exit status: 0 nothing found, 1 a finding (its input and the sanitizer report are printed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD_FUZZ:-build-fuzz}
TARGETS=(fuzz_safetensors fuzz_torch_bin fuzz_model_files fuzz_tokenizer fuzz_conllu fuzz_conllx
         fuzz_open_sesame fuzz_text fuzz_jsonl fuzz_ptb fuzz_mctest fuzz_dream fuzz_mcscript fuzz_race
         fuzz_coref_gum fuzz_coref_conll2012 fuzz_config fuzz_cache_reader)
LIMITS=(-rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 -max_len=65536)

seed_files() {  # TARGET -> the fixture files its seeds are made of (one seed each, unless noted)
  case $1 in
    fuzz_safetensors) echo tests/fixtures/checkpoints/tiny.safetensors tests/fixtures/models/tiny_mlm_gelu/model.safetensors ;;
    fuzz_torch_bin) ls tests/fixtures/checkpoints/*.bin ;;
    fuzz_tokenizer) echo configs/samples/ewt_dev_sentences.txt tests/fixtures/corpus/sample.txt ;;
    fuzz_conllu) echo tests/fixtures/corpus/ewt_dev_first30.conllu ;;
    fuzz_conllx) echo tests/fixtures/corpus/handmade.conllx ;;
    fuzz_open_sesame) ls tests/fixtures/corpus/open_sesame/* | grep -v LICENSE ;;
    fuzz_text) echo tests/fixtures/corpus/sample.txt configs/samples/ewt_dev_sentences.txt ;;
    fuzz_jsonl) echo tests/fixtures/corpus/sample.jsonl ;;
    fuzz_ptb) find tests/fixtures/ptb -name '*.mrg' -o -name '*.penn' ;;
    fuzz_dream) echo tests/fixtures/mcrc/dream_handmade.json ;;
    fuzz_mcscript) echo tests/fixtures/mcrc/mcscript_handmade.xml ;;
    fuzz_race) find tests/fixtures/mcrc/race -name '*.txt' ;;
    fuzz_coref_gum) echo tests/fixtures/coref/gum_style.conllu ;;
    fuzz_coref_conll2012) echo tests/fixtures/coref/litbank_excerpt.conll ;;
    fuzz_config) ls configs/studies/*.yaml ;;
  esac
}

cache_seed() {  # the small real entry fuzz_cache_reader mutates: $BUILD/cache_seed/cache/<key16>
  local dir; dir=$(cd "$BUILD" && pwd)/cache_seed; local bertology=${BERTOLOGY_BUILD:-build}/bertology
  ls "$dir"/cache/*/manifest.json >/dev/null 2>&1 && return 0
  [ -x "$bertology" ] || { echo "fuzz.sh: fuzz_cache_reader needs $bertology to extract its entry (scripts/setup.sh)" >&2; exit 2; }
  rm -rf "$dir"; mkdir -p "$dir"
  # Six short sentences in four chunks (chunk_tokens 20), words split into pieces, one skipped as overlong.
  printf '%s\n' "the cat sat on the mat ." "the dog ran and the cats sat on a mat , xyz ." "hello world !" \
    "dogs and cats are friends" "abc" "the cats and dogs are mostly friends !" \
    "a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n" > "$dir/sentences.txt"
  cat > "$dir/study.yaml" <<EOF
model: {path: $ROOT/tests/fixtures/models/tiny_mlm_gelu, threads: 1}
corpus: {path: $dir/sentences.txt, format: text}
extract: {dtype: float16, chunk_tokens: 20, layers: [0, 2], attention: true, attention_layers: [1],
          attention_heads: [1, 3], word_pooling: mean}
cache: {dir: $dir/cache}
EOF
  "$bertology" extract "$dir/study.yaml" > "$dir/extract.log" 2>&1 ||
    { cat "$dir/extract.log" >&2; echo "fuzz.sh: extracting the fuzz_cache_reader entry failed" >&2; exit 2; }
}

make_seeds() {  # TARGET -> build-fuzz/seeds/TARGET
  local t=$1 dir=$BUILD/seeds/$1 sep=$'\n#####\n'
  rm -rf "$dir"; mkdir -p "$dir"
  case $t in
    fuzz_model_files)  # config.json, tokenizer_config.json, vocab.txt in one input
      for m in tests/fixtures/models/tiny_*/; do
        [ -f "$m/vocab.txt" ] || continue
        { cat "$m/config.json"; printf '%s' "$sep"; cat "$m/tokenizer_config.json" 2>/dev/null || true; printf '%s' "$sep"; cat "$m/vocab.txt"; } > "$dir/$(basename "$m")"
      done ;;
    fuzz_mctest)
      { cat tests/fixtures/mcrc/mc160.dev.first2.tsv; printf '%s' "$sep"; cat tests/fixtures/mcrc/mc160.dev.first2.ans; } > "$dir/first2" ;;
    fuzz_tokenizer)  # one sentence per seed
      local n=0
      for f in $(seed_files "$t"); do
        while IFS= read -r line && [ $n -lt 60 ]; do printf '%s' "$line" > "$dir/line$n"; n=$((n + 1)); done < "$f"
      done ;;
    fuzz_cache_reader)  # 12-byte edits (fuzz/fuzz_cache_reader.cpp); none = the pristine entry
      cache_seed
      : > "$dir/pristine"
      printf '\x04\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00' > "$dir/sentence_a"
      printf '\x13\x01\x01\x00\x02\x00\x00\x00\x00\x00\x00\x00' > "$dir/offsets_nudge"
      printf '\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' > "$dir/hidden_column" ;;
    fuzz_config)
      for f in $(seed_files "$t"); do { cat "$f"; printf '%s' "$sep"; echo "model.threads=1"; } > "$dir/$(basename "$f")"; done ;;
    *)
      for f in $(seed_files "$t"); do cp "$f" "$dir/$(echo "$f" | tr '/' '_')"; done ;;
  esac
}

dict_of() {
  case $1 in
    fuzz_safetensors|fuzz_dream|fuzz_race|fuzz_jsonl|fuzz_model_files) echo fuzz/dict/json.dict ;;
    fuzz_torch_bin) echo fuzz/dict/torch_bin.dict ;;
    fuzz_mcscript) echo fuzz/dict/xml.dict ;;
    fuzz_config) echo fuzz/dict/yaml.dict ;;
    fuzz_conllu|fuzz_conllx|fuzz_coref_gum|fuzz_coref_conll2012) echo fuzz/dict/conll.dict ;;
    fuzz_ptb) echo fuzz/dict/ptb.dict ;;
  esac
}

build() {
  cmake -S . -B "$BUILD" -DBERTOLOGY_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD" -j "${JOBS:-2}"
}

# run TARGET SECONDS [extra libFuzzer args]: fuzz, then report execs/s and coverage.
run() {
  local t=$1 seconds=$2; shift 2
  [ -x "$BUILD/$t" ] || { echo "fuzz.sh: $BUILD/$t not built (scripts/fuzz.sh build)" >&2; exit 2; }
  make_seeds "$t"
  local corpus=$BUILD/corpus/$t findings=$BUILD/findings/$t regressions=fuzz/regressions/$t
  mkdir -p "$corpus" "$findings" "$regressions"
  local dict; dict=$(dict_of "$t")
  local log=$BUILD/logs/$t.log; mkdir -p "$BUILD/logs"
  local status=0 start; start=$(date +%s)
  "$BUILD/$t" "${LIMITS[@]}" ${dict:+-dict=$dict} -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$findings/" "$@" "$corpus" "$BUILD/seeds/$t" "$regressions" >"$log" 2>&1 || status=$?
  local execs rate cov elapsed=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  printf '%-22s %5s s  %10s execs  %8s execs/s  cov %6s  %s\n' "$t" "$elapsed" "${execs:-?}" \
    "${rate:-?}" "${cov:-?}" "$([ $status = 0 ] && echo ok || echo FINDING)"
  if [ $status != 0 ]; then
    grep -aE 'ERROR|finding|SUMMARY|Test unit written|^    #[0-9] ' "$log" | cut -c1-300 | head -30 >&2
    return 1
  fi
}

replay() {  # every target: seeds + regressions once, then SECONDS of fuzzing
  local seconds=${1:-15} failed=0
  for t in "${TARGETS[@]}"; do
    make_seeds "$t"
    mkdir -p "fuzz/regressions/$t"
    if ! "$BUILD/$t" "${LIMITS[@]}" -runs=0 "$BUILD/seeds/$t" "fuzz/regressions/$t" >"$BUILD/replay_$t.log" 2>&1; then
      echo "fuzz.sh replay: $t fails on a seed or regression input:" >&2
      grep -aE 'ERROR|finding|SUMMARY|Test unit written' "$BUILD/replay_$t.log" | cut -c1-300 | head -10 >&2
      failed=1
      continue
    fi
    run "$t" "$seconds" || failed=1
  done
  return $failed
}

case ${1:-} in
  build) build ;;
  list) printf '%s\n' "${TARGETS[@]}" ;;
  replay) replay "${2:-15}" ;;
  fuzz_*) run "$1" "${2:-600}" ;;
  *) sed -n '2,16p' "$0"; exit 2 ;;
esac
