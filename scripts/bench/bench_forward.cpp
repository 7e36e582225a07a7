// Encoder forward throughput on this machine, beside the GEMM rate of the same LibTorch.
//
//   build/bench_forward [--model DIR] [--threads N] [--batch 8] [--seq 128] [--iters 5]
//                       [--dtype float32|bfloat16|float16] [--tag NAME] [--device cpu|cuda|cuda:N]
//                       [--models default,base,large]
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

#include "pipeline/model/autocast.h"
#include "pipeline/model/checkpoint.h"

using namespace bertology;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

/// Waits for the device's queued work (a no-op on the CPU, where every op has finished).
void finish(const torch::Tensor& t) {
  if (t.is_cuda()) (void)t.flatten()[0].item<float>();  // the copy to the host waits for the stream
}

/// GEMM [4096x768]·[768x3072] in `dtype`, the shape of BERT-base's FFN on 8x512 tokens.
double gemm_gflops(int iters, torch::ScalarType dtype, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  auto a = torch::randn({4096, 768}).to(device, dtype), b = torch::randn({768, 3072}).to(device, dtype);
  auto c = torch::matmul(a, b);  // warm-up
  finish(c);
  double best = 1e30;
  for (int i = 0; i < iters; ++i) {
    auto t = Clock::now();
    c = torch::matmul(a, b);
    finish(c);
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
  const auto device = model->embeddings->word_embeddings->weight.device();
  auto ids = torch::randint(1000, c.vocab_size, {B, T}, torch::kLong).to(device);
  auto mask = torch::ones({B, T}, torch::kLong).to(device);
  finish(model->forward(ids, mask, {}).hidden_states.back());  // warm-up
  double best = 1e30, total = 0;
  for (int i = 0; i < iters; ++i) {
    auto t = Clock::now();
    auto out = model->forward(ids, mask, {});
    finish(out.hidden_states.back());
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
  std::string dtype_name = "float32", tag = "bertology", device_name = "cpu", models = "default,base";
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
    else if (k == "--device") device_name = v;
    else if (k == "--models") models = "," + v + ",";
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
  }
  const torch::ScalarType dtype = compute_type_of(dtype_name);
  if (dtype == torch::ScalarType::Undefined) { std::fprintf(stderr, "unknown dtype %s\n", dtype_name.c_str()); return 2; }
  set_torch_threads(threads);
  torch::manual_seed(0);
  const std::string sfx = dtype == torch::kFloat ? "" : dtype == torch::kBFloat16 ? "_bf16" : "_fp16";
  const std::string gemm_name = std::string("gemm_") + (dtype == torch::kFloat ? "fp32" : sfx.substr(1)) + "_4096x768x3072";
  if (models.front() != ',') models = "," + models + ",";
  LoadOptions options;
  options.dtype = dtype_name;
  options.device = device_name;  // load_bert applies the device rule ("cuda" = this rank's GPU)
  LoadedBert minilm = load_bert(model_dir, options);
  const auto device = minilm.model->embeddings->word_embeddings->weight.device();
  std::printf("{\"what\": \"%s\", \"tag\": \"%s\", \"dtype\": \"%s\", \"device\": \"%s\", \"libtorch\": \"%s\", "
              "\"threads\": %d, \"gflops\": %.1f}\n",
              gemm_name.c_str(), tag.c_str(), dtype_name.c_str(), device.str().c_str(), TORCH_VERSION, threads,
              gemm_gflops(5, dtype, device));
  if (models.find(",default,") != std::string::npos) bench_model(tag + "_default_model" + sfx, minilm.model, B, T, iters);
  if (models.find(",base,") != std::string::npos) {
    BertConfig base;  // defaults = BERT-base shape: 12 layers, 768, 12 heads, 3072
    BertModel random_base(base, false, false);
    random_base->to(device, dtype);
    bench_model(tag + "_bert_base_random" + sfx, random_base, B, T, iters);
  }
  if (models.find(",large,") != std::string::npos) {
    BertConfig large;  // BERT-large: 24 layers, 1024, 16 heads, 4096
    large.num_hidden_layers = 24;
    large.hidden_size = 1024;
    large.num_attention_heads = 16;
    large.intermediate_size = 4096;
    BertModel random_large(large, false, false);
    random_large->to(device, dtype);
    bench_model(tag + "_bert_large_random" + sfx, random_large, B, T, iters);
  }
  return 0;
}
