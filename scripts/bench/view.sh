#!/usr/bin/env bash
# The viewer page at scale: size, load time and response time of `bertology view` pages in a real
# headless Chromium (tests/browser/chromium_cdp.py), for 10 sentences of exactly 128 wordpieces
#   - on a BERT-large-shaped model (24 layers x 16 heads, random weights: scripts/bench/make_random_bert.py;
#     near-uniform maps are the worst case for the page's deflate), and
#   - on the default model (6 x 12, pretrained: peaked maps, as real BERTs have).
# Load = navigation until the page has decoded the first sentence and drawn both views; response =
# a click on a model-view cell until the head view is redrawn; switch = selecting another sentence
# (decode + both views). Writes results/bench/view-<date>-<cpu>.md and prints it.
#   scripts/bench/view.sh            (BERTOLOGY=build/bertology, WORK=/tmp/bertology-bench-view)
set -euo pipefail
cd "$(dirname "$0")/../.."
BERTOLOGY=${BERTOLOGY:-build/bertology}
WORK=${WORK:-/tmp/bertology-bench-view}
DEFAULT_MODEL=models/all-MiniLM-L6-v2
mkdir -p "$WORK" results/bench
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
slug=$(echo "$cpu" | tr 'A-Z' 'a-z' | sed -E 's/\(r\)|\(tm\)|processor|cpu.*//g; s/[^a-z0-9]+/-/g; s/^-|-$//g' | cut -d- -f1-3)
out=results/bench/view-$(date +%F)-${slug}.md

/usr/bin/python3 scripts/bench/make_random_bert.py --like "$DEFAULT_MODEL" --out "$WORK/bert-large-random" \
  --layers 24 --hidden 1024 --heads 16 --intermediate 4096 --seed 1234 >/dev/null

# 10 lines of exactly 126 wordpieces (+ [CLS] [SEP] = 128): words of UD EWT dev, cut where the count is reached.
/usr/bin/python3 - "$BERTOLOGY" "$WORK/lines.txt" <<'PY'
import json, subprocess, sys
binary, out = sys.argv[1:]
words = []
for line in open("configs/samples/en_ewt-ud-dev.conllu", encoding="utf-8"):
    cols = line.rstrip("\n").split("\t")
    if len(cols) == 10 and cols[0].isdigit():
        words.append(cols[1])
def pieces(text):
    r = subprocess.run([binary, "tokenize", "--text", text], capture_output=True, text=True, check=True)
    return len(json.loads(r.stdout)["tokens"])
lines, at = [], 0
while len(lines) < 10:
    lo, hi = at + 1, at + 200   # words [at, k): largest k with <= 128 pieces
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if pieces(" ".join(words[at:mid])) <= 128: lo = mid
        else: hi = mid - 1
    if pieces(" ".join(words[at:lo])) == 128:
        lines.append(" ".join(words[at:lo]))
    at = lo
open(out, "w", encoding="utf-8").write("\n".join(lines) + "\n")
PY

measure() {  # name model
  local name=$1 model=$2 t0 t1
  t0=$(date +%s.%N)
  "$BERTOLOGY" encode --model "$model" --input "$WORK/lines.txt" --out "$WORK/$name.h5" --threads 2 >/dev/null
  t1=$(date +%s.%N)
  "$BERTOLOGY" view --encoded "$WORK/$name.h5" --out "$WORK/$name.html" --max-sentences 10 >/dev/null
  local t2; t2=$(date +%s.%N)
  /usr/bin/python3 - "$WORK/$name.html" "$name" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" <<'PY'
import os, sys, time
sys.path.insert(0, "tests/browser")
import chromium_cdp
page_file, name, encode_s, view_s = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
with chromium_cdp.Chromium() as browser:
    t = time.monotonic()
    page = browser.open("file://" + os.path.abspath(page_file))
    page.wait_for("window.bertologyView && window.bertologyView.ready", timeout=120)
    load = time.monotonic() - t
    L, H = page.evaluate("[bertologyView.state && document.getElementById('layer').options.length, document.querySelectorAll('#heads input').length]")
    cells = page.evaluate("bertologyView.modelCells")
    c = page.evaluate(f"bertologyView.cellCenter({L - 1}, {H - 1})")
    page.evaluate("window.__drawn = 0; (() => { const f = window.requestAnimationFrame; })()")
    t = time.monotonic()
    page.click(c["x"], c["y"])
    page.wait_for(f"bertologyView.state.layer === {L - 1} && bertologyView.state.heads.has({H - 1}) && "
                  f"document.getElementById('head-caption').textContent.includes('layer ' + {L})", timeout=60)
    click = time.monotonic() - t
    t = time.monotonic()
    page.evaluate("(() => { const s = document.getElementById('sentence'); s.value = '9'; s.dispatchEvent(new Event('change')); })()")
    page.wait_for("document.getElementById('head-caption').textContent !== '' && window.bertologyView.headLines >= 0 && "
                  "document.getElementById('sentence').value === '9'", timeout=60)
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    switch = time.monotonic() - t
    assert cells == L * H, (cells, L, H)
    assert not page.errors, page.errors
    assert not page.network_requests(), page.network_requests()
size = os.path.getsize(page_file)
print(f"| {name} | {L} × {H} | {size / 1e6:.1f} MB | {encode_s:.1f} s | {view_s:.1f} s | {load:.2f} s | {click * 1000:.0f} ms | {switch:.2f} s |")
PY
}

{
  echo "# Viewer page at scale ($(date +%F), $cpu, $(nproc) vCPU)"
  echo
  echo "10 sentences of 128 wordpieces (UD EWT dev words), \`bertology view --encoded\`, Chromium $(chromium --version 2>/dev/null | awk '{print $2}') headless."
  echo "Load: navigation until both views are drawn; click: a model-view cell until the head view shows it;"
  echo "switch: another sentence (decode + both views). Command: \`scripts/bench/view.sh\`."
  echo
  echo "| model | layers × heads | page | encode | view | load | click | switch |"
  echo "|---|---|---|---|---|---|---|---|"
  measure bert-large-shaped-random "$WORK/bert-large-random"
  measure all-MiniLM-L6-v2 "$DEFAULT_MODEL"
} | tee "$out"
