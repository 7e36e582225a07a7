// Encoder forward throughput on this machine, beside the GEMM rate of the same LibTorch.
//
//   build/bench_forward [--model DIR] [--threads N] [--batch 8] [--seq 128] [--iters 5]
//                       [--dtype float32|bfloat16|float16] [--tag NAME]
//
// Prints one JSON line per measurement: {"what", "tokens_per_s" | "gflops", "dtype", "libtorch", ...};
// `what` names carry the tag (default: bertology) and a dtype suffix for non-float32 runs. Run
// through scripts/bench/forward.sh or scripts/bench/cpu.sh, which put Hugging Face's numbers beside
// these.
#include <ATen/Parallel.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "pipeline/model/checkpoint.h"

using namespace bertology;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

/// GEMM [4096x768]·[768x3072] in `dtype`, the shape of BERT-base's FFN on 8x512 tokens.
double gemm_gflops(int iters, torch::ScalarType dtype) {
  torch::NoGradGuard no_grad;
  auto a = torch::randn({4096, 768}).to(dtype), b = torch::randn({768, 3072}).to(dtype);
  auto c = torch::matmul(a, b);  // warm-up
  double best = 1e30;
  for (int i = 0; i < iters; ++i) {
    auto t = Clock::now();
    c = torch::matmul(a, b);
    best = std::min(best, seconds_since(t));
  }
  return 2.0 * 4096 * 768 * 3072 / best / 1e9;
}

/// FLOPs of one forward (matmuls only): per layer 4·T·d² (QKV+out) ·2 + 2·T·d·ff ·2 + 2·T²·d ·2.
double forward_flops(const BertConfig& c, int B, int T) {
  const double d = c.hidden_size, ff = c.intermediate_size, L = c.num_hidden_layers;
  return B * L * (2.0 * T * 4 * d * d + 2.0 * T * 2 * d * ff + 2.0 * 2 * T * T * d);
}

void bench_model(const std::string& what, BertModel& model, int B, int T, int iters) {
  torch::NoGradGuard no_grad;
  model->eval();
  const auto& c = model->config();
  auto ids = torch::randint(1000, c.vocab_size, {B, T}, torch::kLong);
  auto mask = torch::ones({B, T}, torch::kLong);
  model->forward(ids, mask, {});  // warm-up
  double best = 1e30, total = 0;
  for (int i = 0; i < iters; ++i) {
    auto t = Clock::now();
    auto out = model->forward(ids, mask, {});
    const double s = seconds_since(t);
    best = std::min(best, s);
    total += s;
  }
  std::printf("{\"what\": \"%s\", \"batch\": %d, \"seq\": %d, \"threads\": %d, \"best_s\": %.4f, "
              "\"tokens_per_s\": %.1f, \"mean_tokens_per_s\": %.1f, \"gflops\": %.1f}\n",
              what.c_str(), B, T, at::get_num_threads(), best, B * T / best, B * T * iters / total,
              forward_flops(c, B, T) / best / 1e9);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_dir = "models/all-MiniLM-L6-v2";
  std::string dtype_name = "float32", tag = "bertology";
  int threads = 2, B = 8, T = 128, iters = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") model_dir = v;
    else if (k == "--threads") threads = std::stoi(v);
    else if (k == "--batch") B = std::stoi(v);
    else if (k == "--seq") T = std::stoi(v);
    else if (k == "--iters") iters = std::stoi(v);
    else if (k == "--dtype") dtype_name = v;
    else if (k == "--tag") tag = v;
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
  }
  const torch::ScalarType dtype = dtype_name == "bfloat16" ? torch::kBFloat16
                                  : dtype_name == "float16" ? torch::kHalf : torch::kFloat;
  if (dtype == torch::kFloat && dtype_name != "float32") { std::fprintf(stderr, "unknown dtype %s\n", dtype_name.c_str()); return 2; }
  set_torch_threads(threads);
  torch::manual_seed(0);
  const std::string sfx = dtype == torch::kFloat ? "" : dtype == torch::kBFloat16 ? "_bf16" : "_fp16";
  const std::string gemm_name = std::string("gemm_") + (dtype == torch::kFloat ? "fp32" : sfx.substr(1)) + "_4096x768x3072";
  std::printf("{\"what\": \"%s\", \"tag\": \"%s\", \"dtype\": \"%s\", \"libtorch\": \"%s\", \"threads\": %d, \"gflops\": %.1f}\n",
              gemm_name.c_str(), tag.c_str(), dtype_name.c_str(), TORCH_VERSION, threads, gemm_gflops(5, dtype));
  LoadOptions options;
  options.dtype = dtype_name;
  LoadedBert minilm = load_bert(model_dir, options);
  bench_model(tag + "_default_model" + sfx, minilm.model, B, T, iters);
  BertConfig base;  // defaults = BERT-base shape: 12 layers, 768, 12 heads, 3072
  BertModel random_base(base, false, false);
  random_base->to(dtype);
  bench_model(tag + "_bert_base_random" + sfx, random_base, B, T, iters);
  return 0;
}
