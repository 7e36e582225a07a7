#!/usr/bin/env python3
"""Random-weight BERT checkpoints for the GPU check: three folders of the shapes the GPU benchmarks
and parity checks run (no download needed; the GPU machine has no network).

For each model: torch.manual_seed(--seed), BertModel(config) in fp32 (weights drawn exactly as
transformers initialises a BertModel: post_init / _init_weights, normal(0, initializer_range)
linears and embeddings, padding row 0, LayerNorm 1/0, biases 0; the pooler included), then
save_pretrained (safetensors), so that every folder holds

  config.json             BertConfig of the shape below (written by transformers)
  model.safetensors       the fp32 weights, BertModel names (no "bert." prefix), pooler included
  vocab.txt               a copy of --vocab
  tokenizer_config.json   {"do_lower_case": true, "model_max_length": 512}

  DIR/minilm_shape   sentence-transformers/all-MiniLM-L6-v2's config (6 layers, 384, 12 heads, 1536)
  DIR/bert_base      BERT-base (12 layers, 768, 12 heads, 3072)
  DIR/bert_large     BERT-large (24 layers, 1024, 16 heads, 4096)

All three have vocab 30522, 512 positions, 2 token types, gelu, layer_norm_eps 1e-12. The seed is
set again before each model, so a model's weights do not depend on --only. The draw follows the
installed transformers' init code: regenerate the folders with the transformers that will read
them (the weights may differ between transformers versions; the C++ side only reads the files).
Each folder is checked by loading it back with BertModel.from_pretrained (no missing or unexpected
keys, every tensor equal to the one saved). Prints one JSON line per model (folder, parameters,
bytes, versions).

  .venv-torch2/bin/python scripts/device/make_random_models.py \\
      --vocab tests/fixtures/vocab/bert-base-uncased-vocab.txt --out DIR [--seed 0] [--only minilm_shape,bert_base]
"""
import argparse
import inspect
import json
import os
import shutil

import torch
import transformers
from transformers import BertConfig, BertModel

# The keys of models/all-MiniLM-L6-v2/config.json (sentence-transformers/all-MiniLM-L6-v2) but
# _name_or_path and transformers_version (save_pretrained writes its own).
MINILM = {
    "architectures": ["BertModel"],
    "attention_probs_dropout_prob": 0.1,
    "gradient_checkpointing": False,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 384,
    "initializer_range": 0.02,
    "intermediate_size": 1536,
    "layer_norm_eps": 1e-12,
    "max_position_embeddings": 512,
    "model_type": "bert",
    "num_attention_heads": 12,
    "num_hidden_layers": 6,
    "pad_token_id": 0,
    "position_embedding_type": "absolute",
    "type_vocab_size": 2,
    "use_cache": True,
    "vocab_size": 30522,
}


def bert(layers, hidden, heads, intermediate):
    """google-research/bert's config of that size (bert-base-uncased / bert-large-uncased)."""
    c = {k: v for k, v in MINILM.items() if k != "gradient_checkpointing"}
    c.update(num_hidden_layers=layers, hidden_size=hidden, num_attention_heads=heads, intermediate_size=intermediate)
    return c


CONFIGS = {
    "minilm_shape": MINILM,
    "bert_base": bert(12, 768, 12, 3072),
    "bert_large": bert(24, 1024, 16, 4096),
}
TOKENIZER_CONFIG = {"do_lower_case": True, "model_max_length": 512}


def save_safetensors(model, folder):
    """save_pretrained as safetensors: transformers 4 needs safe_serialization=True, 5 has no other
    format (and no such argument)."""
    if "safe_serialization" in inspect.signature(model.save_pretrained).parameters:
        model.save_pretrained(folder, safe_serialization=True)
    else:
        model.save_pretrained(folder)
    path = os.path.join(folder, "model.safetensors")
    if not os.path.isfile(path):
        raise SystemExit("%s: save_pretrained wrote no model.safetensors (files: %s)" % (folder, os.listdir(folder)))
    return path


def check_loads_back(folder, saved):
    """BertModel.from_pretrained(folder) has exactly the saved tensors."""
    model, info = BertModel.from_pretrained(folder, output_loading_info=True)
    bad = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    if bad:
        raise SystemExit("%s: loading it back: %s" % (folder, bad))
    loaded = model.state_dict()
    if set(loaded) != set(saved):
        raise SystemExit("%s: loading it back gives other names: %s" % (folder, sorted(set(loaded) ^ set(saved))))
    for k, v in saved.items():
        if loaded[k].dtype != v.dtype or not torch.equal(loaded[k], v):
            raise SystemExit("%s: %s differs after loading it back" % (folder, k))


def make(name, vocab, out, seed, vocab_lines):
    spec = CONFIGS[name]
    if vocab_lines != spec["vocab_size"]:
        raise SystemExit("%s: %d lines, but %s has vocab_size %d" % (vocab, vocab_lines, name, spec["vocab_size"]))
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    config = BertConfig(**spec)
    torch.manual_seed(seed)
    model = BertModel(config).float().eval()
    path = save_safetensors(model, folder)
    shutil.copyfile(vocab, os.path.join(folder, "vocab.txt"))
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump(TOKENIZER_CONFIG, f)
    saved = {k: v.detach().clone() for k, v in model.state_dict().items()}
    params = sum(p.numel() for p in model.parameters())
    del model
    check_loads_back(folder, saved)
    print(json.dumps({"what": "random_model", "name": name, "folder": folder, "seed": seed, "parameters": params,
                      "safetensors_bytes": os.path.getsize(path), "layers": spec["num_hidden_layers"],
                      "hidden_size": spec["hidden_size"], "heads": spec["num_attention_heads"],
                      "transformers": transformers.__version__, "torch": torch.__version__}), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vocab", required=True, help="vocab.txt to copy (one wordpiece per line, 30522 lines)")
    ap.add_argument("--out", required=True, help="folder to write the model folders into")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", default=",".join(CONFIGS),
                    help="comma-separated subset of %s (default all)" % ",".join(CONFIGS))
    a = ap.parse_args()
    names = [n for n in a.only.split(",") if n]
    unknown = [n for n in names if n not in CONFIGS]
    if unknown or not names:
        ap.error("--only: unknown model(s) %s; choose from %s" % (unknown, ",".join(CONFIGS)))
    torch.set_default_dtype(torch.float32)
    with open(a.vocab, encoding="utf-8") as f:
        vocab_lines = sum(1 for _ in f)
    for name in names:
        make(name, a.vocab, a.out, a.seed, vocab_lines)


if __name__ == "__main__":
    main()
