#!/usr/bin/env python3
"""Tables of scripts/device/gpu_check.sh's measurements, with the targets of issue #14.

    python3 scripts/device/summarize_gpu_check.py OUT/gpu_check.jsonl > OUT/gpu_check.md

Reads the JSON lines gpu_check.sh wrote (one per measurement) and prints Markdown: the machine,
encoder parity, GEMM rate and forward, extraction end to end per model (best of the repeats for
each side), MC fine-tuning, NCCL. Extraction wordpieces/s use the plan's token count (bertology's
plan.json, the same wordpieces HF tokenizes: [CLS]/[SEP] included).
"""
import json
import sys


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
    by = {}
    for r in rows:
        by.setdefault(r["what"], []).append(r)
    one = lambda k: by.get(k, [None])[-1]
    m = one("machine") or {}
    print("# GPU check (scripts/device/gpu_check.sh)\n")
    print("GPU: **%s**; torch %s, transformers %s; host CPU %s\n" % (m.get("gpu"), m.get("torch"), m.get("transformers"), m.get("cpu")))

    def met(ok):
        return "met" if ok else "**not met**"

    print("## Encoder parity (all-MiniLM-L6-v2 shape, random weights)\n")
    print("| comparison | max \\|Δh\\| | max \\|Δα\\| | target | |\n|---|---|---|---|---|")
    p = one("parity_gpu_fp32_vs_cpu_fp32")
    if p:
        print("| GPU fp32 vs CPU fp32 | %.2g | %.2g | ≤ 1e-4 | %s |" % (p["max_abs_dh"], p["max_abs_dalpha"], met(p["met"])))
    b = one("parity_bf16_vs_hf_bf16")
    if b:
        print("| bertology bf16 vs HF bf16, same GPU | %.3g | %.3g | | |" % (b["max_abs_dh"], b["max_abs_dalpha"]))
        print("| (yardstick) HF bf16 vs HF fp32 | %.3g | %.3g | | |" % (b["hf_bf16_vs_hf_fp32_dh"], b["hf_bf16_vs_hf_fp32_dalpha"]))

    print("\n## GEMM rate and forward (bf16, batch 64 × seq 128)\n")
    gemm = one("torch_gemm_bf16_8192")
    ffn = next((r for k, v in by.items() if k.startswith("torch_gemm_bf16_8192x1024x4096") for r in v), None)
    g = gemm["tflops"] if gemm else float("nan")
    print("PyTorch bf16 GEMM: 8192³ %.3g TFLOP/s%s\n" % (g, "; 8192×1024·1024×4096 %.3g TFLOP/s" % ffn["tflops"] if ffn else ""))
    print("| model | tokens/s | TFLOP/s | % of the 8192³ GEMM rate | target |\n|---|---|---|---|---|")
    for key, name, target in [("gpu_default_model_bf16", "all-MiniLM-L6-v2 shape", None),
                              ("gpu_bert_base_random_bf16", "BERT-base shape", None),
                              ("gpu_bert_large_random_bf16", "BERT-large shape", 50)]:
        r = one(key)
        if not r:
            continue
        tf = r["gflops"] / 1000
        pct = 100 * tf / g
        print("| %s | %.0f | %.1f | %.0f%% | %s |" % (name, r["tokens_per_s"], tf, pct,
                                                     "≥ 50%%: %s" % met(pct >= target) if target else ""))

    print("\n## Extraction end to end: UD EWT dev, all layers + attention, stored fp16, bf16 compute\n")
    print("| model | wordpieces | bertology wall (best) | HF + h5py wall (best) | bertology wp/s | HF wp/s | bertology / HF | target |")
    print("|---|---|---|---|---|---|---|---|")
    for mname, label in [("minilm_shape", "all-MiniLM-L6-v2 shape"), ("bert_base", "BERT-base shape"), ("bert_large", "BERT-large shape")]:
        ours = [r["wall_s"] for k, v in by.items() if k.startswith("bertology_extract_%s_" % mname) for r in v]
        hf = [r["wall_s"] for k, v in by.items() if k.startswith("hf_extract_%s_" % mname) for r in v]
        plan = one("plan_" + mname)
        if not ours or not hf or not plan:
            continue
        n = plan["num_tokens"]
        ratio = min(hf) / min(ours)
        print("| %s | %d | %.2f s | %.2f s | %.0f | %.0f | %.2f× | ≥ 3×: %s |" % (label, n, min(ours), min(hf), n / min(ours),
                                                                         n / min(hf), ratio, met(ratio >= 3)))

    shapes = {"minilm_shape": "all-MiniLM-L6-v2 shape", "bert_base": "BERT-base shape", "bert_large": "BERT-large shape"}
    mc = (one("mc_model") or {}).get("name", "bert_base")
    print("\n## MC fine-tuning, bf16 mixed precision (%s, MC160 dev, batches of 16)\n" % shapes.get(mc, mc))
    o, h = one("bertology_mc_train"), one("hf_mc_train")
    if o and h:
        r = o["tokens_per_s"] / h["tokens_per_s"]
        print("| | real tokens/s |\n|---|---|")
        print("| bertology (autocast bf16, fp32 master weights) | %.0f |" % o["tokens_per_s"])
        print("| HF BertForMultipleChoice (torch.autocast bf16) | %.0f |" % h["tokens_per_s"])
        print("| bertology / HF | %.2f× (target ≥ 1.2×: %s) |" % (r, met(r >= 1.2)))

    n = one("nccl_allreduce")
    if n:
        print("\n## NCCL\n")
        if "skipped" in n or "error" in n:
            print("NCCL all-reduce: %s" % (n.get("skipped") or n.get("error")))
        else:
            print("Single-rank ncclAllReduce of %d MiB: result equals input: %s; %.1f GB/s (NCCL %d). One GPU cannot test NCCL "
                  "across ranks (NCCL refuses two ranks on one device); the 2-rank all-reduce is tested on MPI."
                  % (n["mib"], n["result_equals_input"], n["gbytes_per_s"], n["nccl_version"]))


if __name__ == "__main__":
    main()
