#!/usr/bin/env python3
"""Hugging Face transformers forward throughput, the reference for scripts/bench/forward.sh and
scripts/bench/cpu.sh.

Same shapes, threads and timing rule (best of N after a warm-up) as build/bench_forward.
Run with .venv/bin/python (scripts/setup.sh --reference): Debian's torch 1.13 + transformers 4.44.2,
eager attention (torch 1.13 has no SDPA), torch.no_grad, model.eval(); or with .venv-torch2/bin/python
(torch 2.11 + transformers 5, same settings) for scripts/bench/cpu.sh.

--dtype bfloat16 casts both models with .to(torch.bfloat16) (inputs stay int64 ids): the JSON lines get
"dtype": "bfloat16" and "what" names suffixed _bf16, and a torch_python_gemm_bf16_... line follows the
fp32 GEMM line. Default --dtype float32: the fp32 lines, with "dtype": "float32".
"""
import argparse
import json
import time

import torch
import transformers
from transformers import BertConfig, BertModel


def bench(what, model, batch, seq, iters, dtype):
    model.eval()
    if dtype == "bfloat16":
        model, what = model.to(torch.bfloat16), what + "_bf16"
    ids = torch.randint(1000, model.config.vocab_size, (batch, seq))
    mask = torch.ones_like(ids)
    with torch.no_grad():
        model(input_ids=ids, attention_mask=mask)
        times = []
        for _ in range(iters):
            t = time.perf_counter()
            model(input_ids=ids, attention_mask=mask)
            times.append(time.perf_counter() - t)
    best = min(times)
    print(json.dumps({"what": what, "dtype": dtype, "batch": batch, "seq": seq, "threads": torch.get_num_threads(),
                      "best_s": round(best, 4), "tokens_per_s": round(batch * seq / best, 1),
                      "mean_tokens_per_s": round(batch * seq * iters / sum(times), 1),
                      "transformers": transformers.__version__, "torch": torch.__version__}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/all-MiniLM-L6-v2")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32",
                    help="model dtype (bfloat16: model.to(torch.bfloat16))")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x, w = torch.randn(4096, 768), torch.randn(768, 3072)
    for name, dt in [("fp32", torch.float32)] + ([("bf16", torch.bfloat16)] if a.dtype == "bfloat16" else []):
        xd, wd = x.to(dt), w.to(dt)
        torch.matmul(xd, wd)
        times = []
        for _ in range(5):
            t = time.perf_counter()
            torch.matmul(xd, wd)
            times.append(time.perf_counter() - t)
        best = min(times)
        print(json.dumps({"what": "torch_python_gemm_%s_4096x768x3072" % name, "threads": a.threads,
                          "gflops": round(2 * 4096 * 768 * 3072 / best / 1e9, 1)}), flush=True)
    bench("hf_default_model", BertModel.from_pretrained(a.model, attn_implementation="eager"), a.batch, a.seq, a.iters,
          a.dtype)
    bench("hf_bert_base_random", BertModel(BertConfig(attn_implementation="eager")), a.batch, a.seq, a.iters, a.dtype)


if __name__ == "__main__":
    main()
