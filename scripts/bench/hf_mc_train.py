#!/usr/bin/env python3
"""Hugging Face reference for scripts/bench/mc_train.sh: BertForMultipleChoice fine-tuning steps.

Same inputs as build/bench_mc_train: the MCTest questions of --data, encoded by HF's tokenizer as
tokenizer(story, question + " " + option, truncation="longest_first", max_length=L), the batches
bench_mc_train wrote (--batches), each padded to its longest sequence (DataCollatorWithPadding's
dynamic padding), train mode (dropout on), torch.optim.AdamW with HF's decay groups,
get_linear_schedule_with_warmup, clip_grad_norm_ 1.0. One warm-up step, then every batch timed.
Prints one JSON line {"what": "hf_mc_train", "tokens_per_s", ...}; tokens are real (non-pad) tokens.
"""
import argparse
import json
import os
import sys
import time

import torch
from transformers import BertForMultipleChoice, BertTokenizer, get_linear_schedule_with_warmup

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from hf_mc_recipe import hf_adamw, hf_step, read_mctest  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--batches", required=True)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
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
    opt = hf_adamw(model, lr=5e-5)
    batches = spec["batches"]
    sched = get_linear_schedule_with_warmup(opt, 1, len(batches) + 1)
    prepared = [batch(b) for b in batches]

    def step(ids, types, mask, labels):
        hf_step(model, opt, sched, ids, types, mask, labels)

    step(*prepared[0][:4])  # warm-up
    start = time.perf_counter()
    tokens = 0
    for ids, types, mask, labels, real in prepared:
        step(ids, types, mask, labels)
        tokens += real
    seconds = time.perf_counter() - start
    print(json.dumps({"what": "hf_mc_train", "threads": torch.get_num_threads(), "timed_steps": len(prepared),
                      "tokens": tokens, "seconds": round(seconds, 3), "tokens_per_s": round(tokens / seconds, 1)}))


if __name__ == "__main__":
    main()
