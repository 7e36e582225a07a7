#!/usr/bin/env python3
"""The Hugging Face way to extract hidden states and attention: the references for
scripts/bench/extract.sh (plain, the default) and scripts/bench/cpu.sh (--strong).

Plain (default), what a typical user script does: read the CoNLL-U FORM words of each sentence,
tokenize them with `BertTokenizer` (`is_split_into_words=True`, [CLS]/[SEP] added; word ids by
tokenizing every word again), run padded batches of a fixed number of sentences (--batch, default 32)
in corpus order with `output_hidden_states=True, output_attentions=True` (eager attention,
torch.no_grad, model.eval(), fp32), trim every sentence to its real length and convert it to fp16
(numpy `.astype(np.float16)`).

Strong (--strong), the best setup a careful user would write: the fast `BertTokenizerFast` (one
batched call over the whole corpus, `is_split_into_words=True`, word ids from its `word_ids()`),
sentences sorted by wordpiece length (stable) and cut into batches of at most --batch-tokens padded
wordpieces (batch size x longest, default 4096, like bertology's extract.batch_tokens; the Rust
tokenizer gets --threads threads too), torch.inference_mode, eager attention (the only one that
returns attention maps), model.eval(), --dtype float32 or bfloat16 (model.to(torch.bfloat16)); each
batch's layers are copied into one fp16 tensor in torch (one pass; bf16 -> fp16 is exact), then
trimmed per sentence.

--device cuda (default cpu) runs either mode on the GPU: the model moved there after loading (and the
--dtype cast), each batch's inputs moved there for the forward, and its outputs brought back the way a
careful user would: every layer cast to fp16 on the GPU into one buffer per batch (hidden states and
attention together), one device-to-host copy of it per batch, then trimmed per sentence on the host
(fp32 -> fp16 rounds to nearest even on either side, so the stored values are the ones numpy would
give). On cuda the clock is read after torch.cuda.synchronize() (after each forward, for the phase
times, and at the end); the tokenizer and HDF5 writing stay on the CPU with --threads threads.

Both write one HDF5 file of per-sentence datasets, <i> = the sentence's index in the corpus:

  /sentences/<i>/input_ids  int64 [T]
  /sentences/<i>/word_ids   int32 [T]            (-1 for [CLS]/[SEP])
  /sentences/<i>/hidden     f16   [L+1, T, d]    (0 = embedding output)
  /sentences/<i>/attention  f16   [L, H, T, T]

Prints one JSON line with the phase times, the wordpieces, the output bytes, the size of a padded
fp32 dump of the same tensors (sum over this script's batches of B*T_max*d*(L+1)*4 + B*H*T_max^2*L*4),
"mode" (plain|strong), "dtype", "batches", "tokenizer_fast", "device" (cpu|cuda), "device_name"
(torch.cuda.get_device_name() on cuda, null on cpu) and the torch/transformers/h5py versions
(strong: "batch" is null and "batch_tokens" is given; "what" is hf_extract_strong[_bf16]; the names do
not change with --device: read "device").

  .venv/bin/python scripts/bench/hf_extract.py --conllu C --out X.h5 [--threads 2] [--batch 32]
  .venv-torch2/bin/python scripts/bench/hf_extract.py --strong [--dtype bfloat16] [--batch-tokens 4096] \
      --conllu C --out X.h5 [--threads 2]
  .venv-torch2/bin/python scripts/bench/hf_extract.py [--strong ...] --device cuda --conllu C --out X.h5

.venv (scripts/setup.sh --reference) is Debian's torch 1.13 + transformers 4.44.2: plain mode there
tokenizes with the slow (pure Python) BertTokenizer. .venv-torch2 (scripts/setup.sh --reference) is
torch 2.11 + transformers 5: there `BertTokenizer` is itself the fast tokenizer (the slow one became
`BertTokenizerLegacy`), so plain mode's tokenizer is fast too ("tokenizer_fast" in the JSON line).
"""
import argparse
import json
import os
import re
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


def strong_tokenizer_class(dtype):
    """BertTokenizerFast, or exit with what is missing for --strong."""
    hint = ("hf_extract.py --strong needs a fast (Rust) BertTokenizerFast, torch.inference_mode and, for bfloat16, "
            "torch >= 1.10; found torch %s, transformers %s: run it with .venv-torch2/bin/python "
            "(scripts/setup.sh --reference)" % (torch.__version__, transformers.__version__))
    try:
        from transformers import BertTokenizerFast
        import tokenizers  # noqa: F401  (the Rust backend; without it BertTokenizerFast is a dummy)
    except Exception as e:  # ImportError, or transformers' RuntimeError for a module it cannot import
        raise SystemExit("%s (%s: %s)" % (hint, type(e).__name__, str(e).splitlines()[0]))
    major_minor = tuple(int(x) for x in re.match(r"(\d+)\.(\d+)", torch.__version__).groups())
    if not hasattr(torch, "inference_mode") or (dtype == "bfloat16" and major_minor < (1, 10)):
        raise SystemExit(hint)
    return BertTokenizerFast


def batches_by_tokens(lengths, batch_tokens):
    """Sentence indices sorted by length (stable), cut so that batch size x longest <= batch_tokens
    (a sentence longer than the budget gets a batch of its own)."""
    batches, batch = [], []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        if batch and (len(batch) + 1) * lengths[i] > batch_tokens:  # ascending: i is the longest
            batches.append(batch)
            batch = []
        batch.append(i)
    if batch:
        batches.append(batch)
    return batches


def synchronize(device):
    """Wait for the GPU's queued work before the clock is read (nothing to wait for on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def layers_to_host_fp16(out, B, T, dims):
    """out's hidden states and attention maps as fp16 host tensors [B, L+1, T, d] and [B, L, H, T, T].

    Every layer is cast to fp16 where the model ran, while being stacked into one buffer that holds both
    (bf16 -> fp16 is exact, fp32 -> fp16 rounds to nearest even); on a GPU that buffer then comes to the
    host in one copy. On the CPU the buffer is already the result.
    """
    L, H, d = dims
    device = out.hidden_states[0].device
    n_hidden = B * (L + 1) * T * d
    flat = torch.empty(n_hidden + B * L * H * T * T, dtype=torch.float16, device=device)
    hidden = flat[:n_hidden].view(B, L + 1, T, d)
    attention = flat[n_hidden:].view(B, L, H, T, T)
    for l, x in enumerate(out.hidden_states):
        hidden[:, l] = x  # cast to fp16 while stacking
    for l, x in enumerate(out.attentions):
        attention[:, l] = x
    if device.type != "cpu":
        flat = flat.cpu()  # the one device-to-host copy of the batch
        hidden = flat[:n_hidden].view(B, L + 1, T, d)
        attention = flat[n_hidden:].view(B, L, H, T, T)
    return hidden, attention


def extract_plain(a, f, tok, model, sentences, dims):
    """Fixed batches of a.batch sentences in corpus order. Returns the phase times and counts."""
    L, H, d = dims
    device = torch.device(a.device)
    t_tok = t_fwd = t_write = 0.0
    wordpieces = padded_fp32_bytes = batches = 0
    with torch.no_grad():
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
            B, T = enc["input_ids"].shape
            if device.type == "cpu":
                out = model(**enc, output_hidden_states=True, output_attentions=True)
                hidden = torch.stack(out.hidden_states, 1)  # [B, L+1, T, d]
                attention = torch.stack(out.attentions, 1)  # [B, L, H, T, T]
            else:
                out = model(**{k: v.to(device) for k, v in enc.items()}, output_hidden_states=True,
                            output_attentions=True)
                synchronize(device)
            t_fwd += time.perf_counter() - t

            t = time.perf_counter()
            if device.type != "cpu":
                hidden, attention = layers_to_host_fp16(out, B, T, dims)  # fp16 already: astype below copies
                del out
            padded_fp32_bytes += B * T * d * (L + 1) * 4 + B * H * T * T * L * 4
            batches += 1
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
    return t_tok, t_fwd, t_write, wordpieces, padded_fp32_bytes, batches


def extract_strong(a, f, tok, model, sentences, dims):
    """Length-sorted batches of <= a.batch_tokens padded wordpieces. Returns the phase times and counts."""
    L, H, d = dims
    device = torch.device(a.device)
    t = time.perf_counter()
    enc = tok(sentences, is_split_into_words=True)  # one batched call (Rust, threads = RAYON_NUM_THREADS)
    ids = enc["input_ids"]
    word_ids = [[-1 if w is None else w for w in enc.word_ids(i)] for i in range(len(sentences))]
    batches = batches_by_tokens([len(x) for x in ids], a.batch_tokens)
    t_tok = time.perf_counter() - t
    t_fwd = t_write = 0.0
    wordpieces = padded_fp32_bytes = 0
    with torch.inference_mode():
        group = f.create_group("sentences")
        for batch in batches:
            t = time.perf_counter()
            B, T = len(batch), len(ids[batch[-1]])  # sorted ascending: the last is the longest
            input_ids = torch.full((B, T), tok.pad_token_id, dtype=torch.long)
            mask = torch.zeros((B, T), dtype=torch.long)
            for b, s in enumerate(batch):
                n = len(ids[s])
                input_ids[b, :n] = torch.tensor(ids[s])
                mask[b, :n] = 1
            t_tok += time.perf_counter() - t

            t = time.perf_counter()
            out = model(input_ids=input_ids.to(device), attention_mask=mask.to(device), output_hidden_states=True,
                        output_attentions=True)
            synchronize(device)
            t_fwd += time.perf_counter() - t

            t = time.perf_counter()
            hidden, attention = layers_to_host_fp16(out, B, T, dims)
            del out
            padded_fp32_bytes += B * T * d * (L + 1) * 4 + B * H * T * T * L * 4
            for b, s in enumerate(batch):
                n = len(ids[s])
                assert len(word_ids[s]) == n, "word ids disagree with the tokenizer"
                g = group.create_group(str(s))
                g["input_ids"] = np.asarray(ids[s], dtype=np.int64)
                g["word_ids"] = np.asarray(word_ids[s], dtype=np.int32)
                g["hidden"] = hidden[b, :, :n].numpy()
                g["attention"] = attention[b, :, :, :n, :n].numpy()
                wordpieces += n
            t_write += time.perf_counter() - t
    return t_tok, t_fwd, t_write, wordpieces, padded_fp32_bytes, len(batches)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conllu", required=True)
    ap.add_argument("--model", default="models/all-MiniLM-L6-v2")
    ap.add_argument("--out", required=True, help="HDF5 file to write")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, help="plain: sentences per padded batch, in corpus order (default 32)")
    ap.add_argument("--strong", action="store_true",
                    help="fast tokenizer, length-sorted token-budget batches, inference_mode, --dtype")
    ap.add_argument("--batch-tokens", type=int,
                    help="strong: padded wordpieces per batch, batch size x longest (default 4096)")
    ap.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32",
                    help="strong: model dtype (bfloat16: model.to(torch.bfloat16)); stored fp16 either way")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                    help="where the model runs (cuda: outputs cast to fp16 on the GPU, one copy to the host per batch)")
    a = ap.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch %s sees no CUDA device" % torch.__version__)
    if a.strong:
        if a.batch is not None:
            ap.error("--batch is for plain mode; --strong batches by --batch-tokens")
        a.batch_tokens = 4096 if a.batch_tokens is None else a.batch_tokens
        tokenizer_class = strong_tokenizer_class(a.dtype)
        os.environ.setdefault("RAYON_NUM_THREADS", str(a.threads))  # the Rust tokenizer's thread pool
    else:
        if a.batch_tokens is not None or a.dtype != "float32":
            ap.error("--batch-tokens and --dtype bfloat16 need --strong")
        a.batch = 32 if a.batch is None else a.batch
        tokenizer_class = BertTokenizer
    torch.set_num_threads(a.threads)

    t = time.perf_counter()
    tok = tokenizer_class.from_pretrained(a.model, clean_up_tokenization_spaces=False)
    model = BertModel.from_pretrained(a.model, attn_implementation="eager").eval()
    if a.dtype == "bfloat16":
        model = model.to(torch.bfloat16)
    if a.device != "cpu":
        model = model.to(a.device)
    L, H, d = model.config.num_hidden_layers, model.config.num_attention_heads, model.config.hidden_size
    sentences = read_conllu_forms(a.conllu)
    t_load = time.perf_counter() - t

    with h5py.File(a.out, "w") as f:
        extract = extract_strong if a.strong else extract_plain
        t_tok, t_fwd, t_write, wordpieces, padded_fp32_bytes, batches = extract(a, f, tok, model, sentences, (L, H, d))
    synchronize(torch.device(a.device))
    total = time.perf_counter() - T_START
    what = "hf_extract" + ("_strong" if a.strong else "") + ("_bf16" if a.dtype == "bfloat16" else "")
    r = {"what": what, "mode": "strong" if a.strong else "plain", "dtype": a.dtype,
         "sentences": len(sentences), "wordpieces": wordpieces, "batch": None if a.strong else a.batch}
    if a.strong:
        r["batch_tokens"] = a.batch_tokens
    r.update({
        "batches": batches, "tokenizer_fast": bool(tok.is_fast), "device": a.device,
        "device_name": torch.cuda.get_device_name() if a.device == "cuda" else None,
        "threads": torch.get_num_threads(), "seconds": round(total, 3),
        "wordpieces_per_s": round(wordpieces / total, 1),
        "phases_s": {"imports": round(total - t_load - t_tok - t_fwd - t_write, 3), "load": round(t_load, 3),
                     "tokenize": round(t_tok, 3), "forward": round(t_fwd, 3), "trim_fp16_write": round(t_write, 3)},
        "out_bytes": os.path.getsize(a.out), "padded_fp32_bytes": padded_fp32_bytes,
        "layers": L, "heads": H, "hidden_size": d,
        "transformers": transformers.__version__, "torch": torch.__version__, "h5py": h5py.__version__})
    print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
