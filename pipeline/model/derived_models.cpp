#include "pipeline/model/derived_models.h"

#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "pipeline/model/checkpoint_files.h"
#include "pipeline/model/safetensors.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/util/sha256.h"

namespace fs = std::filesystem;

namespace bertology {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Standard normal draws from a 64-bit Mersenne Twister by Box–Muller, written out so that the
/// bytes do not depend on the standard library's normal_distribution.
class NormalSource {
 public:
  explicit NormalSource(uint64_t seed) : engine_(seed) {}
  double next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = (static_cast<double>(engine_() >> 11) + 0.5) / 9007199254740992.0;  // (0, 1)
    const double u2 = static_cast<double>(engine_() >> 11) / 9007199254740992.0;          // [0, 1)
    const double r = std::sqrt(-2.0 * std::log(u1)), theta = 6.283185307179586 * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0;
  bool has_spare_ = false;
};

RawTensor filled(const std::vector<int64_t>& shape, float value) {
  RawTensor t;
  t.dtype = DType::F32;
  t.shape = shape;
  std::vector<float> values(static_cast<size_t>(t.numel()), value);
  t.data.resize(values.size() * sizeof(float));
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}


/// The original's weights; creates out_dir with copies of its config, vocabulary and tokenizer config.
StateDict start_derived(const std::string& model_dir, const std::string& out_dir) {
  StateDict original = read_checkpoint_weights(model_dir);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  BTL_REQUIRE(!ec, out_dir, ": cannot create (", ec.message(), ")");
  for (const char* name : {"config.json", "vocab.txt", "tokenizer_config.json"}) {
    const auto from = fs::path(model_dir) / name;
    if (fs::exists(from)) write_file_atomic((fs::path(out_dir) / name).string(), read_file_bytes(from.string(), name));
  }
  return original;
}

}  // namespace

std::string derived_model_dir(const std::string& cache_dir, const std::string& model_dir, const std::string& how) {
  const std::string id = sha256_file(checkpoint_weights_file(model_dir)) + " " + how;
  std::string name = how;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '-';
  return (fs::path(cache_dir) / "models" / cat(name, "-", sha256_hex(id.data(), id.size()).substr(0, 16))).string();
}

void write_model_without_positions(const std::string& model_dir, const std::string& out_dir) {
  if (fs::exists(fs::path(out_dir) / "model.safetensors")) return;
  StateDict weights = start_derived(model_dir, out_dir);
  bool found = false;
  for (auto& [name, tensor] : weights)
    if (ends_with(name, "embeddings.position_embeddings.weight")) {
      std::fill(tensor.data.begin(), tensor.data.end(), uint8_t{0});  // +0.0 in every float format
      found = true;
    }
  BTL_REQUIRE(found, model_dir, ": no embeddings.position_embeddings.weight to zero");
  write_safetensors((fs::path(out_dir) / "model.safetensors").string(), weights,
                    {{"bertology", "position embeddings set to zero"}, {"source", fs::path(model_dir).filename().string()}});
}

void write_random_init_model(const std::string& model_dir, const std::string& out_dir, uint64_t seed) {
  if (fs::exists(fs::path(out_dir) / "model.safetensors")) return;
  const StateDict original = start_derived(model_dir, out_dir);
  NormalSource normal(seed);
  StateDict out;
  // std::map iterates by name: the draw order, hence the bytes, are fixed.
  for (const auto& [name, tensor] : original) {
    // Task heads (MLM, NSP) play no part in attention; a re-drawn decoder would also no longer be
    // tied to the word embeddings.
    if (name.rfind("cls.", 0) == 0) continue;
    const bool embedding = name.find("embeddings.") != std::string::npos && name.find("encoder.") == std::string::npos;
    const bool float_tensor = tensor.dtype == DType::F32 || tensor.dtype == DType::F16 || tensor.dtype == DType::BF16;
    if (embedding || !float_tensor) {
      out[name] = tensor;
    } else if (name.find("LayerNorm.weight") != std::string::npos || name.find("layer_norm.weight") != std::string::npos ||
               ends_with(name, ".gamma")) {
      out[name] = filled(tensor.shape, 1.f);
    } else if (ends_with(name, "bias") || ends_with(name, ".beta") || tensor.shape.size() < 2) {
      out[name] = filled(tensor.shape, 0.f);
    } else {
      RawTensor t = filled(tensor.shape, 0.f);
      float* values = reinterpret_cast<float*>(t.data.data());
      for (int64_t i = 0; i < t.numel(); ++i) values[i] = static_cast<float>(0.02 * normal.next());
      out[name] = std::move(t);
    }
  }
  write_safetensors((fs::path(out_dir) / "model.safetensors").string(), out,
                    {{"bertology", "random init except embeddings"}, {"seed", std::to_string(seed)},
                     {"source", fs::path(model_dir).filename().string()}});
}

}  // namespace bertology
