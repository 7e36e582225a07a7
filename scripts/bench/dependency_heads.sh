#!/usr/bin/env bash
# dependency_heads benchmark and cross-check: the C++ stage's heads.csv against the plain numpy
# re-implementation of Clark et al.'s notebook (scripts/bench/dependency_heads_numpy.py), on the same
# cache entry.
#
#   scripts/bench/dependency_heads.sh CACHE_ENTRY_DIR CPP_HEADS_CSV [STAGE_JSON] [--word-from mean|first] [--min-count N] [--poss-rule contract|notebook]
#   scripts/bench/dependency_heads.sh CONFIG.yaml [options]      (e.g. configs/studies/clark2019.yaml)
#
# With a config: extracts (or reuses) its cache entry, untimed; then runs the C++ stage alone
# (`bertology run CONFIG --set stages=[dependency_heads]` into a temporary output folder, so it is not
# skipped as up to date), timed, and compares it with the numpy script on the same entry, in one run.
#
# CACHE_ENTRY_DIR   the entry the stage read (single sentences with attention: key.json "attention": true,
#                   "pairs": false), e.g. cache/9c3b9213c4c4a575 (`bertology cache ls` lists them)
# CPP_HEADS_CSV     the stage's output, e.g. results/clark2019/<model>/dependency_heads/heads.csv
# STAGE_JSON        its stage.json (default: beside heads.csv); its numeric `seconds` is the C++ time
# --word-from, --min-count: the stage's clark.word_from / clark.min_relation_count; when not given they are
#                   looked up in stage.json (keys word_from / min_relation_count, at any depth), else mean / 100.
# --poss-rule       passed to the numpy script: `notebook` (default: as the released notebook and the C++
#                   stage, the next word's prediction is scored instead) or `contract` (a variant).
# REPEATS=N (environment, default 1): runs of each side (the C++ stage in config mode); the fastest are reported.
#
# Compares every row (relation, layer, head, direction): the same `correct` and `count` integers, the same
# set of rows; reports the number of differing rows and the largest |accuracy difference| (percent points).
# Timings: the C++ stage's `seconds` (whole stage: reading + computing + writing) beside the numpy script's
# (a) reading (CoNLL-U + HDF5), (b) computing, their sum, and the whole command's wall (python start-up and
# imports included); speed-up = numpy (a)+(b) / C++ seconds. Exit status 0 when every row agrees, 1 otherwise.
set -euo pipefail
usage() { sed -n '6p' "$0" | sed 's/^# *//' >&2; exit 2; }
[ $# -ge 1 ] || usage
STAGE_JSON=; CPP_WALL=
if [[ "$1" == *.yaml ]]; then
  CONFIG=$1; shift
  BIN=${BERTOLOGY:-$(cd "$(dirname "$0")/../.." && pwd)/build/bertology}
  cpp_out=$(mktemp -d)
  "$BIN" extract "$CONFIG" > "$cpp_out/extract.log"
  # REPEATS runs of the stage too; the one with the smallest stage `seconds` is reported.
  best=
  for rep in $(seq 1 "${REPEATS:-1}"); do
    rm -rf "$cpp_out/results"
    t0=$(date +%s.%N)
    "$BIN" run "$CONFIG" --set 'stages=[dependency_heads]' --set "study.output_dir=$cpp_out/results" > "$cpp_out/run.log"
    t1=$(date +%s.%N)
    sec=$(/usr/bin/python3 -c "import json,glob; print(json.load(open(glob.glob('$cpp_out/results/*/dependency_heads/stage.json')[0]))['seconds'])")
    if [ -z "$best" ] || [ "$(echo "$sec < $best" | bc)" = 1 ]; then
      best=$sec; CPP_WALL=$(echo "$t1 - $t0" | bc)
      rm -rf "$cpp_out/best"; cp -r "$cpp_out/results" "$cpp_out/best"
    fi
  done
  ENTRY=$(sed -n 's/^cache \(.*\): complete.*/\1/p' "$cpp_out/run.log")
  CPP_CSV=$(ls "$cpp_out"/best/*/dependency_heads/heads.csv)
else
  [ $# -ge 2 ] || usage
  ENTRY=$1; CPP_CSV=$2; shift 2
  if [ $# -gt 0 ] && [[ "$1" != --* ]]; then STAGE_JSON=$1; shift; fi
fi
STAGE_JSON=${STAGE_JSON:-$(dirname "$CPP_CSV")/stage.json}
WORD_FROM=; MIN_COUNT=; POSS_RULE=notebook
while [ $# -gt 0 ]; do
  case "$1" in
    --word-from) WORD_FROM=${2:?}; shift 2 ;;
    --min-count) MIN_COUNT=${2:?}; shift 2 ;;
    --poss-rule) POSS_RULE=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
REPEATS=${REPEATS:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
[ -f "$ENTRY/plan.json" ] || { echo "dependency_heads.sh: $ENTRY is not a cache entry (no plan.json)" >&2; exit 2; }
[ -f "$CPP_CSV" ] || { echo "dependency_heads.sh: $CPP_CSV not found" >&2; exit 2; }
[ -f "$STAGE_JSON" ] || { echo "dependency_heads.sh: $STAGE_JSON not found (pass STAGE_JSON)" >&2; exit 2; }
$PY -c "import numpy, h5py" 2>/dev/null || { echo "dependency_heads.sh: $PY lacks numpy/h5py (apt-get install python3-numpy python3-h5py)" >&2; exit 2; }

# Parameters not given: from stage.json, else the defaults.
read -r SJ_WORD_FROM SJ_MIN_COUNT SJ_SECONDS SJ_HAS_ENTRY < <($PY - "$STAGE_JSON" "$ENTRY" <<'PY'
import json, os, sys
s = json.load(open(sys.argv[1]))
found = {}
def walk(x):
    if isinstance(x, dict):
        for k, v in x.items():
            k2 = k.split(".")[-1]
            if k2 in ("word_from", "min_relation_count") and not isinstance(v, (dict, list)):
                found.setdefault(k2, v)
            walk(v)
    elif isinstance(x, list):
        for v in x:
            walk(v)
walk(s)
sec = s.get("seconds")
if not isinstance(sec, (int, float)):
    sys.exit("dependency_heads.sh: %s has no numeric `seconds`" % sys.argv[1])
entry = os.path.basename(os.path.normpath(sys.argv[2]))
print(found.get("word_from", "-"), found.get("min_relation_count", "-"), sec, int(entry in json.dumps(s)))
PY
)
[ -n "${SJ_SECONDS:-}" ] || exit 2  # the message came from python
WORD_FROM=${WORD_FROM:-$([ "$SJ_WORD_FROM" = - ] && echo mean || echo "$SJ_WORD_FROM")}
MIN_COUNT=${MIN_COUNT:-$([ "$SJ_MIN_COUNT" = - ] && echo 100 || echo "$SJ_MIN_COUNT")}
[ "$SJ_HAS_ENTRY" = 1 ] || echo "warning: $STAGE_JSON does not mention the entry $(basename "$ENTRY"): is it the entry the stage read?" >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "entry $ENTRY; C++ output $CPP_CSV (stage.json seconds $SJ_SECONDS); word_from $WORD_FROM, min_count $MIN_COUNT, poss_rule $POSS_RULE; $(nproc) CPUs" >&2
for rep in $(seq 1 "$REPEATS"); do
  t0=$(date +%s.%N)
  $PY "$HERE/dependency_heads_numpy.py" "$ENTRY" --word-from "$WORD_FROM" --min-count "$MIN_COUNT" --poss-rule "$POSS_RULE" \
    --out "$work/heads.csv" > "$work/out.txt"
  t1=$(date +%s.%N)
  if [ "$rep" = 1 ]; then sed '$d' "$work/out.txt" >&2; fi  # the numpy script's summary (not its JSON line)
  tail -1 "$work/out.txt" | $PY -c "import json,sys; d=json.load(sys.stdin); d['wall_seconds']=$t1-$t0; print(json.dumps(d))" >> "$work/runs.jsonl"
done

$PY - "$CPP_CSV" "$work/heads.csv" "$work/runs.jsonl" "$SJ_SECONDS" "${CPP_WALL:-}" <<'PY'
import csv, json, sys
cpp_path, np_path, runs_path, cpp_seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
cpp_wall = float(sys.argv[5]) if sys.argv[5] else None
COLS = ["relation", "layer", "head", "direction", "correct", "count", "accuracy"]
def load(path):
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        if r.fieldnames != COLS:
            sys.exit("%s: columns %s, expected %s" % (path, r.fieldnames, COLS))
        rows = {}
        for x in r:
            k = (x["relation"], int(x["layer"]), int(x["head"]), x["direction"])
            if k in rows:
                sys.exit("%s: row %s twice" % (path, k))
            rows[k] = (int(x["correct"]), int(x["count"]), float(x["accuracy"]))
        return rows
cpp, ref = load(cpp_path), load(np_path)
only_cpp, only_np = sorted(set(cpp) - set(ref)), sorted(set(ref) - set(cpp))
common = sorted(set(cpp) & set(ref))
differ = [k for k in common if cpp[k][:2] != ref[k][:2]]
max_acc = max((abs(cpp[k][2] - ref[k][2]) for k in common), default=0.0)
self_acc = max((abs(v[2] - (100.0 * v[0] / v[1] if v[1] else 0.0)) for v in cpp.values()), default=0.0)
print("\nrows: C++ %d, numpy %d, common %d; only in C++ %d, only in numpy %d" % (len(cpp), len(ref), len(common), len(only_cpp), len(only_np)))
for name, ks in (("only in C++", only_cpp), ("only in numpy", only_np)):
    rels = sorted({k[0] for k in ks})
    if rels:
        print("  %s: relations %s" % (name, ", ".join(rels[:20]) + (" ..." if len(rels) > 20 else "")))
print("rows with a different correct or count: %d" % len(differ))
for k in differ[:10]:
    print("  %s %d-%d %s: C++ %d/%d, numpy %d/%d" % (k + cpp[k][:2] + ref[k][:2]))
print("max |accuracy difference|: %.6g percent points (C++ accuracy vs its own correct/count: %.2g)" % (max_acc, self_acc))
runs = [json.loads(l) for l in open(runs_path)]
b = min(runs, key=lambda r: r["read_seconds"] + r["compute_seconds"])
np_s = b["read_seconds"] + b["compute_seconds"]
print("\n| dependency_heads, %d sequences, %d words | seconds | |" % (b["num_sequences"], b["num_words"]))
print("|---|---|---|")
print("| C++ stage (stage.json `seconds`: reading, computing, writing) | %.3f | |" % cpp_seconds)
if cpp_wall is not None:
    print("| C++ whole command (process start-up, config, cache check, stage) | %.3f | |" % cpp_wall)
print("| numpy (a) reading: CoNLL-U + HDF5 | %.3f | |" % b["read_seconds"])
print("| numpy (b) computing | %.3f | |" % b["compute_seconds"])
print("| numpy (a)+(b) | %.3f | speed-up of C++: %.1f× |" % (np_s, np_s / cpp_seconds if cpp_seconds > 0 else float("inf")))
print("| numpy whole command (python start-up, imports, writing) | %.3f | %.1f× |" % (b["wall_seconds"], b["wall_seconds"] / cpp_seconds if cpp_seconds > 0 else float("inf")))
if len(runs) > 1:
    print("numpy (a)+(b) over %d runs: %.3f–%.3f s" % (len(runs), min(r["read_seconds"] + r["compute_seconds"] for r in runs),
                                                   max(r["read_seconds"] + r["compute_seconds"] for r in runs)))
ok = not differ and not only_cpp and not only_np
print("\n" + ("AGREE: every row has the same correct and count" if ok else "DIFFER"))
sys.exit(0 if ok else 1)
PY
