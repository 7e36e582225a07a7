#!/usr/bin/env bash
# edge_probing benchmark and cross-check: the C++ stage's edge probes (POS and dependency labels, every
# layer, one seed) against an independent PyTorch implementation of the same probe and recipe
# (scripts/bench/edge_probe_torch.py) on the same cache entries, one after the other in one run.
#
#   scripts/bench/edge_probing.sh [CONFIG]   (environment: EPOCHS=10, SEEDS=3, BERTOLOGY=build/bertology)
#
# CONFIG (default configs/studies/tenney2019.yaml) names a CoNLL-U corpus, probe.test_corpus and
# extract.word_pooling mean (the entries hold every layer's wordpieces).
#  1. untimed: `bertology extract` of the corpus and of probe.test_corpus (reused when complete);
#  2. timed: `bertology run CONFIG` with stages [edge_probing], tasks [pos, deps], no coreference, no
#     cumulative probes, SEEDS seeds (runtime.seed + 0..SEEDS-1), lr 1e-3, EPOCHS epochs (patience = EPOCHS, so both sides train every
#     epoch; the learning rate halves after lr_patience 3 epochs without a better dev F1, on both sides);
#     the time is the stage's stage.json `seconds` (reading, training, evaluating, writing);
#  3. timed: edge_probe_torch.py with the same settings and seeds, 2 threads; its time = feature read +
#     every job;
#  4. a table per (task, layer): F1 of both (mean over the seeds) and the difference; the mean F1 of
#     both, and per seed; speed-up = PyTorch time / C++ time.
# Why several seeds: one seed sets the initial weights of every job alike (both sides), so its luck is
# shared by all 14 probes; with one seed the two sides' means differed by up to 0.8 points (2026-12-06).
# Exit status 0 when the mean test F1 of the two sides is within 0.5 points and the speed-up is at
# least 3x, 1 when either fails, 2 on bad input.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CONFIG=${1:-$ROOT/configs/studies/tenney2019.yaml}
BIN=${BERTOLOGY:-$ROOT/build/bertology}
EPOCHS=${EPOCHS:-10}
SEEDS=${SEEDS:-3}
PY=${PYTHON:-$ROOT/.venv-torch2/bin/python}
TOL=0.5
MIN_SPEEDUP=3
[ -f "$CONFIG" ] || { echo "edge_probing.sh: config $CONFIG not found" >&2; exit 2; }
[ -x "$BIN" ] || { echo "edge_probing.sh: $BIN is not an executable (build it, or set BERTOLOGY=)" >&2; exit 2; }
"$PY" -c "import torch, h5py, numpy" 2>/dev/null ||
  { echo "edge_probing.sh: $PY lacks torch/h5py/numpy (scripts/setup.sh --reference makes .venv-torch2)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$BIN" config "$CONFIG" --dump-config > "$work/config.yaml"
field() {  # SECTION KEY -> value from the dumped config
  awk -v s="$1:" -v k="  $2:" '$0 == s { p = 1; next } /^[^ #]/ { p = 0 }
       p && index($0, k) == 1 { sub(/^[^:]*:[ ]*/, ""); gsub(/^"|"$/, ""); print; exit }' "$work/config.yaml"
}
TRAIN_CORPUS=$(field corpus path); TEST_CORPUS=$(field probe test_corpus)
[ -n "$TEST_CORPUS" ] || { echo "edge_probing.sh: $CONFIG has no probe.test_corpus" >&2; exit 2; }

entry_of() { sed -n 's/^cache \(.*\): complete.*/\1/p' "$1" | tail -1; }
"$BIN" extract "$CONFIG" > "$work/train.log" 2>&1 || { cat "$work/train.log" >&2; exit 2; }
"$BIN" extract "$CONFIG" --set "corpus.path=$TEST_CORPUS" > "$work/test.log" 2>&1 || { cat "$work/test.log" >&2; exit 2; }
TRAIN_ENTRY=$(entry_of "$work/train.log"); TEST_ENTRY=$(entry_of "$work/test.log")
CPU=$(sed -n 's/^model name[ \t]*: //p' /proc/cpuinfo | head -1)
echo "config $CONFIG; entries $TRAIN_ENTRY, $TEST_ENTRY; $EPOCHS epochs; CPU: $CPU ($(nproc) cores)"

"$BIN" run "$CONFIG" --set 'stages=[edge_probing]' --set 'edge.tasks=[pos, deps]' --set 'edge.coref_corpus=[]' \
  --set 'edge.jiant_dirs=[]' --set edge.cumulative=false --set "edge.seeds=$SEEDS" --set 'edge.layers=[]' \
  --set edge.lr=0.001 --set "edge.max_epochs=$EPOCHS" --set "edge.patience=$EPOCHS" --set edge.lr_patience=3 \
  --set model.threads=2 --set "study.output_dir=$work/cpp" > "$work/cpp.log" 2>&1 || { cat "$work/cpp.log" >&2; exit 2; }
SEED=$("$BIN" config "$CONFIG" --dump-config | awk '/^runtime:/ { p = 1; next } /^[^ #]/ { p = 0 } p && $1 == "seed:" { print $2; exit }')
for ((k = 0; k < SEEDS; ++k)); do
  "$PY" "$ROOT/scripts/bench/edge_probe_torch.py" --train-entry "$TRAIN_ENTRY" --test-entry "$TEST_ENTRY" \
    --train-conllu "$TRAIN_CORPUS" --test-conllu "$TEST_CORPUS" --tasks pos,deps --layers all --threads 2 \
    --lr 0.001 --max-epochs "$EPOCHS" --patience "$EPOCHS" --lr-patience 3 --seed $((SEED + k)) \
    --out "$work/torch-$k.jsonl" > "$work/torch-$k.log" 2>&1 || { cat "$work/torch-$k.log" >&2; exit 2; }
done

"$PY" - "$work" "$TOL" "$MIN_SPEEDUP" "$SEEDS" <<'PY'
import csv, glob, json, re, sys
work, tol, min_speedup, seeds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
stage = glob.glob(work + "/cpp/*/edge_probing")[0]
cpp_seconds = json.load(open(stage + "/stage.json"))["seconds"]
cpp = {}  # (task, layer) -> test F1 per seed
for r in csv.DictReader(open(stage + "/results.csv")):
    cpp.setdefault((r["task"], int(r["layer"])), {})[int(r["run"])] = float(r["test_f1"])
ref, torch_seconds, read = {}, 0.0, 0.0
for k in range(seeds):
    for line in open("%s/torch-%d.jsonl" % (work, k)):
        r = json.loads(line)
        ref.setdefault((r["task"], int(r["layer"])), {})[k] = r["test_f1"]
        torch_seconds += r["seconds"]
    m = re.search(r"read_seconds[\" =:]+([0-9.]+)", open("%s/torch-%d.log" % (work, k)).read())
    read += float(m.group(1)) if m else 0.0
torch_seconds += read
mean = lambda v: sum(v) / len(v)
print("| task | layer | bertology F1 | PyTorch F1 | difference |\n|---|---|---|---|---|")
keys = sorted(ref, key=lambda key: (key[0] != "pos", key[1]))
for key in keys:
    ours, theirs = mean(list(cpp[key].values())), mean(list(ref[key].values()))
    print("| %s | %d | %.2f | %.2f | %+.2f |" % (key[0], key[1], ours, theirs, ours - theirs))
mean_cpp = mean([mean(list(cpp[key].values())) for key in keys])
mean_ref = mean([mean(list(ref[key].values())) for key in keys])
per_seed = lambda side: ", ".join("%.2f" % mean([side[key][k] for key in keys]) for k in range(seeds))
speedup = torch_seconds / cpp_seconds
print("\nmean test F1 over %d probes x %d seeds: bertology %.2f, PyTorch %.2f (difference %+.2f points; tolerance %.1f)"
      % (len(keys), seeds, mean_cpp, mean_ref, mean_cpp - mean_ref, tol))
print("per seed: bertology %s; PyTorch %s" % (per_seed(cpp), per_seed(ref)))
print("time: bertology stage %.1f s; PyTorch %.1f s (feature read %.1f s + %d jobs); speed-up %.2fx (target %.0fx)"
      % (cpp_seconds, torch_seconds, read, len(keys) * seeds, speedup, min_speedup))
sys.exit(0 if abs(mean_cpp - mean_ref) <= tol and speedup >= min_speedup else 1)
PY
