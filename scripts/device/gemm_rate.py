#!/usr/bin/env python3
"""The device's own matrix-multiply rate as PyTorch sees it: the ceiling the GPU check's encoder and
training throughputs are read against.

torch.matmul(A, B) of A [M, K] and B [K, N] drawn with torch.randn in --dtype on --device (square
n x n x n by default, --n 8192; --shape M,K,N for another one, e.g. 4096,1024,4096: a BERT-large FFN
matmul over 4096 tokens). Three untimed warm-ups, then --iters timed calls: on cuda each between two
CUDA events (torch.cuda.Event(enable_timing=True), read after torch.cuda.synchronize()); on cpu
time.perf_counter around each call. TFLOP/s = 2*M*K*N / seconds / 1e12, from the mean time of the
timed calls ("tflops") and from the fastest ("best_tflops"). fp32 matmuls keep torch's default
precision (TF32 off: torch.backends.cuda.matmul.allow_tf32, reported as "tf32").

Prints one JSON line:
  {"what": "torch_gemm_bf16_8192", "tflops": ..., "best_tflops": ..., "mean_ms": ..., "m": .., "k": ..,
   "n": .., "iters": .., "dtype": "bfloat16", "device": "cuda", "device_name": "NVIDIA H100 ...",
   "tf32": false, "torch": "..."}
"what" is torch_gemm_<bf16|fp16|fp32>_<n> for the square default, torch_gemm_<..>_<M>x<K>x<N> with --shape.

  .venv-torch2/bin/python scripts/device/gemm_rate.py --device cuda --dtype bfloat16 [--n 8192] [--iters 10]
  .venv-torch2/bin/python scripts/device/gemm_rate.py --device cuda --dtype bfloat16 --shape 4096,1024,4096
  .venv-torch2/bin/python scripts/device/gemm_rate.py --device cpu --dtype float32 --n 256    # a CPU smoke test
"""
import argparse
import json
import time

import torch

DTYPES = {"bfloat16": (torch.bfloat16, "bf16"), "float16": (torch.float16, "fp16"), "float32": (torch.float32, "fp32")}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument("--dtype", choices=list(DTYPES), default="bfloat16")
    ap.add_argument("--n", type=int, default=8192, help="square size n x n x n (ignored with --shape)")
    ap.add_argument("--shape", help="M,K,N: A is M x K, B is K x N (e.g. 4096,1024,4096)")
    ap.add_argument("--iters", type=int, default=10, help="timed calls (after 3 warm-ups)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if a.shape:
        try:
            m, k, n = (int(x) for x in a.shape.split(","))
        except ValueError:
            ap.error("--shape wants three comma-separated integers M,K,N, got %r" % a.shape)
        label = "%dx%dx%d" % (m, k, n)
    else:
        m = k = n = a.n
        label = str(a.n)
    if min(m, k, n) <= 0 or a.iters <= 0:
        ap.error("sizes and --iters must be positive")
    if a.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch %s sees no CUDA device" % torch.__version__)
    dtype, short = DTYPES[a.dtype]
    device = torch.device(a.device)

    gen = torch.Generator(device=device).manual_seed(a.seed)
    A = torch.randn(m, k, generator=gen, device=device, dtype=dtype)
    B = torch.randn(k, n, generator=gen, device=device, dtype=dtype)
    for _ in range(3):
        torch.matmul(A, B)
    times = []
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(a.iters)]
        for start, end in events:
            start.record()
            torch.matmul(A, B)
            end.record()
        torch.cuda.synchronize(device)
        times = [start.elapsed_time(end) / 1e3 for start, end in events]
    else:
        for _ in range(a.iters):
            t = time.perf_counter()
            torch.matmul(A, B)
            times.append(time.perf_counter() - t)
    flop = 2.0 * m * k * n
    mean = sum(times) / len(times)
    print(json.dumps({
        "what": "torch_gemm_%s_%s" % (short, label), "tflops": round(flop / mean / 1e12, 3),
        "best_tflops": round(flop / min(times) / 1e12, 3), "mean_ms": round(mean * 1e3, 4),
        "m": m, "k": k, "n": n, "iters": a.iters, "dtype": a.dtype, "device": a.device,
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "tf32": bool(torch.backends.cuda.matmul.allow_tf32), "threads": torch.get_num_threads(),
        "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
