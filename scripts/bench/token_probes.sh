#!/usr/bin/env bash
# token_probes benchmark and cross-check: the C++ stage's `upos` probe (summary.csv) against scikit-learn's
# LogisticRegression on the same cache entries (scripts/bench/upos_sklearn.py), in one run.
#
#   scripts/bench/token_probes.sh [CONFIG] [upos_sklearn.py options: --max-iter N --C X]
#
# CONFIG (default configs/studies/probing.yaml) must extract word-pooled vectors (extract.word_pooling: mean)
# of a CoNLL-U corpus and name probe.test_corpus (docs/probing.md).
#  1. untimed: `bertology extract CONFIG` (the train entry) and
#     `bertology extract CONFIG --set corpus.path=<probe.test_corpus>` (the test entry); the entries are the
#     `cache <dir>: complete` lines; probe.test_corpus comes from `bertology config CONFIG --dump-config`;
#  2. timed: the C++ stage alone, `bertology run CONFIG --set 'stages=[token_probes]' --set 'probe.tasks=[upos]'
#     --set probe.seeds=1 --set study.output_dir=<tmp>` (into a temporary folder, so it is not skipped as up
#     to date), REPEATS times (environment, default 1); the run with the smallest stage.json `seconds` is reported;
#  3. upos_sklearn.py on the same two entries and the layers of the stage's summary.csv;
#  4. a table per layer: bertology accuracy (summary.csv `mean`), sklearn accuracy, difference (points); the
#     timings: the C++ stage's `seconds` (whole stage: reading, training, evaluating, writing) and the whole
#     command, sklearn's (a) reading and (b) fitting+predicting; speed-up = sklearn (b) / C++ stage seconds.
#
# The two probes are not the same algorithm (the stage: minibatch Adam with early stopping on a dev split of the
# training sentences, docs/probing.md; sklearn: full-batch L-BFGS on every training word, L2 with C), so the check
# is a tolerance: every layer within 0.5 points. Exit status 0 when every layer is within 0.5 points and the
# speed-up is at least 5x, 1 when either fails, 2 on bad input.
# BERTOLOGY=path (environment): the binary (default build/bertology of this checkout).
set -euo pipefail
usage() { sed -n '5p' "$0" | sed 's/^# *//' >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/scripts/bench
CONFIG=$ROOT/configs/studies/probing.yaml
if [ $# -ge 1 ] && [[ "$1" != --* ]]; then CONFIG=$1; shift; fi
case "${1:-}" in -h|--help) usage ;; esac
SK_ARGS=("$@")
BIN=${BERTOLOGY:-$ROOT/build/bertology}
REPEATS=${REPEATS:-1}
PY=/usr/bin/python3
TOL=0.5      # accuracy points
MIN_SPEEDUP=5
[ -f "$CONFIG" ] || { echo "token_probes.sh: config $CONFIG not found" >&2; exit 2; }
[ -x "$BIN" ] || { echo "token_probes.sh: $BIN is not an executable (build it, or set BERTOLOGY=)" >&2; exit 2; }
$PY -c "import numpy, h5py, sklearn" 2>/dev/null ||
  { echo "token_probes.sh: $PY lacks numpy/h5py/sklearn (apt-get install python3-numpy python3-h5py python3-sklearn)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# probe.test_corpus from the effective config (paths there are absolute).
"$BIN" config "$CONFIG" --dump-config > "$work/config.yaml" 2> "$work/config.err" ||
  { cat "$work/config.err" >&2; echo "token_probes.sh: bertology config $CONFIG --dump-config failed" >&2; exit 2; }
TEST_CORPUS=$(awk '/^probe:/ { p = 1; next } /^[^ #]/ { p = 0 }
                   p && /^  test_corpus:/ { sub(/^  test_corpus:[ ]*/, ""); gsub(/^"|"$/, ""); print; exit }' "$work/config.yaml")
[ -n "$TEST_CORPUS" ] || { echo "token_probes.sh: $CONFIG has no probe.test_corpus" >&2; exit 2; }

# 1. The two entries (untimed; reused when already complete).
entry_of() {  # LOG -> the entry directory of its `cache <dir>: complete` line
  sed -n 's/^cache \(.*\): complete.*/\1/p' "$1" | tail -1
}
"$BIN" extract "$CONFIG" > "$work/extract_train.log" 2>&1 ||
  { cat "$work/extract_train.log" >&2; echo "token_probes.sh: extraction of the train corpus failed" >&2; exit 2; }
"$BIN" extract "$CONFIG" --set "corpus.path=$TEST_CORPUS" > "$work/extract_test.log" 2>&1 ||
  { cat "$work/extract_test.log" >&2; echo "token_probes.sh: extraction of the test corpus failed" >&2; exit 2; }
TRAIN_ENTRY=$(entry_of "$work/extract_train.log"); TEST_ENTRY=$(entry_of "$work/extract_test.log")
[ -n "$TRAIN_ENTRY" ] && [ -n "$TEST_ENTRY" ] ||
  { cat "$work/extract_train.log" "$work/extract_test.log" >&2; echo "token_probes.sh: no 'cache <dir>: complete' line" >&2; exit 2; }
echo "config $CONFIG; train entry $TRAIN_ENTRY; test entry $TEST_ENTRY ($TEST_CORPUS); $(nproc) CPUs" >&2

# 2. The C++ stage, REPEATS times; the run with the smallest stage `seconds` is kept.
best=; CPP_WALL=
for rep in $(seq 1 "$REPEATS"); do
  rm -rf "$work/results"
  t0=$(date +%s.%N)
  "$BIN" run "$CONFIG" --set 'stages=[token_probes]' --set 'probe.tasks=[upos]' --set probe.seeds=1 \
    --set "study.output_dir=$work/results" > "$work/run.log" 2>&1 ||
    { cat "$work/run.log" >&2; echo "token_probes.sh: bertology run failed" >&2; exit 2; }
  t1=$(date +%s.%N)
  stage_json=$(ls "$work"/results/*/token_probes/stage.json 2>/dev/null | head -1)
  [ -n "$stage_json" ] || { cat "$work/run.log" >&2; echo "token_probes.sh: no <output>/*/token_probes/stage.json" >&2; exit 2; }
  sec=$($PY -c "
import json, sys
s = json.load(open(sys.argv[1])).get('seconds')
if not isinstance(s, (int, float)) or isinstance(s, bool): sys.exit('token_probes.sh: %s has no numeric seconds' % sys.argv[1])
print(s)" "$stage_json") || exit 2
  echo "C++ run $rep/$REPEATS: stage $sec s" >&2
  if [ -z "$best" ] || [ "$($PY -c "print(int($sec < $best))")" = 1 ]; then
    best=$sec; CPP_WALL=$($PY -c "print($t1 - $t0)")
    rm -rf "$work/best"; cp -r "$work/results" "$work/best"
  fi
done
STAGE_JSON=$(ls "$work"/best/*/token_probes/stage.json)
SUMMARY=$(dirname "$STAGE_JSON")/summary.csv
[ -f "$SUMMARY" ] || { echo "token_probes.sh: $SUMMARY not found" >&2; exit 2; }
for e in "$TRAIN_ENTRY" "$TEST_ENTRY"; do
  grep -q "$(basename "$e")" "$STAGE_JSON" ||
    echo "warning: $STAGE_JSON does not mention the entry $(basename "$e"): did the stage read it?" >&2
done
# The stage's upos layers (sklearn fits those only).
LAYERS=$($PY - "$SUMMARY" <<'PY'
import csv, sys
with open(sys.argv[1], newline="") as f:
    r = csv.DictReader(f)
    if r.fieldnames != ["task", "layer", "mean", "sd", "runs"]:
        sys.exit("token_probes.sh: %s: columns %s, expected task,layer,mean,sd,runs" % (sys.argv[1], r.fieldnames))
    layers = sorted({int(x["layer"]) for x in r if x["task"] == "upos"})
if not layers:
    sys.exit("token_probes.sh: %s has no upos rows" % sys.argv[1])
print(",".join(map(str, layers)))
PY
) || exit 2

# 3. scikit-learn on the same entries.
t0=$(date +%s.%N)
$PY "$HERE/upos_sklearn.py" "$TRAIN_ENTRY" "$TEST_ENTRY" --layers "$LAYERS" ${SK_ARGS[@]+"${SK_ARGS[@]}"} > "$work/sk.txt" ||
  { cat "$work/sk.txt" >&2; echo "token_probes.sh: upos_sklearn.py failed" >&2; exit 2; }
t1=$(date +%s.%N)
sed '$d' "$work/sk.txt" >&2  # its table and timings (not its JSON line)
tail -1 "$work/sk.txt" > "$work/sk.json"

# 4. Side by side.
$PY - "$SUMMARY" "$work/sk.json" "$best" "$CPP_WALL" "$($PY -c "print($t1 - $t0)")" "$TOL" "$MIN_SPEEDUP" <<'PY'
import csv, json, sys
summary, sk_path = sys.argv[1], sys.argv[2]
cpp_s, cpp_wall, sk_wall, tol, min_speedup = (float(x) for x in sys.argv[3:8])
with open(summary, newline="") as f:
    cpp = {int(x["layer"]): (float(x["mean"]), float(x["sd"]), int(x["runs"])) for x in csv.DictReader(f)
           if x["task"] == "upos"}
sk = json.load(open(sk_path))
ref = {r["layer"]: r for r in sk["layers"]}
layers = sorted(set(cpp) | set(ref))
print("\nupos: train %d words, test %d words; sklearn LogisticRegression(C=%g, max_iter=%d)"
      % (sk["train_words"], sk["test_words"], sk["C"], sk["max_iter"]))
print("\n| layer | bertology % | sklearn % | difference (points) | sklearn fit+predict s |")
print("|---|---|---|---|---|")
diffs, missing = [], []
for l in layers:
    if l not in cpp or l not in ref:
        missing.append(l)
        print("| %d | %s | %s | missing | |" % (l, "%.2f" % cpp[l][0] if l in cpp else "-",
                                               "%.2f" % ref[l]["accuracy"] if l in ref else "-"))
        continue
    d = cpp[l][0] - ref[l]["accuracy"]
    diffs.append(abs(d))
    print("| %d | %.2f | %.2f | %+.2f | %.3f%s |" % (l, cpp[l][0], ref[l]["accuracy"], d, ref[l]["seconds"],
          "" if ref[l].get("converged", True) else " (max_iter)"))
max_diff = max(diffs, default=float("nan"))
speedup = sk["fit_seconds"] / cpp_s if cpp_s > 0 else float("inf")
print("\n| token_probes upos, %d layers | seconds | |" % len(layers))
print("|---|---|---|")
print("| C++ stage (stage.json `seconds`: reading, training, evaluating, writing) | %.3f | |" % cpp_s)
print("| C++ whole command (process start-up, config, cache check, stage) | %.3f | |" % cpp_wall)
print("| sklearn (a) reading: CoNLL-U + HDF5 | %.3f | |" % sk["read_seconds"])
print("| sklearn (b) fitting + predicting | %.3f | speed-up of C++: %.1f× |" % (sk["fit_seconds"], speedup))
print("| sklearn (a)+(b) | %.3f | %.1f× |" % (sk["read_seconds"] + sk["fit_seconds"],
                                              (sk["read_seconds"] + sk["fit_seconds"]) / cpp_s if cpp_s > 0 else float("inf")))
print("| sklearn whole command (python start-up, imports) | %.3f | |" % sk_wall)
acc_ok = not missing and diffs and max_diff <= tol
speed_ok = speedup >= min_speedup
print("\naccuracy: " + ("every layer within %.1f points (max |difference| %.2f)" % (tol, max_diff) if acc_ok else
      "NOT every layer within %.1f points (max |difference| %.2f%s)" % (tol, max_diff,
      "; layers missing on one side: %s" % missing if missing else "")))
print("speed-up: %.1f× %s %g×" % (speedup, "≥" if speed_ok else "<", min_speedup))
print("\n" + ("PASS" if acc_ok and speed_ok else "FAIL"))
sys.exit(0 if acc_ok and speed_ok else 1)
PY
