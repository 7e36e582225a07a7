#include "pipeline/model/cpu_precision.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace bertology {

CpuPrecisionFlags read_cpu_precision_flags() {
  CpuPrecisionFlags f;
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  bool have_flags = false;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    key.erase(key.find_last_not_of(" \t") + 1);
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "model name" && f.model_name.empty()) f.model_name = value;
    if (key == "flags" && !have_flags) {
      have_flags = true;
      std::istringstream words(value);
      std::string w;
      while (words >> w) {
        f.avx512_bf16 |= w == "avx512_bf16";
        f.amx_bf16 |= w == "amx_bf16";
        f.avx512_fp16 |= w == "avx512_fp16";
        f.amx_fp16 |= w == "amx_fp16";
      }
    }
  }
  return f;
}

namespace {

/// Best-of-3 GFLOP/s of [512x768]·[768x768] in `dtype` (BERT-base's attention output shape).
double gemm_gflops(torch::ScalarType dtype) {
  torch::NoGradGuard no_grad;
  const int64_t M = 512, K = 768, N = 768;
  auto a = torch::randn({M, K}).to(dtype), b = torch::randn({K, N}).to(dtype);
  auto c = torch::matmul(a, b);  // warm-up: first calls pick kernels and allocate
  double best = 1e30;
  for (int i = 0; i < 3; ++i) {
    const auto t = std::chrono::steady_clock::now();
    c = torch::matmul(a, b);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
  }
  return 2.0 * M * K * N / best / 1e9;
}

const char* config_word(torch::ScalarType dtype) {  // as model.dtype spells it
  return dtype == torch::kBFloat16 ? "bfloat16" : dtype == torch::kHalf ? "float16" : "float32";
}

std::string hardware_words(const CpuPrecisionFlags& f, torch::ScalarType dtype) {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (on) s += (s.empty() ? "" : "+") + std::string(name);
  };
  if (dtype == torch::kBFloat16) {
    add(f.avx512_bf16, "AVX512-BF16");
    add(f.amx_bf16, "AMX-BF16");
  } else {
    add(f.avx512_fp16, "AVX512-FP16");
    add(f.amx_fp16, "AMX-FP16");
  }
  return s.empty() ? "no " + std::string(dtype == torch::kBFloat16 ? "AVX512-BF16/AMX-BF16" : "AVX512-FP16/AMX-FP16")
                   : s;
}

}  // namespace

CpuPrecisionCheck check_cpu_precision(torch::ScalarType dtype) {
  CpuPrecisionCheck r;
  r.flags = read_cpu_precision_flags();
  r.float32_gflops = gemm_gflops(torch::kFloat);
  r.reduced_gflops = gemm_gflops(dtype);
  r.slow = r.reduced_gflops < r.float32_gflops;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s GEMM %.0f GFLOP/s vs float32 %.0f on %s (%s, %d threads)",
                config_word(dtype), r.reduced_gflops, r.float32_gflops,
                r.flags.model_name.empty() ? "this CPU" : r.flags.model_name.c_str(),
                hardware_words(r.flags, dtype).c_str(), at::get_num_threads());
  r.summary = buf;
  return r;
}

std::string warn_if_cpu_precision_slow(torch::ScalarType dtype) {
  static std::mutex mutex;
  static std::map<torch::ScalarType, std::string> done;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = done.find(dtype);
  if (it != done.end()) return it->second;
  const CpuPrecisionCheck r = check_cpu_precision(dtype);
  if (r.slow)
    std::fprintf(stderr,
                 "warning: model.dtype %s is slower than float32 on this CPU: %s. LibTorch emulates it here; "
                 "float32 is faster and exact (set model.dtype: float32)\n",
                 config_word(dtype), r.summary.c_str());
  done[dtype] = r.summary;
  return r.summary;
}

}  // namespace bertology
