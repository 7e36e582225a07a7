#!/usr/bin/env python3
"""Reference outputs of Hugging Face `BertModel` for the encoder parity tests.

Run with the venv that scripts/setup.sh makes (Debian's python3-torch 1.13 + transformers 4.44.2):

    /opt/bertology-venv/bin/python scripts/make_reference.py [--minilm models/all-MiniLM-L6-v2]

Writes under tests/fixtures/models/:
  tiny_<name>/        a random tiny BERT checkpoint folder: config.json, model.safetensors,
                      pytorch_model.bin (torch.save of the state dict), vocab.txt, tokenizer_config.json
  tiny_<name>.reference.safetensors
                      input_ids/attention_mask/token_type_ids [B, T] (a padded batch),
                      hidden_states [L+1, B, T, d] (index 0 = embedding output),
                      attentions [L, B, H, T, T], segment0_* the same with all-zero segment ids
                      (what `bertology encode` feeds), plus head outputs (pooler, MLM logits) when the
                      checkpoint has them, and gradients of a fixed scalar loss in eval mode
  tiny_<name>.sentences.json
                      the sentences of the batch, in order, so CLI tests can encode them
  minilm.reference.safetensors (only with --minilm): the real default model on three sentences.
All numbers are float32 from eager attention (`attn_implementation="eager"`).
"""
import argparse
import json
import os
import platform

import torch
import transformers
from safetensors.torch import save_file
from transformers import BertConfig, BertForMaskedLM, BertModel, BertTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "models")

SENTENCES = [
    "the cat sat on the mat .",
    "a dog ran",
    "dogs and cats are friends , mostly .",
    "hello world",
]

# Small vocabulary: specials, single letters and their ## continuations, a few whole words.
WORDS = ["the", "cat", "sat", "on", "mat", "dog", "ran", "and", "are", "friends", "hello", "world", "mostly"]


def make_vocab():
    toks = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "!", "?"]
    toks += WORDS
    toks += [chr(c) for c in range(ord("a"), ord("z") + 1)]
    toks += ["##" + chr(c) for c in range(ord("a"), ord("z") + 1)]
    return toks


# Three configurations that differ in everything the encoder must honour.
CONFIGS = {
    # MLM checkpoint: keys carry the "bert." prefix, decoder weight tied to the word embeddings.
    "mlm_gelu": dict(cls=BertForMaskedLM, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=37, hidden_act="gelu", layer_norm_eps=1e-12,
                     max_position_embeddings=40, type_vocab_size=2),
    # Bare BertModel with pooler, another eps and the tanh-approximated GELU.
    "base_gelu_new": dict(cls=BertModel, hidden_size=48, num_hidden_layers=3, num_attention_heads=3,
                          intermediate_size=64, hidden_act="gelu_new", layer_norm_eps=1e-5,
                          max_position_embeddings=64, type_vocab_size=3),
    # ReLU, two heads, one layer.
    "base_relu": dict(cls=BertModel, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                      intermediate_size=24, hidden_act="relu", layer_norm_eps=1e-7,
                      max_position_embeddings=32, type_vocab_size=2),
}


def run_model(model, base, ids, mask, types):
    """Forward in eval mode; returns a dict of reference tensors (float32, contiguous)."""
    model.eval()
    out = {}
    with torch.no_grad():
        o = base(input_ids=ids, attention_mask=mask, token_type_ids=types,
                 output_hidden_states=True, output_attentions=True)
        out["hidden_states"] = torch.stack(o.hidden_states)       # [L+1, B, T, d]
        out["attentions"] = torch.stack(o.attentions)             # [L, B, H, T, T]
        if getattr(o, "pooler_output", None) is not None:
            out["pooler_output"] = o.pooler_output
        if isinstance(model, BertForMaskedLM):
            out["mlm_logits"] = model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
    # Gradients of a fixed scalar through hidden states and attention probabilities (eval mode,
    # so deterministic): proves the C++ autograd path, attention included, matches.
    g = torch.Generator().manual_seed(7)
    o = base(input_ids=ids, attention_mask=mask, token_type_ids=types, output_attentions=True)
    w_h = torch.randn(o.last_hidden_state.shape, generator=g)
    w_a = torch.randn(o.attentions[0].shape, generator=g)
    loss = (o.last_hidden_state * w_h).sum() + (o.attentions[0] * w_a).sum()
    base.zero_grad()
    loss.backward()
    out["loss_weight_hidden"] = w_h
    out["loss_weight_attention0"] = w_a
    out["loss"] = loss.detach().reshape(1)
    out["grad.embeddings.word_embeddings.weight"] = base.embeddings.word_embeddings.weight.grad
    out["grad.encoder.layer.0.attention.self.query.weight"] = base.encoder.layer[0].attention.self.query.weight.grad
    return {k: v.detach().float().contiguous() for k, v in out.items()}


def make_tiny(name, spec):
    torch.manual_seed(abs(hash(name)) % (2**31) if False else sum(map(ord, name)))
    vocab = make_vocab()
    cls = spec.pop("cls")
    config = BertConfig(vocab_size=len(vocab), attn_implementation="eager", **spec)
    model = cls(config)
    # Non-trivial LayerNorm affine parameters and biases (defaults are 1/0, which would hide bugs).
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "LayerNorm" in n or n.endswith(".bias"):
                p.add_(0.1 * torch.randn_like(p))
    model.eval()
    base = model.bert if isinstance(model, BertForMaskedLM) else model

    d = os.path.join(OUT, "tiny_" + name)
    os.makedirs(d, exist_ok=True)
    model.save_pretrained(d, safe_serialization=True)
    torch.save(model.state_dict(), os.path.join(d, "pytorch_model.bin"))
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("\n".join(vocab) + "\n")
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "tokenizer_class": "BertTokenizer"}, f)

    tok = BertTokenizer(os.path.join(d, "vocab.txt"), do_lower_case=True)
    enc = tok(SENTENCES, padding=True, return_tensors="pt")
    ids, mask = enc["input_ids"], enc["attention_mask"]
    # Segment ids: second half of each real sequence in segment 1 (exercise token_type embeddings),
    # except the first sentence, which stays all 0 like `bertology encode` produces.
    types = torch.zeros_like(ids)
    for b in range(1, ids.shape[0]):
        n = int(mask[b].sum())
        types[b, n // 2:n] = 1
    ref = run_model(model, base, ids, mask, types)
    # What `bertology encode` computes: all-zero segment ids.
    with torch.no_grad():
        o = base(input_ids=ids, attention_mask=mask, output_hidden_states=True, output_attentions=True)
    ref["segment0_hidden_states"] = torch.stack(o.hidden_states).contiguous()
    ref["segment0_attentions"] = torch.stack(o.attentions).contiguous()
    ref.update(input_ids=ids, attention_mask=mask, token_type_ids=types)
    save_file({k: v.contiguous() for k, v in ref.items()},
              os.path.join(OUT, "tiny_%s.reference.safetensors" % name), metadata=versions())
    with open(os.path.join(OUT, "tiny_%s.sentences.json" % name), "w") as f:
        json.dump({"sentences": SENTENCES, "note": "rows of the reference batch, in order"}, f, indent=1)


def make_minilm(model_dir):
    tok = BertTokenizer.from_pretrained(model_dir)
    model = BertModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    sents = ["The quick brown fox jumps over the lazy dog.",
             "Attention heads in BERT attend to [SEP] surprisingly often.",
             "Hello, world!"]
    enc = tok(sents, padding=True, return_tensors="pt")
    with torch.no_grad():
        o = model(**enc, output_hidden_states=True, output_attentions=True)
    ref = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
           "hidden_states": torch.stack(o.hidden_states).contiguous(),
           "attentions": torch.stack(o.attentions).contiguous()}
    save_file(ref, os.path.join(OUT, "minilm.reference.safetensors"), metadata=versions())
    with open(os.path.join(OUT, "minilm.sentences.json"), "w") as f:
        json.dump({"sentences": sents}, f, indent=1)


def versions():
    return {"transformers": transformers.__version__, "torch": torch.__version__,
            "python": platform.python_version(), "script": "scripts/make_reference.py"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minilm", help="default model folder (all-MiniLM-L6-v2) to make its reference too")
    args = ap.parse_args()
    torch.set_num_threads(2)
    for name, spec in CONFIGS.items():
        make_tiny(name, dict(spec))
    if args.minilm:
        make_minilm(args.minilm)
    with open(os.path.join(OUT, "VERSIONS.json"), "w") as f:
        json.dump(versions(), f, indent=1)


if __name__ == "__main__":
    main()
