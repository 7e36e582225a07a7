// Helpers shared by the model tests: fixture paths, reference tensors, masked comparisons.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>

#include "pipeline/model/checkpoint.h"
#include "pipeline/model/safetensors.h"
#include "tests/support/scratch.h"

namespace bertology {

inline std::filesystem::path fixtures_dir() { return BERTOLOGY_FIXTURES_DIR; }
inline std::filesystem::path fixture_model_dir(const std::string& name) {
  return fixtures_dir() / "models" / ("tiny_" + name);
}
inline std::filesystem::path default_model_dir() { return std::filesystem::path(BERTOLOGY_MODELS_DIR) / "all-MiniLM-L6-v2"; }

/// A fresh scratch directory of this test process (removed after its last test: tests/support/scratch.h).
inline std::filesystem::path scratch_dir(const std::string& name) { return test::scratch(name); }

/// Copy of a fixture model folder holding only `weights` (so the loader must use that file).
inline std::filesystem::path weights_only_copy(const std::string& model, const std::string& weights) {
  namespace fs = std::filesystem;
  const fs::path src = fixture_model_dir(model);
  const fs::path dst = scratch_dir(model + "_" + weights);
  for (const auto& f : {"config.json", "vocab.txt", "tokenizer_config.json"}) fs::copy_file(src / f, dst / f);
  fs::copy_file(src / weights, dst / weights);
  return dst;
}

/// All tensors of a reference safetensors file under fixtures/models/.
inline std::map<std::string, torch::Tensor> load_reference(const std::string& file) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& [name, raw] : read_safetensors((fixtures_dir() / "models" / file).string()))
    out[name] = raw_to_tensor(raw);
  return out;
}

/// max |a - b| over real (unpadded) positions; a, b: [B, T, ...], mask [B, T].
inline double max_diff_real(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& mask) {
  auto m = mask.to(torch::kBool);
  return (a.index({m}) - b.index({m})).abs().max().item<double>();
}

/// max |a - b| over the rows of real query positions; a, b: [B, H, T, T], mask [B, T].
inline double max_diff_real_rows(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& mask) {
  auto m = mask.to(torch::kBool).unsqueeze(1).expand({a.size(0), a.size(1), a.size(2)});
  return (a.index({m}) - b.index({m})).abs().max().item<double>();
}

}  // namespace bertology
