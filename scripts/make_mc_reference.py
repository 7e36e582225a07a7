#!/usr/bin/env python3
"""References for the multiple-choice model, its trainer and its input encoding, from Hugging Face.

    .venv/bin/python scripts/make_mc_reference.py   (after scripts/setup.sh --reference)

Writes under tests/fixtures/models/:
  tiny_mc/                 a random BertForMultipleChoice (torch.manual_seed(0), 2 layers, d=32, classifier
                           weights drawn with sd 1 and pooler with sd 0.3 so scores differ by O(1),
                           vocabulary of tiny_mlm_gelu) saved with save_pretrained (safetensors);
  tiny_mc.reference.json   three questions of three options (token ids, segments): the eval-mode
                           option scores and mean cross-entropy; then three optimizer steps of
                           HF's recipe (torch.optim.AdamW lr 1e-2, eps 1e-8, weight decay 0.01
                           except biases/LayerNorm weights, get_linear_schedule_with_warmup with
                           ceil(0.25 * 3) = 1 warm-up step of 3, clip_grad_norm_ 1.0, dropout 0,
                           all three questions in every batch) and the scores and some weights
                           after them;
and under tests/fixtures/mcrc/:
  mc160.features.json      HF BertTokenizer (slow, bert-base-uncased vocabulary of
                           tests/fixtures/vocab) pair encodings of the MC160 fixture questions:
                           tokenizer(story, question + " " + option, truncation="longest_first",
                           max_length=L) for L = 64 and 512 (input_ids, token_type_ids).
"""
import json
import math
import os
import shutil

import torch
from transformers import BertConfig, BertForMultipleChoice, BertTokenizer, get_linear_schedule_with_warmup

from hf_mc_recipe import hf_adamw, hf_step, read_mctest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests/fixtures")
OUT = os.path.join(FIX, "models/tiny_mc")


def features_reference():
    tok = BertTokenizer(os.path.join(FIX, "vocab/bert-base-uncased-vocab.txt"), do_lower_case=True)
    qs = read_mctest(os.path.join(FIX, "mcrc/mc160.dev.first2.tsv"))
    result = {"vocab": "tests/fixtures/vocab/bert-base-uncased-vocab.txt", "max_lengths": {}}
    for max_length in (64, 512):
        per_q = []
        for q in qs:
            enc = [tok(q["passage"], q["question"] + " " + o, truncation="longest_first", max_length=max_length)
                   for o in q["options"]]
            per_q.append({"input_ids": [e["input_ids"] for e in enc], "token_type_ids": [e["token_type_ids"] for e in enc],
                          "answer": q["answer"]})
        result["max_lengths"][str(max_length)] = per_q
    with open(os.path.join(FIX, "mcrc/mc160.features.json"), "w") as f:
        json.dump(result, f)
        f.write("\n")


def padded(questions):
    T = max(len(ids) for q in questions for ids in q["input_ids"])
    ids, types, mask = [], [], []
    for q in questions:
        ids.append([o + [0] * (T - len(o)) for o in q["input_ids"]])
        types.append([t + [0] * (T - len(t)) for t in q["token_type_ids"]])
        mask.append([[1] * len(o) + [0] * (T - len(o)) for o in q["input_ids"]])
    return torch.tensor(ids), torch.tensor(types), torch.tensor(mask)


def model_reference():
    src = os.path.join(FIX, "models/tiny_mlm_gelu")
    config = BertConfig(vocab_size=74, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
                        max_position_embeddings=40, hidden_act="gelu")
    torch.manual_seed(0)
    model = BertForMultipleChoice(config).eval()
    with torch.no_grad():  # larger head weights than HF's init, so that scores differ by O(1) and tests can tell
        model.classifier.weight.normal_(0.0, 1.0)
        model.bert.pooler.dense.weight.normal_(0.0, 0.3)
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    model.save_pretrained(OUT, safe_serialization=True)
    for name in ("vocab.txt", "tokenizer_config.json"):
        shutil.copy(os.path.join(src, name), os.path.join(OUT, name))

    g = torch.Generator().manual_seed(1)
    questions = []
    for q, lengths in enumerate([(9, 12, 7), (15, 5, 11), (6, 6, 14)]):
        ids, types = [], []
        for length in lengths:
            body = torch.randint(5, 74, (length,), generator=g).tolist()
            split = length // 2
            ids.append([2] + body[:split] + [3] + body[split:] + [3])   # [CLS]=2, [SEP]=3 in the tiny vocab
            types.append([0] * (split + 2) + [1] * (length - split + 1))
        questions.append({"input_ids": ids, "token_type_ids": types, "answer": [1, 2, 0][q]})
    vocab = [l.rstrip("\n") for l in open(os.path.join(src, "vocab.txt"), encoding="utf-8")]
    assert vocab[2] == "[CLS]" and vocab[3] == "[SEP]" and vocab[0] == "[PAD]", vocab[:5]
    ids, types, mask = padded(questions)
    labels = torch.tensor([q["answer"] for q in questions])
    with torch.no_grad():
        out = model(input_ids=ids, token_type_ids=types, attention_mask=mask, labels=labels)
    ref = {"questions": questions, "eval_logits": out.logits.tolist(), "eval_loss": out.loss.item()}

    # Three steps of HF's fine-tuning recipe, dropout off.
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    model.train()
    opt = hf_adamw(model, lr=1e-2, weight_decay=0.01, eps=1e-8)
    total = 3
    sched = get_linear_schedule_with_warmup(opt, math.ceil(0.25 * total), total)
    losses = []
    for _ in range(total):
        losses.append(hf_step(model, opt, sched, ids, types, mask, labels, max_grad_norm=1.0))
    model.eval()
    with torch.no_grad():
        after = model(input_ids=ids, token_type_ids=types, attention_mask=mask).logits
    state = dict(model.named_parameters())
    # classifier.bias is left out: a shift of every score changes no softmax, so its gradient is 0 up to
    # round-off, which Adam normalises into +-lr steps of noise in any implementation.
    watch = ["classifier.weight", "bert.pooler.dense.bias", "bert.encoder.layer.1.output.dense.bias",
             "bert.embeddings.LayerNorm.weight"]
    ref["train"] = {"lr": 1e-2, "weight_decay": 0.01, "eps": 1e-8, "warmup": 0.25, "steps": total, "max_grad_norm": 1.0,
                    "losses": losses, "logits_after": after.tolist(),
                    "weights_after": {n: state[n].detach().reshape(-1)[:8].tolist() for n in watch},
                    "word_embedding_row_7_after": state["bert.embeddings.word_embeddings.weight"][7, :8].tolist()}
    with open(os.path.join(FIX, "models/tiny_mc.reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")
    print("eval loss", ref["eval_loss"], "train losses", losses)


if __name__ == "__main__":
    features_reference()
    model_reference()
