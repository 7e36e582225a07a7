#!/usr/bin/env python3
"""Hugging Face reference outputs for the GPU parity check: what BertModel computes on one fixed padded
batch, for bertology's encoder (C++, LibTorch) to be compared against on the same device and dtype.

Tokenizes SENTENCES (4 English sentences of different lengths, hard-coded below) with
BertTokenizerFast from --model (padding=True: padded to the longest, [CLS]/[SEP] added, one segment),
loads BertModel.from_pretrained(--model, attn_implementation="eager"), casts it to --dtype
(model.to(torch.bfloat16) for bfloat16), moves it and the batch to --device, and runs one forward in
eval mode under torch.inference_mode with output_hidden_states=True, output_attentions=True.
fp32 matmuls are exact fp32 (TF32 off); bf16 keeps torch's defaults.

Writes one safetensors file (--out), every tensor contiguous, little-endian, dtypes exactly I64 / F32:

  input_ids       I64 [B, T]              B = 4, T = the longest sentence in wordpieces
  attention_mask  I64 [B, T]              1 = real token, 0 = padding (padding at the right)
  token_type_ids  I64 [B, T]              all 0
  hidden_states   F32 [L+1, B, T, d]      0 = embedding output; padded positions included
  attentions      F32 [L, B, H, T, T]     softmax probabilities (post-dropout is a no-op in eval)

hidden_states / attentions are copied to the host first and converted there from --dtype to float32
(bf16 -> fp32 is exact). The header's __metadata__ (all strings): "transformers", "torch", "device"
(cpu|cuda), "device_name" (torch.cuda.get_device_name() on cuda, "cpu" otherwise), "dtype", "model"
(the --model path), "attn_implementation" ("eager"), "sentences" (JSON list), "tf32" ("false"),
"bf16_reduced_precision_reduction" (torch's flag, "true"/"false"). Prints one JSON line with the
same facts and the shapes.

  .venv-torch2/bin/python scripts/device/hf_parity_reference.py --model DIR --out FILE.safetensors \\
      [--device cpu|cuda] [--dtype float32|bfloat16]
"""
import argparse
import json

import torch
import transformers
from safetensors.torch import save_file
from transformers import BertModel

try:
    from transformers import BertTokenizerFast  # transformers 5: an alias of BertTokenizer, the fast one
except ImportError:
    from transformers import BertTokenizer as BertTokenizerFast

SENTENCES = [
    "The cat sat on the mat.",
    "Attention heads in BERT often track syntactic relations such as direct objects and determiners.",
    "Hello world!",
    "After the storm had passed, the villagers walked down to the harbour to count the boats "
    "that were still afloat and to repair the nets.",
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="Hugging Face BERT checkpoint folder (config.json, "
                                                  "model.safetensors, vocab.txt, tokenizer_config.json)")
    ap.add_argument("--out", required=True, help="safetensors file to write")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    a = ap.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch %s sees no CUDA device" % torch.__version__)
    device = torch.device(a.device)
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[a.dtype]
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 reference: no TF32 (torch's default, made explicit)
    torch.backends.cudnn.allow_tf32 = False

    tok = BertTokenizerFast.from_pretrained(a.model)
    enc = tok(SENTENCES, padding=True, return_tensors="pt")
    model = BertModel.from_pretrained(a.model, attn_implementation="eager").eval()
    model = model.to(device=device, dtype=dtype)
    inputs = {k: enc[k].to(device) for k in ("input_ids", "attention_mask", "token_type_ids")}
    with torch.inference_mode():
        out = model(**inputs, output_hidden_states=True, output_attentions=True)
        hidden = [h.cpu() for h in out.hidden_states]
        attn = [x.cpu() for x in out.attentions]
    if a.device == "cuda":
        torch.cuda.synchronize()

    tensors = {k: enc[k].to(torch.int64).contiguous() for k in ("input_ids", "attention_mask", "token_type_ids")}
    tensors["hidden_states"] = torch.stack([h.float() for h in hidden]).contiguous()
    tensors["attentions"] = torch.stack([x.float() for x in attn]).contiguous()
    B, T = tensors["input_ids"].shape
    c = model.config
    L, H, d = c.num_hidden_layers, c.num_attention_heads, c.hidden_size
    assert tensors["hidden_states"].shape == (L + 1, B, T, d), tensors["hidden_states"].shape
    assert tensors["attentions"].shape == (L, B, H, T, T), tensors["attentions"].shape
    meta = {
        "transformers": transformers.__version__, "torch": torch.__version__, "device": a.device,
        "device_name": torch.cuda.get_device_name(device) if a.device == "cuda" else "cpu",
        "dtype": a.dtype, "model": a.model, "attn_implementation": "eager", "sentences": json.dumps(SENTENCES),
        "tf32": "false",
        "bf16_reduced_precision_reduction":
            str(bool(torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction)).lower(),
    }
    save_file(tensors, a.out, metadata=meta)
    r = {"what": "hf_parity_reference", "out": a.out, "batch": B, "seq": T, "layers": L, "heads": H,
         "hidden_size": d, "lengths": tensors["attention_mask"].sum(1).tolist()}
    r.update({k: v for k, v in meta.items() if k != "sentences"})
    print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
