#!/usr/bin/env python3
"""The viewer pages in a real browser (headless Chromium over the DevTools protocol).

    tests/browser/test_view_page.py BERTOLOGY_BINARY SOURCE_DIR [--screenshots DIR]

Makes, with the real binary and the default model on the first 30 sentences of UD EWT dev:
  the stage's page (`bertology run` with attention_patterns, dependency_heads, attention_view: the
  heads carry the stages' notes), a word-level page (`bertology view --word-level`) and a page of a
  `bertology encode` file; then, for each page: it renders with no console error or uncaught
  exception; it requests nothing but the file itself; the model view draws L x H cells (L and H
  read from the page's controls, checked against the model: 6 x 12); clicking a model-view cell
  like a user selects that layer and head and changes the head view's pixels; picking a gold
  relation reports the head's hits; another sentence decodes and draws. First, two canary pages
  prove the checks can fail (a console error and a network request are seen).
--screenshots DIR also writes the reference screenshots of docs/ (small PNGs).
Exit status 0 when every check passes; 1 with the failed check on stderr otherwise.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chromium_cdp  # noqa: E402

FAILURES = []


def check(condition, what):
    if not condition:
        FAILURES.append(what)
        print("FAIL:", what, file=sys.stderr)
    return condition


def run(*args):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(args)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r.stdout


def canaries(browser, work):
    bad = os.path.join(work, "canary.html")
    with open(bad, "w") as f:
        f.write('<!doctype html><body><img src="http://bertology-canary.invalid/x.png">'
                '<script>console.error("canary error"); window.done = true;</script></body>')
    page = browser.open("file://" + bad)
    page.wait_for("window.done === true", fail_on_error=False)
    for _ in range(100):  # the failed image load is reported asynchronously
        if page.network_requests() and page.errors:
            break
        time.sleep(0.05)
        page.evaluate("1")
    check(any("canary error" in e for e in page.errors), f"canary: the console error was not seen ({page.errors})")
    check(any("bertology-canary.invalid" in u for u in page.network_requests()),
          f"canary: the network request was not seen ({page.requests})")


def exercise(browser, path, name, shots, expect_notes, expect_gold=True):
    page = browser.open("file://" + os.path.abspath(path))
    try:
        page.wait_for("window.bertologyView && (window.bertologyView.ready || window.bertologyView.error)", timeout=60)
    except RuntimeError as e:
        check(False, f"{name}: {e}")
        return
    check(page.evaluate("window.bertologyView.error") == "", f"{name}: page error {page.evaluate('window.bertologyView.error')}")
    layers = page.evaluate("document.getElementById('layer').options.length")
    heads = page.evaluate("document.querySelectorAll('#heads input').length")
    check((layers, heads) == (6, 12), f"{name}: {layers} layers x {heads} heads in the controls, the model has 6 x 12")
    check(page.evaluate("window.bertologyView.modelCells") == layers * heads,
          f"{name}: model view drew {page.evaluate('window.bertologyView.modelCells')} cells, expected {layers * heads}")
    check(page.evaluate("window.bertologyView.headLines") > 0, f"{name}: the head view drew no line")
    head_rect = page.element_rect("#head-canvas")
    before = page.screenshot(head_rect)
    if shots:
        with open(os.path.join(shots, f"view-{name}.png"), "wb") as f:
            f.write(page.screenshot({"x": 0, "y": 0, "width": 1400, "height": 620}))
    # A user's click on layer 5, head 4 of the model view.
    c = page.evaluate("window.bertologyView.cellCenter(4, 3)")
    page.click(c["x"], c["y"])
    page.wait_for("window.bertologyView.state.layer === 4 && window.bertologyView.state.heads.has(3) && "
                  "window.bertologyView.state.heads.size === 1", timeout=10)
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    caption = page.evaluate("document.getElementById('head-caption').textContent")
    check(caption == "(layer 5, head 4)", f"{name}: head caption after the click: {caption!r}")
    after = page.screenshot(page.element_rect("#head-canvas"))
    check(before != after, f"{name}: clicking a model-view cell did not change the head view's drawing")
    notes = page.evaluate("document.getElementById('notes').textContent")
    check(notes.startswith(" Layer 5 head 4"), f"{name}: notes after the click: {notes!r}")
    if expect_notes:
        check("attention to [CLS]" in notes and ("best relation" in notes or "no relation above" in notes),
              f"{name}: the stages' notes are missing for layer 5 head 4: {notes!r}")
    relations = page.evaluate("[...document.getElementById('relation').options].map(o => o.value).filter(v => v)")
    if not expect_gold:
        check(not relations, f"{name}: gold relations without a treebank: {relations}")
    elif check(len(relations) > 0, f"{name}: no gold relation to pick"):
        page.evaluate("(() => { const s = document.getElementById('relation'); s.value = s.options[1].value; "
                      "s.dispatchEvent(new Event('change')); })()")
        page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        arcs = page.evaluate("document.getElementById('arcs').textContent")
        check(" of " in arcs and relations[0] in arcs, f"{name}: relation picker says {arcs!r}")
        if shots:
            with open(os.path.join(shots, f"view-{name}-relation.png"), "wb") as f:
                f.write(page.screenshot({"x": 0, "y": 0, "width": 1400, "height": 620}))
    page.evaluate("(() => { const s = document.getElementById('sentence'); s.value = '1'; "
                  "s.dispatchEvent(new Event('change')); })()")
    try:
        page.wait_for("window.bertologyView.drawnSentence === 1", timeout=20)
    except RuntimeError as e:
        check(False, f"{name}: the second sentence was not drawn ({e})")
    check(not page.errors, f"{name}: console errors or exceptions: {page.errors}")
    check(not page.network_requests(), f"{name}: network requests: {page.network_requests()}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("source_dir")
    ap.add_argument("--screenshots")
    a = ap.parse_args()
    a.binary, a.source_dir = os.path.abspath(a.binary), os.path.abspath(a.source_dir)
    model = os.path.join(a.source_dir, "models", "all-MiniLM-L6-v2")
    corpus = os.path.join(a.source_dir, "tests", "fixtures", "corpus", "ewt_dev_first30.conllu")
    work = tempfile.mkdtemp(prefix="bertology_view_test_")
    try:
        config = os.path.join(work, "study.yaml")
        with open(config, "w") as f:
            f.write(f"study:\n  name: viewtest\n  output_dir: {work}/results\nmodel:\n  path: {model}\n  threads: 2\n"
                    f"corpus:\n  path: {corpus}\n  format: conllu\nextract:\n  layers: [0]\n  attention: true\n"
                    f"cache:\n  dir: {work}/cache\nclark:\n  min_relation_count: 10\nview:\n  sentences: [0, 1]\n"
                    f"stages: [attention_patterns, dependency_heads, attention_view]\n")
        out = run(a.binary, "run", config)
        stage_page = os.path.join(work, "results", "all-MiniLM-L6-v2", "view.html")
        check(out.rstrip().endswith(stage_page), f"run's last line does not point at the page: {out[-300:]!r}")
        word_page = os.path.join(work, "word.html")
        run(a.binary, "view", config, "--sentences", "1,2", "--word-level", "--out", word_page)
        h5 = os.path.join(work, "encoded.h5")
        run(a.binary, "encode", "--model", model, "--text", "The quick brown fox jumps over the lazy dog.",
            "--text", "Attention heads specialise in syntax.", "--out", h5, "--threads", "2")
        encoded_page = os.path.join(work, "encoded.html")
        run(a.binary, "view", "--encoded", h5, "--out", encoded_page)
        if a.screenshots:
            os.makedirs(a.screenshots, exist_ok=True)
        with chromium_cdp.Chromium() as browser:
            canaries(browser, work)
            exercise(browser, stage_page, "stage", a.screenshots, expect_notes=True)
            exercise(browser, word_page, "word-level", a.screenshots, expect_notes=True)
            exercise(browser, encoded_page, "encoded", None, expect_notes=False, expect_gold=False)  # no treebank
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed", file=sys.stderr)
        return 1
    print("view pages: every check passed in", chromium_cdp.find_chromium())
    return 0


if __name__ == "__main__":
    sys.exit(main())
