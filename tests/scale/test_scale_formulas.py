#!/usr/bin/env python3
"""The formulas of docs/scale.md (scripts/scale_formulas.py) against the real binary on 60 UD EWT
sentences: the bytes of a cache entry, the features the attention probe holds, what it says it needs
besides them, and its measured peak memory; the same for mcrc_finetune on the MC160 fixture; and the working
memory token_probes reserves for its trainer. The formulas get only what a user knows before a run (the
corpus's words, the tokenizer's pieces, the model's sizes); the entry and the stage are measured.

    test_scale_formulas.py BINARY SOURCE_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

BINARY, SOURCE = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(SOURCE, "scripts"))
import scale_formulas as F  # noqa: E402

MODEL = os.path.join(SOURCE, "models", "all-MiniLM-L6-v2")
L, H, D, V = 6, 12, 384, 30522
SENTENCES = 60
CHUNK_TOKENS = 256
failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def run(args):
    r = subprocess.run([BINARY] + args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({r.returncode}):\n{r.stderr}")
    return r.stdout


def mib(number, unit):
    return float(number) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[unit]


work = tempfile.mkdtemp(prefix="scale_formulas_")
# The first SENTENCES sentences of the EWT sample, and their words.
words_per_sentence, text, kept = [], [], 0
for line in open(os.path.join(SOURCE, "configs/samples/ewt_dev_sample.conllu"), encoding="utf-8"):
    if kept == SENTENCES:
        break
    text.append(line)
    fields = line.rstrip("\n").split("\t")
    if line.strip() == "":
        kept += 1
    elif not line.startswith("#") and fields[0].isdigit():
        if len(words_per_sentence) == kept:
            words_per_sentence.append([])
        words_per_sentence[kept].append(fields[1])
corpus = os.path.join(work, "ewt60.conllu")
open(corpus, "w", encoding="utf-8").write("".join(text))
config = os.path.join(work, "study.yaml")
open(config, "w").write(f"""model:\n  path: {MODEL}\n  threads: 2\ntokenizer:\n  max_length: 128\n
corpus:\n  path: {corpus}\n  format: conllu\nextract:\n  layers: [0, 6]\n  attention: true\n  word_pooling: mean
  chunk_tokens: {CHUNK_TOKENS}\ncache:\n  dir: {work}/cache\nclark:\n  probe_epochs: 1\n  random_init_probe: false
stages: [attention_probe]\n""")

# What the tokenizer gives, sentence by sentence (specials included).
lines = os.path.join(work, "words.txt")
open(lines, "w", encoding="utf-8").write("".join(" ".join(w) + "\n" for w in words_per_sentence))
pieces = [len(json.loads(l)["tokens"]) for l in run(["tokenize", "--model", MODEL, "--words", "--input", lines]).splitlines()]
S = len(words_per_sentence)
W = sum(len(w) for w in words_per_sentence)
T = sum(pieces)
sum_t2 = sum(t * t for t in pieces)
assert len(pieces) == S == SENTENCES, (len(pieces), S)

# 1. The entry's chunk files against entry_bytes (HDF5's own structure, attributes and checksums:
#    ≤ 48 KiB a chunk file).
out = run(["extract", config])
entry = re.search(r"cache (\S+): complete", out).group(1)
chunks = [f for f in os.listdir(entry) if f.endswith(".h5")]
actual = sum(os.path.getsize(os.path.join(entry, f)) for f in chunks)
formula = F.entry_bytes(S, T, W, sum_t2, 2, D, L, H, True)
check(formula <= actual <= formula + F.CHUNK_FILE_OVERHEAD * len(chunks),
      f"entry bytes: formula {formula:,} B, chunk files {actual:,} B in {len(chunks)} chunks")

# 2. The attention probe: what it holds (every sentence, held out tenth included) and what it needs.
K = L * H
out = run(["run", config, "--set", f"study.output_dir={work}/out"])
held = re.search(r"attn \(pretrained\): UAS [0-9.]+; sentences held in memory \(([0-9.]+) (KiB|MiB|GiB)\)", out)
check(held is not None, "attention_probe says it held its sentences")
features = sum(F.probe_sentence_bytes(len(w), K, D) for w in words_per_sentence)
if held:
    check(abs(mib(*held.groups()) - features / F.MiB) <= 0.051,
          f"held sentences: formula {features / F.MiB:.2f} MiB, stage {held.group(1)} {held.group(2)}")
refused = subprocess.run([BINARY, "run", config, "--set", f"study.output_dir={work}/refused", "--set",
                          "runtime.memory_gb=0.0625"], capture_output=True, text=True)
need = re.search(r"needs at least ([0-9.]+) MiB besides the features it holds", refused.stderr)
check(refused.returncode != 0 and need is not None, "a 64 MiB budget is refused with what the stage needs")
mean_t, mean_t2 = T / S, sum_t2 / S
n_max = max(len(w) for w in words_per_sentence)
readers = 2 * F.reader_bytes(W, T)
# The process's part is measured by the stage when it starts (it depends on the LibTorch build: the
# CUDA one adds ~200 MiB); the formula takes it from the error line and computes the rest.
base = re.search(r"the process \(libraries, config, entries\) ([0-9.]+) MiB", refused.stderr)
process = float(base.group(1)) * F.MiB if base else F.PROCESS_BASE
checkpoint = os.path.getsize(os.path.join(MODEL, "model.safetensors"))
formula_need = (F.attention_probe_need(V, D, K, n_max, CHUNK_TOKENS, mean_t, mean_t2, L, H, checkpoint) - F.PROCESS_BASE
                + process + readers)
if need:
    stage_need = float(need.group(1)) * F.MiB
    check(abs(stage_need - formula_need) <= 0.05 * stage_need,
          f"attention_probe needs: formula {formula_need / F.MiB:.1f} MiB, stage {stage_need / F.MiB:.1f} MiB (±5%)")

# 3. The measured peak: above the features it held, below what the formulas reserve plus them.
peak = re.search(r"stage attention_probe: [0-9.]+ s, peak memory ([0-9.]+) (KiB|MiB|GiB)", out)
check(peak is not None, "the stage's peak memory line")
if peak:
    measured = mib(*peak.groups()) * F.MiB
    check(features < measured <= formula_need + features,
          f"peak {measured / F.MiB:.1f} MiB within (features {features / F.MiB:.1f}, need + features "
          f"{(formula_need + features) / F.MiB:.1f}] MiB")

# 4. mcrc_finetune (pipeline/mcrc/mc_memory.h) on the 8 questions of the MC160 fixture, max_length
# 128, micro-batch 4: the model and activation items of its refusal against the formula, and its
# measured peak within what it reserves plus the features it holds.
FIXTURE = os.path.join(SOURCE, "tests/fixtures/mcrc/mc160.dev.first2.tsv")
I, MICRO, ELL, C = 1536, 4, 128, 4
mc_config = os.path.join(work, "si.yaml")
open(mc_config, "w").write(
    f"model:\n  path: {MODEL}\n  threads: 2\ncache:\n  dir: {work}/mc_cache\nmcrc:\n  format: mctest\n"
    f"  train: {FIXTURE}\n  dev: {FIXTURE}\n  test: {FIXTURE}\n  max_length: {ELL}\n  epochs: 3\n  batch_size: 8\n"
    f"  micro_batch: {MICRO}\n  eval_batch: {MICRO}\n  unanswerable: []\nstages: [mcrc_finetune]\n")
refused = subprocess.run([BINARY, "run", mc_config, "--set", f"study.output_dir={work}/mc_refused", "--set",
                          "runtime.memory_gb=0.0625"], capture_output=True, text=True)
model_item = re.search(r"the model in training \(.*?\) ([0-9.]+) MiB", refused.stderr)
batch_item = re.search(r"a micro-batch's activations \(.*?\) B\) ([0-9.]+) MiB", refused.stderr)
mc_need = re.search(r"mcrc_finetune needs at least ([0-9.]+) MiB", refused.stderr)
check(refused.returncode != 0 and model_item is not None and batch_item is not None and mc_need is not None,
      "mcrc_finetune is refused at 64 MiB with its model and micro-batch items")
if model_item and batch_item and mc_need:
    P = F.mc_parameter_count(L, D, V, I)
    formula = F.mc_need(L, D, H, V, I, MICRO, MICRO, C, ELL)
    stage = (float(model_item.group(1)) + float(batch_item.group(1))) * F.MiB
    check(abs(stage - formula) <= 0.1 * F.MiB,
          f"mcrc_finetune model + micro-batch: formula {formula / F.MiB:.1f} MiB (P = {P:,}), stage {stage / F.MiB:.1f} MiB")
    out = run(["run", mc_config, "--set", f"study.output_dir={work}/mc_out"])
    held = re.findall(r"(train|dev|test) held \(([0-9.]+) (B|KiB|MiB)\)", out)
    check(len(held) == 3, "mcrc_finetune held its three sets' features")
    held_bytes = sum(mib(v, u) * F.MiB if u != "B" else float(v) for _, v, u in held)
    check(held_bytes <= 3 * F.mc_features(8, C, ELL), f"held features {held_bytes / 1024:.1f} KiB within the formula's "
          f"bound {3 * F.mc_features(8, C, ELL) / 1024:.1f} KiB (every input at max_length)")
    peak = re.search(r"stage mcrc_finetune: [0-9.]+ s, peak memory ([0-9.]+) (KiB|MiB|GiB)", out)
    check(peak is not None, "mcrc_finetune's peak memory line")
    if peak:
        measured = mib(*peak.groups()) * F.MiB
        bound = float(mc_need.group(1)) * F.MiB + held_bytes
        check(24 * P < measured <= bound, f"mcrc_finetune peak {measured / F.MiB:.1f} MiB within (24 B·P "
              f"{24 * P / F.MiB:.1f}, need + features {bound / F.MiB:.1f}] MiB")

# 5. token_probes with an arc task ([v_head; v_dep]: rows of 2d): the trainer's working memory that it
# reserves (probe_trainer.h's probe_working_bytes) against the formula.
refused = subprocess.run([BINARY, "run", config, "--set", "stages=[token_probes]", "--set", "probe.tasks=[upos, arc]",
                          "--set", f"study.output_dir={work}/tp_refused", "--set", "runtime.memory_gb=0.0625"],
                         capture_output=True, text=True)
item = re.search(r"the probe's evaluation chunk and training batch \(1 layer\(s\) of ([0-9]+) floats a row\) "
                 r"([0-9.]+) (KiB|MiB)", refused.stderr)
check(refused.returncode != 0 and item is not None, "token_probes is refused at 64 MiB with its working-memory item")
if item:
    formula = F.probe_working_bytes(1, 2 * D, 64)
    stage = mib(item.group(2), item.group(3)) * F.MiB
    check(int(item.group(1)) == 2 * D and abs(stage - formula) <= 0.051 * F.MiB,  # printed to 0.1 MiB
          f"token_probes working memory: formula {formula / F.MiB:.2f} MiB, stage {stage / F.MiB:.2f} MiB "
          f"({item.group(1)} floats a row)")

if os.environ.get("BERTOLOGY_KEEP_TEST_DIRS", "0") in ("", "0"):
    shutil.rmtree(work)
else:
    print(f"[scratch] kept {work} (BERTOLOGY_KEEP_TEST_DIRS)")
sys.exit(1 if failures else 0)
