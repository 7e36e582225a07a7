#!/usr/bin/env python3
"""bfloat16 reference of Hugging Face `BertModel` for the bf16 parity test (tests/model/test_bf16_parity.cpp).

Run with the torch 2.x venv that `scripts/setup.sh --reference` makes:

    .venv-torch2/bin/python scripts/make_bf16_reference.py [--model models/all-MiniLM-L6-v2]

Reads the batch of tests/fixtures/models/minilm.reference.safetensors (input_ids, attention_mask: the
fp32 reference of scripts/make_reference.py), runs the default model cast to bfloat16 with eager
attention under torch.inference_mode on the CPU, and writes
tests/fixtures/models/minilm.bf16.reference.safetensors:
  input_ids, attention_mask [B, T]   the same batch
  hidden_states [L+1, B, T, d]       HF's bf16 outputs, widened to float32 (exact)
  attentions [L, B, H, T, T]         likewise
The test compares bertology's bf16 forward with these and with the fp32 reference.

Also tests/fixtures/models/tiny_mc.bf16.reference.json: the option scores ("eval_logits") and loss of
the tiny BertForMultipleChoice fixture cast to bfloat16, on the questions of tiny_mc.reference.json
(scripts/make_mc_reference.py), for the classifier-dtype test.
"""
import json
import argparse
import os
import platform

import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import BertForMultipleChoice, BertModel

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "models")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/all-MiniLM-L6-v2")
    args = ap.parse_args()
    torch.set_num_threads(1)  # one thread: the sums' order does not depend on the machine's cores
    fp32 = load_file(os.path.join(OUT, "minilm.reference.safetensors"))
    model = BertModel.from_pretrained(args.model, attn_implementation="eager").eval().to(torch.bfloat16)
    with torch.inference_mode():
        o = model(input_ids=fp32["input_ids"], attention_mask=fp32["attention_mask"],
                  token_type_ids=torch.zeros_like(fp32["input_ids"]),
                  output_hidden_states=True, output_attentions=True)
    ref = {"input_ids": fp32["input_ids"], "attention_mask": fp32["attention_mask"],
           "hidden_states": torch.stack(o.hidden_states).float().contiguous(),
           "attentions": torch.stack(o.attentions).float().contiguous()}
    meta = {"transformers": transformers.__version__, "torch": torch.__version__,
            "python": platform.python_version(), "script": "scripts/make_bf16_reference.py", "dtype": "bfloat16"}
    save_file(ref, os.path.join(OUT, "minilm.bf16.reference.safetensors"), metadata=meta)
    m = fp32["attention_mask"].bool()
    dh = max(((a.float() - b)[m].abs().max().item()) for a, b in zip(o.hidden_states, fp32["hidden_states"]))
    print("HF bf16 vs HF fp32: max |dh| over real tokens %.4g" % dh)

    mc = json.load(open(os.path.join(OUT, "tiny_mc.reference.json")))
    qs = mc["questions"]
    T = max(len(ids) for q in qs for ids in q["input_ids"])
    pad = lambda rows, v=0: [r + [v] * (T - len(r)) for r in rows]
    ids = torch.tensor([pad(q["input_ids"]) for q in qs])
    types = torch.tensor([pad(q["token_type_ids"]) for q in qs])
    mask = torch.tensor([[[1] * len(o) + [0] * (T - len(o)) for o in q["input_ids"]] for q in qs])
    labels = torch.tensor([q["answer"] for q in qs])
    model = BertForMultipleChoice.from_pretrained(os.path.join(OUT, "tiny_mc"), attn_implementation="eager")
    model = model.eval().to(torch.bfloat16)
    with torch.inference_mode():
        out = model(input_ids=ids, token_type_ids=types, attention_mask=mask, labels=labels)
    with open(os.path.join(OUT, "tiny_mc.bf16.reference.json"), "w") as f:
        json.dump({"eval_logits": out.logits.float().tolist(), "eval_loss": out.loss.float().item(), **meta}, f, indent=1)
    print("tiny_mc bf16 logits", out.logits.float().tolist())


if __name__ == "__main__":
    main()
