// bertology encode: the quick-look command. Runs the encoder on a few sentences and writes, for
// sentence i, /sentences/<i>/{input_ids [T], word_ids [T], hidden [L+1, T, d], attention [L, H, T, T]}.
// It is also the reference path that cache tests compare against.
#include <ATen/ATen.h>
#include <torch/utils.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <numeric>

#include "pipeline/cli/command.h"
#include "pipeline/cli/command_config.h"
#include "pipeline/io/hdf5_file.h"
#include "pipeline/model/checkpoint.h"
#include "pipeline/tokenizer/bert_tokenizer.h"
#include "pipeline/util/error.h"
#include "pipeline/util/sha256.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace bertology {

namespace {

constexpr const char* kLayerConvention =
    "hidden[0] = embedding output; hidden[l] = output of transformer layer l (l = 1..L); "
    "attention[l-1] = attention probabilities of layer l, [heads, query, key]; all indices 0-based in files";

/// Writes `t` (any float dtype, contiguous after conversion) as `name` in `dtype` storage.
void write_float(H5File& file, const std::string& name, const at::Tensor& t, H5Kind kind) {
  std::vector<hsize_t> dims(t.sizes().begin(), t.sizes().end());
  // Conversion in LibTorch (round-to-nearest-even); HDF5 only copies bytes.
  auto stored = t.to(at::kCPU, kind == H5Kind::F16 ? at::kHalf : at::kFloat).contiguous();
  file.write(name, kind, dims, stored.data_ptr());
}

}  // namespace

int cmd_encode(const std::vector<std::string>& args) {
  ConfigArgs config_args;
  std::string model, input, out_path, dtype = "float16";
  std::vector<std::string> texts;
  bool no_attention = false;
  int batch_size = 16, threads = 0;
  po::options_description desc("encode options");
  desc.add_options()
      ("config", po::value<std::vector<std::string>>(&config_args.files), "YAML config files (positional)")
      ("model", po::value<std::string>(&model), "checkpoint folder; = --set model.path=DIR")
      ("text", po::value<std::vector<std::string>>(&texts)->composing(), "a sentence (repeatable)")
      ("input", po::value<std::string>(&input), "a file with one sentence per line")
      ("out", po::value<std::string>(&out_path), "output HDF5 file")
      ("dtype", po::value<std::string>(&dtype)->default_value("float16"), "stored precision: float32 | float16")
      ("no-attention", po::bool_switch(&no_attention), "do not store attention probabilities")
      ("batch-size", po::value<int>(&batch_size)->default_value(16), "sentences per forward pass")
      ("threads", po::value<int>(&threads), "LibTorch threads; = --set model.threads=N");
  add_config_options(desc, config_args);
  po::variables_map vm;
  if (!parse_command_line("encode", args, desc, "config",
                          "[CONFIG...] --model DIR (--text TEXT ... | --input FILE) --out OUT.h5 "
                          "[--dtype float32|float16] [--no-attention]",
                          vm))
    return kExitOk;
  if (!model.empty()) config_args.sets.push_back("model.path=" + model);
  if (vm.count("threads")) config_args.sets.push_back("model.threads=" + std::to_string(threads));
  std::string effective_config;
  const Params params = load_params(config_args, &effective_config);
  if (config_args.dump) return kExitOk;

  BTL_REQUIRE(!out_path.empty(), "encode: --out OUT.h5 is required");
  BTL_REQUIRE(dtype == "float32" || dtype == "float16", "encode: --dtype must be float32 or float16, got '", dtype, "'");
  BTL_REQUIRE(batch_size >= 1, "encode: --batch-size must be >= 1");
  const H5Kind kind = dtype == "float16" ? H5Kind::F16 : H5Kind::F32;

  std::vector<std::string> origins;
  const auto lines = read_input_lines(texts, input, &origins);

  set_torch_threads(params.model.threads);
  const auto t_load = std::chrono::steady_clock::now();
  LoadOptions load_options;
  load_options.device = params.model.device;
  load_options.dtype = params.model.dtype;
  LoadedBert bert = load_bert(params.model.path, load_options);
  for (const auto& key : bert.report.unexpected)
    std::cerr << "bertology: warning: " << bert.report.weights_file << ": unused weight '" << key << "'\n";
  const BertTokenizer tokenizer = BertTokenizer::from_model_dir(params.model.path);
  const BertConfig& cfg = bert.config;
  const int max_len = std::min(cfg.max_position_embeddings, params.tokenizer.max_length);

  // Tokenize everything first so that errors surface before any compute.
  std::vector<Encoding> encodings(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    try {
      encodings[i] = tokenizer.encode_text(lines[i], params.tokenizer.add_special_tokens);
    } catch (const InputError& e) {
      throw InputError(cat(origins[i], ": ", e.what()));
    }
    BTL_REQUIRE(static_cast<int>(encodings[i].ids.size()) <= max_len, origins[i], ": ", encodings[i].ids.size(),
                " wordpieces, more than the limit of ", max_len, " (model max_position_embeddings / tokenizer.max_length)");
  }

  // Write to a temporary name; rename only when every sentence is in (nothing half-written looks complete).
  const std::string tmp_path = out_path + ".tmp";
  H5File file = H5File::create(tmp_path);
  size_t n_tokens = 0;
  const auto t_start = std::chrono::steady_clock::now();
  try {
    // Batches of similar length waste little on padding; output order stays the input order.
    std::vector<size_t> order(lines.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return encodings[a].ids.size() < encodings[b].ids.size(); });
    std::vector<int> all_layers(cfg.num_hidden_layers);
    std::iota(all_layers.begin(), all_layers.end(), 0);
    ForwardOptions fwd;
    if (!no_attention) fwd.attention_layers = all_layers;
    const auto device = bert.model->embeddings->word_embeddings->weight.device();

    torch::NoGradGuard no_grad;
    for (size_t start = 0; start < order.size(); start += batch_size) {
      const size_t end = std::min(order.size(), start + static_cast<size_t>(batch_size));
      int64_t T = 0;
      for (size_t k = start; k < end; ++k) T = std::max<int64_t>(T, encodings[order[k]].ids.size());
      const int64_t B = end - start;
      auto ids = torch::full({B, T}, cfg.pad_token_id, torch::kLong);
      auto mask = torch::zeros({B, T}, torch::kLong);
      for (int64_t b = 0; b < B; ++b) {
        const auto& e = encodings[order[start + b]];
        for (size_t t = 0; t < e.ids.size(); ++t) {
          ids[b][t] = e.ids[t];
          mask[b][t] = 1;
        }
      }
      auto result = bert.model->forward(ids.to(device), mask.to(device), at::Tensor(), fwd);
      // [L+1, B, T, d]
      auto hidden = torch::stack(result.hidden_states);
      for (int64_t b = 0; b < B; ++b) {
        const size_t i = order[start + b];
        const auto& e = encodings[i];
        const int64_t n = e.ids.size();
        n_tokens += n;
        const std::string group = "/sentences/" + std::to_string(i);
        file.create_group(group);
        file.set_attribute(group, "text", lines[i]);
        std::vector<int64_t> id64(e.ids.begin(), e.ids.end());
        file.write(group + "/input_ids", H5Kind::I64, {hsize_t(n)}, id64.data());
        std::vector<int32_t> word_ids(e.word_ids.begin(), e.word_ids.end());
        file.write(group + "/word_ids", H5Kind::I32, {hsize_t(n)}, word_ids.data());
        // [L+1, n, d]: padding trimmed
        write_float(file, group + "/hidden", hidden.select(1, b).narrow(1, 0, n), kind);
        if (!no_attention) {
          std::vector<at::Tensor> per_layer;
          for (const auto& a : result.attentions) per_layer.push_back(a.select(0, b).narrow(1, 0, n).narrow(2, 0, n));
          // [L, H, n, n]
          write_float(file, group + "/attention", torch::stack(per_layer), kind);
        }
      }
    }

    file.set_attribute("/", "bertology_version", std::string(BERTOLOGY_VERSION));
    file.set_attribute("/", "model_path", fs::absolute(params.model.path).string());
    file.set_attribute("/", "model_weights_file", fs::path(bert.report.weights_file).filename().string());
    file.set_attribute("/", "model_sha256", bert.report.weights_sha256);
    file.set_attribute("/", "vocab_sha256", sha256_file((fs::path(params.model.path) / "vocab.txt").string()));
    file.set_attribute("/", "layer_convention", std::string(kLayerConvention));
    file.set_attribute("/", "dtype", dtype);
    file.set_attribute("/", "num_sentences", static_cast<int64_t>(lines.size()));
    file.set_attribute("/", "num_layers", static_cast<int64_t>(cfg.num_hidden_layers));
    file.set_attribute("/", "num_heads", static_cast<int64_t>(cfg.num_attention_heads));
    file.set_attribute("/", "hidden_size", static_cast<int64_t>(cfg.hidden_size));
    file.set_attribute("/", "attention_stored", static_cast<int64_t>(no_attention ? 0 : 1));
    file.set_attribute("/", "effective_config", effective_config);
    file.close();
  } catch (...) {
    file = H5File();  // closes the handle before unlinking
    std::remove(tmp_path.c_str());
    throw;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  const double load_seconds = std::chrono::duration<double>(t_start - t_load).count();
  std::error_code ec;
  fs::rename(tmp_path, out_path, ec);
  BTL_REQUIRE(!ec, out_path, ": cannot rename from ", tmp_path, ": ", ec.message());

  const double mb = static_cast<double>(fs::file_size(out_path)) / (1 << 20);
  std::printf(
      "encoded %zu sentences (%zu wordpieces) with %s: %d layers + embeddings, d=%d, %d heads\n"
      "  load %.2f s, encode+write %.2f s (%.0f wordpieces/s, %d threads)\n"
      "  wrote %s (%.2f MiB, %s%s)\n",
      lines.size(), n_tokens, params.model.path.c_str(), cfg.num_hidden_layers, cfg.hidden_size,
      cfg.num_attention_heads, load_seconds, seconds, n_tokens / std::max(seconds, 1e-9), params.model.threads,
      out_path.c_str(), mb, dtype.c_str(), no_attention ? ", no attention" : ", with attention");
  return kExitOk;
}

}  // namespace bertology
