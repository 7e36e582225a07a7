#include "pipeline/cache/encode_file.h"

#include "pipeline/cache/layer_convention.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <numeric>

#include "pipeline/io/hdf5_file.h"
#include "pipeline/model/checkpoint.h"
#include "pipeline/model/pad_batch.h"
#include "pipeline/tokenizer/bert_tokenizer.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/util/sha256.h"

namespace bertology {
namespace fs = std::filesystem;

namespace {

/// Writes `t` (any float dtype, contiguous after conversion) as `name` in `dtype` storage.
void write_float(H5File& file, const std::string& name, const at::Tensor& t, H5Kind kind) {
  std::vector<hsize_t> dims(t.sizes().begin(), t.sizes().end());
  // Conversion in LibTorch (round-to-nearest-even); HDF5 only copies bytes.
  auto stored = t.to(at::kCPU, kind == H5Kind::F16 ? at::kHalf : at::kFloat).contiguous();
  file.write(name, kind, dims, stored.data_ptr());
}

}  // namespace

EncodeFileSummary encode_file(const EncodeFileParams& p) {
  BTL_CHECK(p.dtype == "float32" || p.dtype == "float16", "dtype '", p.dtype, "'");
  BTL_CHECK(p.batch_size >= 1, "batch_size ", p.batch_size);
  BTL_CHECK(p.origins.size() == p.lines.size(), p.origins.size(), " origins for ", p.lines.size(), " lines");
  const H5Kind kind = p.dtype == "float16" ? H5Kind::F16 : H5Kind::F32;
  const std::vector<std::string>& lines = p.lines;

  set_torch_threads(p.model.threads);
  const auto t_load = std::chrono::steady_clock::now();
  LoadOptions load_options;
  load_options.device = p.model.device;
  load_options.dtype = p.model.dtype;
  LoadedBert bert = load_bert(p.model.path, load_options);
  for (const auto& key : bert.report.unexpected)
    std::cerr << "bertology: warning: " << bert.report.weights_file << ": unused weight '" << key << "'\n";
  const BertTokenizer tokenizer = BertTokenizer::from_model_dir(p.model.path);
  const BertConfig& cfg = bert.config;
  const int max_len = std::min(cfg.max_position_embeddings, p.tokenizer.max_length);

  // Tokenize everything first so that errors surface before any compute.
  std::vector<Encoding> encodings(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    try {
      encodings[i] = tokenizer.encode_text(lines[i], p.tokenizer.add_special_tokens);
    } catch (const InputError& e) {
      throw InputError(cat(p.origins[i], ": ", e.what()));
    }
    BTL_REQUIRE(static_cast<int>(encodings[i].ids.size()) <= max_len, p.origins[i], ": ", encodings[i].ids.size(),
                " wordpieces, more than the limit of ", max_len, " (model max_position_embeddings / tokenizer.max_length)");
  }

  // Declared before the file, so that on an error the file is closed before its name is removed.
  TempOutput out(p.out_path);
  H5File file = H5File::create(out.path());
  EncodeFileSummary summary;
  const auto t_start = std::chrono::steady_clock::now();
  // Batches of similar length waste little on padding; output order stays the input order.
  std::vector<size_t> order(lines.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return encodings[a].ids.size() < encodings[b].ids.size(); });
  std::vector<int> all_layers(cfg.num_hidden_layers);
  std::iota(all_layers.begin(), all_layers.end(), 0);
  ForwardOptions fwd;
  if (p.attention) fwd.attention_layers = all_layers;
  const auto device = bert.model->embeddings->word_embeddings->weight.device();

  torch::NoGradGuard no_grad;
  for (size_t start = 0; start < order.size(); start += p.batch_size) {
    const size_t end = std::min(order.size(), start + static_cast<size_t>(p.batch_size));
    const int64_t B = end - start;
    std::vector<std::vector<int32_t>> batch_ids;
    for (size_t k = start; k < end; ++k) batch_ids.push_back(encodings[order[k]].ids);
    const PaddedBatch padded = pad_batch(batch_ids, cfg.pad_token_id);
    auto result = bert.model->forward(padded.input_ids.to(device), padded.attention_mask.to(device), at::Tensor(), fwd);
    // [L+1, B, T, d]
    auto hidden = torch::stack(result.hidden_states);
    for (int64_t b = 0; b < B; ++b) {
      const size_t i = order[start + b];
      const auto& e = encodings[i];
      const int64_t n = e.ids.size();
      summary.wordpieces += n;
      const std::string group = "/sentences/" + std::to_string(i);
      file.create_group(group);
      file.set_attribute(group, "text", lines[i]);
      std::vector<int64_t> id64(e.ids.begin(), e.ids.end());
      file.write(group + "/input_ids", H5Kind::I64, {hsize_t(n)}, id64.data());
      std::vector<int32_t> word_ids(e.word_ids.begin(), e.word_ids.end());
      file.write(group + "/word_ids", H5Kind::I32, {hsize_t(n)}, word_ids.data());
      // [L+1, n, d]: padding trimmed
      write_float(file, group + "/hidden", hidden.select(1, b).narrow(1, 0, n), kind);
      if (p.attention) {
        std::vector<at::Tensor> per_layer;
        for (const auto& a : result.attentions) per_layer.push_back(a.select(0, b).narrow(1, 0, n).narrow(2, 0, n));
        // [L, H, n, n]
        write_float(file, group + "/attention", torch::stack(per_layer), kind);
      }
    }
  }

  file.set_attribute("/", "bertology_version", std::string(BERTOLOGY_VERSION));
  file.set_attribute("/", "model_path", fs::absolute(p.model.path).string());
  file.set_attribute("/", "model_weights_file", fs::path(bert.report.weights_file).filename().string());
  file.set_attribute("/", "model_sha256", bert.report.weights_sha256);
  file.set_attribute("/", "vocab_sha256", sha256_file((fs::path(p.model.path) / "vocab.txt").string()));
  file.set_attribute("/", "layer_convention", std::string(kEncodeLayerConvention));
  file.set_attribute("/", "dtype", p.dtype);
  file.set_attribute("/", "num_sentences", static_cast<int64_t>(lines.size()));
  file.set_attribute("/", "num_layers", static_cast<int64_t>(cfg.num_hidden_layers));
  file.set_attribute("/", "num_heads", static_cast<int64_t>(cfg.num_attention_heads));
  file.set_attribute("/", "hidden_size", static_cast<int64_t>(cfg.hidden_size));
  file.set_attribute("/", "attention_stored", static_cast<int64_t>(p.attention ? 1 : 0));
  file.set_attribute("/", "effective_config", p.effective_config);
  file.close();
  summary.encode_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  summary.load_seconds = std::chrono::duration<double>(t_start - t_load).count();
  try {
    out.commit();
  } catch (const InternalError& e) {
    // Usually OUT names a directory or an unwritable place: the user's to fix, as before (exit 2).
    throw InputError(e.what());
  }

  summary.sentences = static_cast<int64_t>(lines.size());
  summary.num_layers = cfg.num_hidden_layers;
  summary.num_heads = cfg.num_attention_heads;
  summary.hidden_size = cfg.hidden_size;
  summary.file_bytes = fs::file_size(p.out_path);
  return summary;
}

}  // namespace bertology
