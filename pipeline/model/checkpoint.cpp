#include "pipeline/model/checkpoint.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/utils.h>
#include <torch/version.h>
#ifdef BERTOLOGY_WITH_CUDA
#include <c10/cuda/CUDAFunctions.h>
#endif

#include <filesystem>
#include <mutex>
#include <map>
#include <set>

#include "pipeline/model/raw_tensor.h"
#include "pipeline/model/checkpoint_files.h"
#include "pipeline/model/autocast.h"
#include "pipeline/model/cpu_precision.h"
#include "pipeline/dist/device_rule.h"
#include "pipeline/util/error.h"
#include "pipeline/util/sha256.h"

namespace bertology {
namespace fs = std::filesystem;

namespace {

c10::ScalarType to_scalar_type(DType d) {
  switch (d) {
    case DType::F64: return torch::kDouble;
    case DType::F32: return torch::kFloat;
    case DType::F16: return torch::kHalf;
    case DType::BF16: return torch::kBFloat16;
    case DType::I64: return torch::kLong;
    case DType::I32: return torch::kInt;
    case DType::I16: return torch::kShort;
    case DType::I8: return torch::kChar;
    case DType::U8: return torch::kByte;
    case DType::Bool: return torch::kBool;
  }
  return torch::kFloat;
}

std::string shape_str(c10::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

/// Strips the prefix of task models so names match BertModel's.
std::string normalise_key(const std::string& key) {
  static const char* prefixes[] = {"bert.", "model."};
  for (const char* p : prefixes)
    if (key.rfind(p, 0) == 0) return key.substr(std::string(p).size());
  return key;
}

bool is_known_unused(const std::string& key) {
  return key == "embeddings.position_ids" || key.rfind("cls.seq_relationship.", 0) == 0 ||
         key == "cls.predictions.decoder.bias";  // tied to cls.predictions.bias in HF
}

}  // namespace

torch::Tensor raw_to_tensor(const RawTensor& raw) {
  return torch::from_blob(const_cast<uint8_t*>(raw.data.data()), raw.shape, to_scalar_type(raw.dtype)).clone();
}

int set_torch_threads(int threads) {
  BTL_REQUIRE(threads >= 1, "threads must be >= 1, got ", threads);
  // LibTorch 2.x would otherwise also start an inter-op pool of one thread per core on first use;
  // bertology never runs ops concurrently, so one inter-op thread keeps the CPU for the intra-op
  // pool and the HDF5 writer. It can be set once per process, before any parallel work.
  static std::once_flag interop_once;
  std::call_once(interop_once, [] {
    try {
      at::set_num_interop_threads(1);
    } catch (const std::exception&) {
      // parallel work already ran (a test process): the pool is what it is
    }
  });
  at::set_num_threads(threads);
  return threads;
}

LoadedBert load_bert(const std::string& dir, const LoadOptions& options, StateDict* unexpected_tensors) {
  BTL_REQUIRE(fs::is_directory(dir), dir, ": not a checkpoint folder (no such directory)");
  LoadedBert out;
  out.config = BertConfig::from_json_file((fs::path(dir) / "config.json").string());

  // Weights: safetensors first (safe, fast), then the pickle-based torch.save zip.
  const StateDict raw = read_checkpoint_weights(dir, &out.report.weights_file);
  const std::string& file = out.report.weights_file;
  if (options.compute_digest) out.report.weights_sha256 = sha256_file(file);

  // Normalise names; detect the heads.
  std::map<std::string, const RawTensor*> by_name;
  for (const auto& [key, tensor] : raw) {
    const std::string name = normalise_key(key);
    BTL_REQUIRE(!by_name.count(name), file, ": key '", key, "' appears twice (with and without prefix)");
    by_name[name] = &tensor;
  }
  const bool has_pooler = by_name.count("pooler.dense.weight") > 0;
  const bool has_mlm = by_name.count("cls.predictions.transform.dense.weight") > 0 && !options.skip_mlm_head;

  if (options.dropout >= 0) {
    BTL_REQUIRE(options.dropout < 1.0, "dropout must be in [0, 1), got ", options.dropout);
    out.config.hidden_dropout_prob = options.dropout;
    out.config.attention_probs_dropout_prob = options.dropout;
  }
  const bool build_pooler = has_pooler || options.require_pooler;
  out.model = BertModel(out.config, build_pooler, has_mlm);
  out.model->eval();

  torch::NoGradGuard no_grad;
  std::set<std::string> used;
  std::vector<std::string> missing;
  for (auto& [name, param] : out.model->hf_named_parameters()) {
    auto it = by_name.find(name);
    if (it == by_name.end() && !has_pooler && name.rfind("pooler.", 0) == 0) {
      if (name.size() > 7 && name.substr(name.size() - 7) == ".weight") param.normal_(0.0, out.config.initializer_range);
      else param.zero_();
      out.report.initialised.push_back(name);
      continue;
    }
    if (it == by_name.end()) {
      missing.push_back(name);
      continue;
    }
    const RawTensor& r = *it->second;
    auto src = torch::from_blob(const_cast<uint8_t*>(r.data.data()), r.shape, to_scalar_type(r.dtype));
    BTL_REQUIRE(src.sizes() == param.sizes(), file, ": tensor '", name, "' has shape ", shape_str(src.sizes()),
                " but config.json implies ", shape_str(param.sizes()));
    BTL_REQUIRE(at::isFloatingType(src.scalar_type()), file, ": tensor '", name, "' has non-float dtype ",
                dtype_name(r.dtype));
    param.copy_(src);
    used.insert(name);
  }
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 5; ++i) list += (i ? ", " : "") + missing[i];
    if (missing.size() > 5) list += cat(", ... (", missing.size(), " in all)");
    throw InputError(cat(file, ": missing weights: ", list));
  }

  // The decoder of the MLM head is tied to the word embeddings; a checkpoint that stores an
  // untied decoder is reported, and its own matrix is used.
  if (has_mlm) {
    auto it = by_name.find("cls.predictions.decoder.weight");
    if (it != by_name.end()) {
      used.insert(it->first);
      const RawTensor& r = *it->second;
      auto dec = torch::from_blob(const_cast<uint8_t*>(r.data.data()), r.shape, to_scalar_type(r.dtype)).to(torch::kFloat);
      auto& emb = out.model->embeddings->word_embeddings->weight;
      BTL_REQUIRE(dec.sizes() == emb.sizes(), file, ": cls.predictions.decoder.weight has shape ",
                  shape_str(dec.sizes()), ", expected ", shape_str(emb.sizes()));
      if (!torch::equal(dec, emb)) {
        out.report.mlm_decoder_tied = false;
        out.model->mlm_head->decoder_weight = dec.clone();
      }
    }
  }
  for (const auto& [name, tensor] : by_name) {
    if (used.count(name)) continue;
    const bool skipped_head = options.skip_mlm_head && name.rfind("cls.predictions.", 0) == 0;
    const bool unexpected = !is_known_unused(name) && !skipped_head;
    (unexpected ? out.report.unexpected : out.report.ignored).push_back(name);
    if (unexpected && unexpected_tensors) (*unexpected_tensors)[name] = *tensor;
  }

  // Device and dtype.
  // One device rule for every command and stage: "cuda" = GPU (local rank mod visible GPUs).
  const int visible_gpus = options.device == "cpu" ? 0 : static_cast<int>(torch::cuda::device_count());
  auto device = torch::Device(resolve_device(options.device, local_rank_from_env(), visible_gpus));
#ifdef BERTOLOGY_WITH_CUDA
  // The rank's current device, so that streams, NCCL and allocations without a device go there.
  if (device.is_cuda()) c10::cuda::set_device(device.index());
#endif
  const torch::ScalarType dtype = compute_type_of(options.dtype);
  BTL_REQUIRE(dtype != torch::ScalarType::Undefined, "model.dtype '", options.dtype, "' is not float32, float16 or bfloat16");
#if TORCH_VERSION_MAJOR < 2
  BTL_REQUIRE(dtype != torch::kHalf || device.is_cuda(),
              "model.dtype float16 needs a CUDA device or LibTorch >= 2: LibTorch ", TORCH_VERSION,
              " has no fp16 CPU kernels");
#endif
  // Reduced precision on the CPU: say so when this CPU and LibTorch make it slower than float32.
  if (!device.is_cuda() && dtype != torch::kFloat) warn_if_cpu_precision_slow(dtype);
  out.model->to(device, dtype);
  if (has_mlm && out.report.mlm_decoder_tied)  // .to() may have copied the embedding; re-tie
    out.model->mlm_head->decoder_weight = out.model->embeddings->word_embeddings->weight;
  else if (has_mlm)
    out.model->mlm_head->decoder_weight = out.model->mlm_head->decoder_weight.to(device, dtype);
  return out;
}

}  // namespace bertology
