#!/usr/bin/env python3
"""Reference for the attention_gradients stage: |dL_MLM/d attention| per layer from Hugging Face.

    .venv/bin/python scripts/make_gradient_reference.py   (after scripts/setup.sh --reference)

Loads the tiny random BertForMaskedLM fixture (tests/fixtures/models/tiny_mlm_gelu) with eager
attention, masks fixed positions of a fixed [CLS] A [SEP] B [SEP] input with [MASK], takes the mean
cross-entropy of the original ids there, and writes, per layer, the mean |dL/d alpha[h, i, j]| over
heads, query rows and the key columns j that are [SEP] / punctuation / other, with the inputs, to
tests/fixtures/models/tiny_mlm_gelu.gradients.json. The C++ test feeds the same inputs.
"""
import json
import os

import torch
from transformers import BertForMaskedLM

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "tests/fixtures/models/tiny_mlm_gelu")


def main():
    vocab = [l.rstrip("\n") for l in open(os.path.join(MODEL, "vocab.txt"), encoding="utf-8")]
    tokens = ["[CLS]", "the", "cat", ".", "a", "dog", "[SEP]", "dog", ",", "ran", "[SEP]"]
    missing = [t for t in tokens if t not in vocab]
    assert not missing, missing
    ids = [vocab.index(t) for t in tokens]
    segments = [0] * 7 + [1] * 4
    masked = [2, 5, 9]
    kinds = ["cls" if t == "[CLS]" else "sep" if t == "[SEP]" else "punct" if t in (".", ",") else "other" for t in tokens]
    model = BertForMaskedLM.from_pretrained(MODEL, attn_implementation="eager").eval()
    original = torch.tensor([ids])
    corrupted = original.clone()
    corrupted[0, masked] = vocab.index("[MASK]")
    out = model(input_ids=corrupted, token_type_ids=torch.tensor([segments]), output_attentions=True)
    for a in out.attentions:
        a.retain_grad()
    logits = out.logits[0, masked]
    loss = torch.nn.functional.cross_entropy(logits, original[0, masked])
    loss.backward()
    columns = {c: [j for j, k in enumerate(kinds) if (k if k in ("sep", "punct") else "other") == c]
               for c in ("sep", "punct", "other")}
    per_layer = []
    for a in out.attentions:
        g = a.grad[0].abs().double()
        per_layer.append({"to_" + c: g[:, :, cols].mean().item() for c, cols in columns.items()})
    result = {"tokens": tokens, "input_ids": ids, "segment_ids": segments, "masked": masked, "kinds": kinds,
              "loss": loss.item(), "layers": per_layer}
    path = os.path.join(ROOT, "tests/fixtures/models/tiny_mlm_gelu.gradients.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print("wrote", path, "loss", loss.item())


if __name__ == "__main__":
    main()
