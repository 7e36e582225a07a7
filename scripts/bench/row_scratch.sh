#!/usr/bin/env bash
# Row-scratch benchmark (issue #21): the streamed probes at their smallest budgets, on N and 4N sentences,
# with runtime.row_scratch false (every window decodes the chunks it touches, the reference) and true (a layer
# re-read kScratchAfterPasses times is copied once to an unlinked file and windows pread their rows), one after
# the other in one script run (same machine, same build, same load).
#
#   scripts/bench/row_scratch.sh [OUT_DIR]      (default OUT_DIR: /tmp/bertology-row-scratch)
#
# Environment: SENTENCES, SENTENCES_BY_MODEL, MODELS, HOLD_MIB (default 16), STAGES (default token_probes
# scalar_mix structural_probe), SHUFFLE, BERTOLOGY: passed to scripts/bench/scale.sh, which runs each side into
# OUT_DIR/off and OUT_DIR/on (its own extraction, its own budgets).
#
# Output: OUT_DIR/row_scratch.md (also printed): per (model, stage) the wall times x1 -> x4 and their ratio on
# both sides, the peaks' ratio, and whether the stage's tables are byte-identical between the sides (they must
# be: the copy holds the same values, read in the same order). Exit status 1 when a table differs or a side's
# stage run failed; scale.sh's own verdicts (targets) are in OUT_DIR/{off,on}/scale.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-/tmp/bertology-row-scratch}
export HOLD_MIB=${HOLD_MIB:-16}
export STAGES=${STAGES:-token_probes scalar_mix structural_probe}
rm -rf "$OUT"; mkdir -p "$OUT"
for side in off on; do
  flag=false; [ "$side" = on ] && flag=true
  echo "row_scratch.sh: side $side (runtime.row_scratch $flag)" >&2
  rc=0
  ROW_SCRATCH=$flag "$ROOT/scripts/bench/scale.sh" "$OUT/$side" > "$OUT/$side.log" 2>&1 || rc=$?
  # scale.sh exits 1 when a target is missed (expected for the reference side): only a missing table is fatal.
  [ -s "$OUT/$side/scale.csv" ] || { echo "row_scratch.sh: side $side failed (rc $rc), see $OUT/$side.log" >&2; exit 1; }
done
/usr/bin/python3 - "$OUT" <<'PY'
import csv, filecmp, os, platform, sys
out = sys.argv[1]
rows = {side: {(r["model"], r["stage"]): r for r in csv.DictReader(open(os.path.join(out, side, "scale.csv")))}
        for side in ("off", "on")}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())

def tables(side, model, stage, corpus):
    """The stage's result files (CSV, Markdown), relative paths -> full paths, under runs/MODEL-CORPUS/STAGE."""
    base = os.path.join(out, side, "runs")
    found = {}
    for tag in os.listdir(base):
        if not tag.startswith(model + "-") or not tag.endswith(corpus):
            continue
        for dirpath, _, files in os.walk(os.path.join(base, tag)):
            for f in files:
                if f.endswith((".csv", ".md")) and stage in dirpath:
                    found[os.path.relpath(os.path.join(dirpath, f), os.path.join(base, tag))] = os.path.join(dirpath, f)
    return found

md = ["# Row scratch: streamed probes with and without the scratch copy (issue #21)\n",
      "- CPU: %s; command: `scripts/bench/row_scratch.sh` with HOLD_MIB=%s STAGES=\"%s\" %s" % (
          cpu, os.environ.get("HOLD_MIB"), os.environ.get("STAGES"),
          " ".join("%s=%s" % (k, os.environ[k]) for k in ("SENTENCES", "SENTENCES_BY_MODEL", "MODELS", "SHUFFLE")
                   if os.environ.get(k))),
      "- off = runtime.row_scratch false (the reference: each window decodes the chunks it touches); on = true\n",
      "| model | stage | mode x1 / x4 | off: wall x1 -> x4 s (ratio) | on: wall x1 -> x4 s (ratio) | peak ratio off / on | tables identical |",
      "|---|---|---|---|---|---|---|"]
bad = False
for key in rows["off"]:
    a, b = rows["off"][key], rows["on"].get(key)
    if b is None:
        continue
    same = True
    for corpus in ("x1", "x4"):
        ta, tb = tables("off", key[0], key[1], corpus), tables("on", key[0], key[1], corpus)
        same = same and ta.keys() == tb.keys() and len(ta) > 0 and all(
            filecmp.cmp(ta[k], tb[k], shallow=False) for k in ta if not k.endswith("stage.md"))
    bad = bad or not same
    md.append("| %s | %s | %s / %s | %s -> %s (%s) | %s -> %s (%s) | %s / %s | %s |" % (
        key[0], key[1], b["mode_x1"], b["mode_x4"], a["wall_x1_s"], a["wall_x4_s"], a["wall_ratio"],
        b["wall_x1_s"], b["wall_x4_s"], b["wall_ratio"], a["peak_ratio"], b["peak_ratio"], "yes" if same else "NO"))
open(os.path.join(out, "row_scratch.md"), "w").write("\n".join(md) + "\n")
print("\n".join(md))
sys.exit(1 if bad else 0)
PY
