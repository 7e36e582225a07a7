// The C++ half of the GPU check (scripts/device/gpu_check.sh): encoder parity on the GPU and a
// single-rank NCCL all-reduce. Prints one JSON line per measurement.
//
//   device_check --model DIR [--device cuda] [--hf-bf16 FILE] [--hf-fp32 FILE] [--nccl-mb 64]
//
// 1. "parity_gpu_fp32_vs_cpu_fp32": the model in fp32 on the CPU and on the device, one padded
//    batch of random ids (B = 4, lengths 64, 50, 33, 7), max |Δh| over every hidden layer and max
//    |Δα| over every attention map, real tokens only. Target <= 1e-4.
// 2. "parity_bf16_vs_hf_bf16" (--hf-bf16): the model in bf16 on the device against Hugging Face's
//    bf16 forward on the same device (scripts/device/hf_parity_reference.py), its batch. Reported
//    beside HF bf16's own distance from HF fp32 (--hf-fp32), the yardstick for bf16 rounding.
// 3. "nccl_allreduce": ncclAllReduce (sum) of --nccl-mb MiB of floats on one rank (communicator
//    of one device), checked against the input, bandwidth of the best of 5. One GPU cannot test
//    NCCL across ranks (NCCL refuses two ranks on one device): the 2-rank all-reduce is tested on
//    MPI (model_tests, cli_tests). Built without NCCL: {"skipped": ...}.
#include <torch/torch.h>
#include <torch/version.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "pipeline/model/checkpoint.h"
#include "pipeline/model/safetensors.h"

#ifdef BERTOLOGY_WITH_NCCL
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <nccl.h>
#endif

using namespace bertology;

namespace {

double max_diff_real(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& mask) {
  auto m = mask.to(torch::kBool).cpu();
  return (a.cpu().to(torch::kFloat).index({m}) - b.cpu().to(torch::kFloat).index({m})).abs().max().item<double>();
}
double max_diff_real_rows(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& mask) {
  auto m = mask.to(torch::kBool).cpu().unsqueeze(1).expand({a.size(0), a.size(1), a.size(2)});
  return (a.cpu().to(torch::kFloat).index({m}) - b.cpu().to(torch::kFloat).index({m})).abs().max().item<double>();
}

struct Diffs {
  double hidden = 0, attention = 0;
};

/// Forward of `model` on (ids, mask, types) moved to its device; max diffs against `hidden`
/// [L+1, B, T, d] and `attention` [L, B, H, T, T] given per layer.
Diffs compare(BertModel& model, const torch::Tensor& ids, const torch::Tensor& mask, const torch::Tensor& types,
              const std::vector<torch::Tensor>& hidden, const std::vector<torch::Tensor>& attention) {
  torch::NoGradGuard no_grad;
  model->eval();
  const auto device = model->embeddings->word_embeddings->weight.device();
  ForwardOptions fwd;
  for (int l = 0; l < model->config().num_hidden_layers; ++l) fwd.attention_layers.push_back(l);
  auto out = model->forward(ids.to(device), mask.to(device), types.to(device), fwd);
  Diffs d;
  for (size_t l = 0; l < hidden.size(); ++l) d.hidden = std::max(d.hidden, max_diff_real(out.hidden_states[l], hidden[l], mask));
  for (size_t l = 0; l < attention.size(); ++l)
    d.attention = std::max(d.attention, max_diff_real_rows(out.attentions[l], attention[l], mask));
  return d;
}

std::vector<torch::Tensor> unstack(const torch::Tensor& t) {
  std::vector<torch::Tensor> v;
  for (int64_t i = 0; i < t.size(0); ++i) v.push_back(t[i]);
  return v;
}

void parity_fp32(const std::string& model_dir, const std::string& device) {
  LoadOptions cpu_options;
  LoadedBert cpu = load_bert(model_dir, cpu_options);
  LoadOptions dev_options;
  dev_options.device = device;
  LoadedBert dev = load_bert(model_dir, dev_options);
  const int64_t lengths[] = {64, 50, 33, 7};
  const int64_t B = 4, T = 64;
  torch::manual_seed(0);
  auto ids = torch::randint(1000, cpu.config.vocab_size, {B, T}, torch::kLong);
  auto mask = torch::zeros({B, T}, torch::kLong);
  for (int64_t b = 0; b < B; ++b) mask[b].narrow(0, 0, lengths[b]).fill_(1);
  ids = ids * mask;  // padding id 0
  auto types = torch::zeros({B, T}, torch::kLong);
  torch::NoGradGuard no_grad;
  cpu.model->eval();
  ForwardOptions fwd;
  for (int l = 0; l < cpu.config.num_hidden_layers; ++l) fwd.attention_layers.push_back(l);
  auto ref = cpu.model->forward(ids, mask, types, fwd);
  const Diffs d = compare(dev.model, ids, mask, types, ref.hidden_states, ref.attentions);
  std::printf("{\"what\": \"parity_gpu_fp32_vs_cpu_fp32\", \"model\": \"%s\", \"device\": \"%s\", \"max_abs_dh\": %.3g, "
              "\"max_abs_dalpha\": %.3g, \"target\": 1e-4, \"met\": %s}\n",
              model_dir.c_str(), dev.model->embeddings->word_embeddings->weight.device().str().c_str(), d.hidden,
              d.attention, d.hidden <= 1e-4 && d.attention <= 1e-4 ? "true" : "false");
  std::fflush(stdout);
}

void parity_bf16(const std::string& model_dir, const std::string& device, const std::string& hf_bf16,
                 const std::string& hf_fp32) {
  auto load = [](const std::string& path) {
    std::map<std::string, torch::Tensor> t;
    for (const auto& [name, raw] : read_safetensors(path)) t[name] = raw_to_tensor(raw);
    return t;
  };
  auto ref = load(hf_bf16);
  LoadOptions options;
  options.device = device;
  options.dtype = "bfloat16";
  LoadedBert model = load_bert(model_dir, options);
  const auto& mask = ref.at("attention_mask");
  const Diffs d = compare(model.model, ref.at("input_ids"), mask, ref.at("token_type_ids"), unstack(ref.at("hidden_states")),
                          unstack(ref.at("attentions")));
  double hf_dh = -1, hf_da = -1;
  if (!hf_fp32.empty()) {
    auto f = load(hf_fp32);
    for (int64_t l = 0; l < f.at("hidden_states").size(0); ++l)
      hf_dh = std::max(hf_dh, max_diff_real(ref.at("hidden_states")[l], f.at("hidden_states")[l], mask));
    for (int64_t l = 0; l < f.at("attentions").size(0); ++l)
      hf_da = std::max(hf_da, max_diff_real_rows(ref.at("attentions")[l], f.at("attentions")[l], mask));
  }
  std::printf("{\"what\": \"parity_bf16_vs_hf_bf16\", \"model\": \"%s\", \"device\": \"%s\", \"max_abs_dh\": %.3g, "
              "\"max_abs_dalpha\": %.3g, \"hf_bf16_vs_hf_fp32_dh\": %.3g, \"hf_bf16_vs_hf_fp32_dalpha\": %.3g}\n",
              model_dir.c_str(), model.model->embeddings->word_embeddings->weight.device().str().c_str(), d.hidden,
              d.attention, hf_dh, hf_da);
  std::fflush(stdout);
}

void nccl_allreduce(const std::string& device, int mib) {
#ifdef BERTOLOGY_WITH_NCCL
  const torch::Device dev(device == "cuda" ? "cuda:0" : device);
  if (!dev.is_cuda()) {
    std::printf("{\"what\": \"nccl_allreduce\", \"skipped\": \"not a CUDA device\"}\n");
    return;
  }
  const c10::cuda::CUDAGuard on_device(dev.index());
  ncclComm_t comm;
  int devices[] = {dev.index()};
  ncclResult_t r = ncclCommInitAll(&comm, 1, devices);
  if (r != ncclSuccess) {
    std::printf("{\"what\": \"nccl_allreduce\", \"error\": \"ncclCommInitAll: %s\"}\n", ncclGetErrorString(r));
    return;
  }
  const int64_t n = static_cast<int64_t>(mib) * (1 << 20) / 4;
  auto x = torch::randn({n}, torch::TensorOptions().device(dev));
  auto y = torch::empty_like(x);
  auto stream = c10::cuda::getCurrentCUDAStream(dev.index());
  double best = 1e30;
  for (int i = 0; i < 6; ++i) {
    (void)x[0].item<float>();  // stream idle
    const auto t = std::chrono::steady_clock::now();
    r = ncclAllReduce(x.data_ptr<float>(), y.data_ptr<float>(), static_cast<size_t>(n), ncclFloat, ncclSum, comm, stream.stream());
    (void)y[0].item<float>();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    if (i > 0) best = std::min(best, s);  // the first call sets NCCL up
  }
  const bool equal = r == ncclSuccess && torch::equal(x, y);  // one rank: the sum is the input
  ncclCommDestroy(comm);
  int version = 0;
  ncclGetVersion(&version);
  std::printf("{\"what\": \"nccl_allreduce\", \"ranks\": 1, \"nccl_version\": %d, \"mib\": %d, \"result_equals_input\": %s, "
              "\"best_s\": %.6f, \"gbytes_per_s\": %.1f}\n",
              version, mib, equal ? "true" : "false", best, mib / 1024.0 / best);
#else
  (void)device;
  (void)mib;
  std::printf("{\"what\": \"nccl_allreduce\", \"skipped\": \"built without NCCL\"}\n");
#endif
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_dir, device = "cuda", hf_bf16, hf_fp32;
  int nccl_mib = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") model_dir = v;
    else if (k == "--device") device = v;
    else if (k == "--hf-bf16") hf_bf16 = v;
    else if (k == "--hf-fp32") hf_fp32 = v;
    else if (k == "--nccl-mb") nccl_mib = std::stoi(v);
    else {
      std::fprintf(stderr, "device_check: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (model_dir.empty()) {
    std::fprintf(stderr, "usage: device_check --model DIR [--device cuda] [--hf-bf16 FILE] [--hf-fp32 FILE] [--nccl-mb 64]\n");
    return 2;
  }
  set_torch_threads(8);
  try {
    parity_fp32(model_dir, device);
    if (!hf_bf16.empty()) parity_bf16(model_dir, device, hf_bf16, hf_fp32);
    nccl_allreduce(device, nccl_mib);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "device_check: %s\n", e.what());
    return 1;
  }
  return 0;
}
