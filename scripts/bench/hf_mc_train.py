#!/usr/bin/env python3
"""Hugging Face reference for scripts/bench/mc_train.sh: BertForMultipleChoice fine-tuning steps.

Same inputs as build/bench_mc_train: the MCTest questions of --data, encoded by HF's tokenizer as
tokenizer(story, question + " " + option, truncation="longest_first", max_length=L), the batches
bench_mc_train wrote (--batches), each padded to its longest sequence (DataCollatorWithPadding's
dynamic padding), train mode (dropout on), torch.optim.AdamW with HF's decay groups,
get_linear_schedule_with_warmup, clip_grad_norm_ 1.0. One warm-up step, then every batch timed.
Prints one JSON line {"what": "hf_mc_train", "tokens_per_s", ...}; tokens are real (non-pad) tokens.

--device cuda (default cpu): the model and every prepared batch on the GPU before the clock starts
(as the CPU run has its batches ready), AdamW fused (HF Trainer's default optim "adamw_torch_fused"
with torch >= 2.8; the CPU run keeps torch's default AdamW), the loss left on the GPU (no per-step
.item(), as Trainer between logging steps), and torch.cuda.synchronize() before each clock read.
--autocast bfloat16 (default float32: no autocast): Trainer's bf16=True recipe: the forward and loss
under torch.autocast(<device type>, dtype=torch.bfloat16), backward, clipping and AdamW on the fp32
master weights (works on cpu too, slowly). --threads: intra-op threads, default 2 on cpu; on cuda
torch's default is left alone unless --threads is given.
The JSON line also has "device" (cpu|cuda), "device_name" (torch.cuda.get_device_name() on cuda, null
on cpu), "autocast" (float32|bfloat16), "optimizer" (adamw|adamw_fused) and the torch/transformers
versions.

  .venv-torch2/bin/python scripts/bench/hf_mc_train.py --model DIR --data MC.tsv --batches BATCHES.json \
      [--threads 2] [--device cpu|cuda] [--autocast float32|bfloat16]

BATCHES.json is what bench_mc_train --batches-out writes: {"max_length": L, "batches": [[question
indices into --data], ...]}.
"""
import argparse
import json
import os
import sys
import time

import torch
import transformers
from transformers import BertForMultipleChoice, BertTokenizer, get_linear_schedule_with_warmup

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from hf_mc_recipe import hf_adamw, hf_step, read_mctest  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--batches", required=True)
    ap.add_argument("--threads", type=int, help="intra-op threads (default: 2 on cpu, torch's default on cuda)")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--autocast", choices=["float32", "bfloat16"], default="float32",
                    help="bfloat16: forward and loss under torch.autocast(dtype=torch.bfloat16), fp32 master weights")
    args = ap.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch %s sees no CUDA device" % torch.__version__)
    if args.threads is None and args.device == "cpu":
        args.threads = 2
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    autocast_dtype = torch.bfloat16 if args.autocast == "bfloat16" else None

    def synchronize():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    spec = json.load(open(args.batches))
    tok = BertTokenizer.from_pretrained(args.model)
    encoded = []
    for q in read_mctest(args.data):
        enc = [tok(q["passage"], q["question"] + " " + o, truncation="longest_first", max_length=spec["max_length"])
               for o in q["options"]]
        encoded.append(([e["input_ids"] for e in enc], [e["token_type_ids"] for e in enc], q["answer"]))

    def batch(indices):
        T = max(len(ids) for i in indices for ids in encoded[i][0])
        ids = torch.tensor([[o + [0] * (T - len(o)) for o in encoded[i][0]] for i in indices])
        types = torch.tensor([[t + [0] * (T - len(t)) for t in encoded[i][1]] for i in indices])
        mask = torch.tensor([[[1] * len(o) + [0] * (T - len(o)) for o in encoded[i][0]] for i in indices])
        labels = torch.tensor([encoded[i][2] for i in indices])
        real = sum(len(o) for i in indices for o in encoded[i][0])
        return ids, types, mask, labels, real

    torch.manual_seed(0)
    model = BertForMultipleChoice.from_pretrained(args.model, attn_implementation="eager").train()
    fused = True if device.type == "cuda" else None
    if device.type != "cpu":
        model = model.to(device)  # fp32 weights either way: autocast casts per op
    opt = hf_adamw(model, lr=5e-5, fused=fused)
    batches = spec["batches"]
    sched = get_linear_schedule_with_warmup(opt, 1, len(batches) + 1)
    prepared = [batch(b) for b in batches]
    if device.type != "cpu":
        prepared = [tuple(x.to(device) for x in p[:4]) + (p[4],) for p in prepared]

    def step(ids, types, mask, labels):
        hf_step(model, opt, sched, ids, types, mask, labels, autocast_dtype=autocast_dtype,
                loss_item=device.type == "cpu")

    step(*prepared[0][:4])  # warm-up
    synchronize()
    start = time.perf_counter()
    tokens = 0
    for ids, types, mask, labels, real in prepared:
        step(ids, types, mask, labels)
        tokens += real
    synchronize()
    seconds = time.perf_counter() - start
    print(json.dumps({"what": "hf_mc_train", "threads": torch.get_num_threads(), "timed_steps": len(prepared),
                      "tokens": tokens, "seconds": round(seconds, 3), "tokens_per_s": round(tokens / seconds, 1),
                      "device": args.device,
                      "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
                      "autocast": args.autocast, "optimizer": "adamw_fused" if fused else "adamw",
                      "transformers": transformers.__version__, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
