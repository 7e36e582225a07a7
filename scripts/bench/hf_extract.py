#!/usr/bin/env python3
"""The plain Hugging Face way to extract hidden states and attention: the reference for
scripts/bench/extract.sh.

What a typical user script does: read the CoNLL-U FORM words of each sentence, tokenize them with the
slow `BertTokenizer` (the reference implementation; `is_split_into_words=True`, [CLS]/[SEP] added),
run padded batches of a fixed number of sentences in corpus order with `output_hidden_states=True,
output_attentions=True` (eager attention, torch.no_grad, model.eval()), trim every sentence to its
real length and write it to one HDF5 file as per-sentence datasets in fp16 (numpy `.astype(np.float16)`):

  /sentences/<i>/input_ids  int64 [T]
  /sentences/<i>/word_ids   int32 [T]            (-1 for [CLS]/[SEP])
  /sentences/<i>/hidden     f16   [L+1, T, d]    (0 = embedding output)
  /sentences/<i>/attention  f16   [L, H, T, T]

Prints one JSON line with the phase times, the wordpieces, the output bytes and the size of a padded
fp32 dump of the same tensors (sum over this script's batches of B*T_max*d*(L+1)*4 + B*H*T_max^2*L*4).
Run with .venv/bin/python (scripts/setup.sh --reference): Debian's torch 1.13 + transformers 4.44.2.
"""
import argparse
import json
import os
import time

T_START = time.perf_counter()  # before the heavy imports: the end-to-end time includes them

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import BertModel, BertTokenizer  # noqa: E402


def read_conllu_forms(path):
    """FORM of every word line; multiword-token ranges (3-4) and empty nodes (8.1) are skipped."""
    sentences, words = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                if words:
                    sentences.append(words)
                    words = []
                continue
            if line.startswith("#"):
                continue
            cols = line.split("\t")
            if "-" in cols[0] or "." in cols[0]:
                continue
            words.append(cols[1])
    if words:
        sentences.append(words)
    return sentences


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conllu", required=True)
    ap.add_argument("--model", default="models/all-MiniLM-L6-v2")
    ap.add_argument("--out", required=True, help="HDF5 file to write")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32, help="sentences per padded batch, in corpus order")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    t = time.perf_counter()
    tok = BertTokenizer.from_pretrained(a.model, clean_up_tokenization_spaces=False)
    model = BertModel.from_pretrained(a.model, attn_implementation="eager").eval()
    L, H, d = model.config.num_hidden_layers, model.config.num_attention_heads, model.config.hidden_size
    sentences = read_conllu_forms(a.conllu)
    t_load = time.perf_counter() - t

    t_tok = t_fwd = t_write = 0.0
    wordpieces = padded_fp32_bytes = 0
    with torch.no_grad(), h5py.File(a.out, "w") as f:
        group = f.create_group("sentences")
        for first in range(0, len(sentences), a.batch):
            batch = sentences[first:first + a.batch]
            t = time.perf_counter()
            enc = tok(batch, is_split_into_words=True, padding=True, return_tensors="pt")
            # The slow tokenizer has no enc.word_ids(): count each word's pieces (what
            # is_split_into_words does inside: one tokenize() per word).
            word_ids = []
            for words in batch:
                w = [-1]
                for i, word in enumerate(words):
                    w += [i] * len(tok.tokenize(word))
                word_ids.append(w + [-1])
            t_tok += time.perf_counter() - t

            t = time.perf_counter()
            out = model(**enc, output_hidden_states=True, output_attentions=True)
            hidden = torch.stack(out.hidden_states, 1)  # [B, L+1, T, d]
            attention = torch.stack(out.attentions, 1)  # [B, L, H, T, T]
            t_fwd += time.perf_counter() - t

            t = time.perf_counter()
            B, T = enc["input_ids"].shape
            padded_fp32_bytes += B * T * d * (L + 1) * 4 + B * H * T * T * L * 4
            lengths = enc["attention_mask"].sum(1).tolist()
            for b, n in enumerate(lengths):
                assert len(word_ids[b]) == n, "word ids disagree with the tokenizer"
                g = group.create_group(str(first + b))
                g["input_ids"] = enc["input_ids"][b, :n].numpy()
                g["word_ids"] = np.asarray(word_ids[b], dtype=np.int32)
                g["hidden"] = hidden[b, :, :n].numpy().astype(np.float16)
                g["attention"] = attention[b, :, :, :n, :n].numpy().astype(np.float16)
                wordpieces += n
            t_write += time.perf_counter() - t
    total = time.perf_counter() - T_START
    print(json.dumps({
        "what": "hf_extract", "sentences": len(sentences), "wordpieces": wordpieces, "batch": a.batch,
        "threads": torch.get_num_threads(), "seconds": round(total, 3),
        "wordpieces_per_s": round(wordpieces / total, 1),
        "phases_s": {"imports": round(total - t_load - t_tok - t_fwd - t_write, 3), "load": round(t_load, 3),
                     "tokenize": round(t_tok, 3), "forward": round(t_fwd, 3), "trim_fp16_write": round(t_write, 3)},
        "out_bytes": os.path.getsize(a.out), "padded_fp32_bytes": padded_fp32_bytes,
        "layers": L, "heads": H, "hidden_size": d,
        "transformers": transformers.__version__, "torch": torch.__version__, "h5py": h5py.__version__}), flush=True)


if __name__ == "__main__":
    main()
