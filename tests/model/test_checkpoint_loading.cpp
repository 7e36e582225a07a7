// Loading checkpoints: name handling, heads, precision, and one-line errors for bad folders.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "pipeline/model/checkpoint.h"
#include "pipeline/model/safetensors.h"
#include "pipeline/util/error.h"
#include "tests/model/reference.h"

namespace fs = std::filesystem;
using namespace bertology;

namespace {

/// Runs `f`, expects an InputError whose message contains every one of `parts`.
template <typename F>
void expect_input_error(F f, std::initializer_list<std::string> parts) {
  try {
    f();
    FAIL() << "no InputError thrown";
  } catch (const InputError& e) {
    const std::string what = e.what();
    for (const auto& p : parts) EXPECT_NE(what.find(p), std::string::npos) << "'" << p << "' not in: " << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "error must be one line: " << what;
  }
}

void replace_in_file(const fs::path& file, const std::string& from, const std::string& to) {
  std::ifstream in(file);
  std::string s((std::istreambuf_iterator<char>(in)), {});
  auto pos = s.find(from);
  ASSERT_NE(pos, std::string::npos) << from;
  s.replace(pos, from.size(), to);
  std::ofstream(file) << s;
}

TEST(CheckpointLoading, HeadsDetectedAndKnownExtrasIgnored) {
  LoadedBert mlm = load_bert(fixture_model_dir("mlm_gelu").string());
  EXPECT_TRUE(mlm.model->has_mlm_head());
  EXPECT_FALSE(mlm.model->has_pooler());
  EXPECT_TRUE(mlm.report.mlm_decoder_tied);
  EXPECT_EQ(mlm.report.weights_sha256.size(), 64u);
  LoadedBert base = load_bert(fixture_model_dir("base_gelu_new").string());
  EXPECT_TRUE(base.model->has_pooler());
  EXPECT_FALSE(base.model->has_mlm_head());
  EXPECT_TRUE(base.report.unexpected.empty());
}

TEST(CheckpointLoading, UnexpectedKeysAreReportedNotLoaded) {
  const fs::path dir = weights_only_copy("base_relu", "model.safetensors");
  StateDict sd = read_safetensors((dir / "model.safetensors").string());
  RawTensor extra;
  extra.dtype = DType::F32;
  extra.shape = {2};
  extra.data.assign(8, 0);
  sd["classifier.weight"] = extra;
  write_safetensors((dir / "model.safetensors").string(), sd);
  LoadedBert bert = load_bert(dir.string());
  ASSERT_EQ(bert.report.unexpected.size(), 1u);
  EXPECT_EQ(bert.report.unexpected[0], "classifier.weight");
}

TEST(CheckpointLoading, Fp16WeightsLoadAndStayClose) {
  const fs::path dir = weights_only_copy("base_gelu_new", "model.safetensors");
  StateDict sd = read_safetensors((dir / "model.safetensors").string());
  for (auto& [name, raw] : sd) {
    auto half = raw_to_tensor(raw).to(torch::kHalf).contiguous();
    raw.dtype = DType::F16;
    raw.data.assign(static_cast<uint8_t*>(half.data_ptr()), static_cast<uint8_t*>(half.data_ptr()) + half.nbytes());
  }
  write_safetensors((dir / "model.safetensors").string(), sd);
  LoadedBert bert = load_bert(dir.string());
  auto ref = load_reference("tiny_base_gelu_new.reference.safetensors");
  torch::NoGradGuard no_grad;
  auto out = bert.model->forward(ref.at("input_ids"), ref.at("attention_mask"), ref.at("token_type_ids"));
  const double diff = max_diff_real(out.hidden_states.back(), ref.at("hidden_states")[-1], ref.at("attention_mask"));
  EXPECT_LT(diff, 0.05);   // fp16 weights: close, not exact
  EXPECT_GT(diff, 0.0);    // and really the fp16 file that was read
}

TEST(CheckpointErrors, MissingConfigJson) {
  const fs::path dir = weights_only_copy("base_relu", "model.safetensors");
  fs::remove(dir / "config.json");
  expect_input_error([&] { load_bert(dir.string()); }, {(dir / "config.json").string(), "no such file"});
}

TEST(CheckpointErrors, NoWeightsFile) {
  const fs::path dir = weights_only_copy("base_relu", "model.safetensors");
  fs::remove(dir / "model.safetensors");
  expect_input_error([&] { load_bert(dir.string()); }, {dir.string(), "no weights"});
}

TEST(CheckpointErrors, MissingDirectory) {
  expect_input_error([&] { load_bert("/nonexistent/model"); }, {"/nonexistent/model", "no such directory"});
}

TEST(CheckpointErrors, TruncatedSafetensors) {
  const fs::path dir = weights_only_copy("base_relu", "model.safetensors");
  const auto file = dir / "model.safetensors";
  fs::resize_file(file, fs::file_size(file) - 100);
  expect_input_error([&] { load_bert(dir.string()); }, {file.string()});
}

TEST(CheckpointErrors, ShapeMismatchWithConfig) {
  const fs::path dir = weights_only_copy("base_relu", "model.safetensors");
  replace_in_file(dir / "config.json", "\"intermediate_size\": 24", "\"intermediate_size\": 25");
  expect_input_error([&] { load_bert(dir.string()); },
                     {"model.safetensors", "encoder.layer.0.intermediate.dense.weight", "[24, 16]", "[25, 16]"});
}

TEST(CheckpointErrors, MissingEncoderWeights) {
  const fs::path dir = weights_only_copy("base_relu", "model.safetensors");
  StateDict sd = read_safetensors((dir / "model.safetensors").string());
  sd.erase("encoder.layer.0.output.dense.weight");
  write_safetensors((dir / "model.safetensors").string(), sd);
  expect_input_error([&] { load_bert(dir.string()); }, {"model.safetensors", "missing weights", "encoder.layer.0.output.dense.weight"});
}

TEST(CheckpointErrors, MalformedAndInvalidConfig) {
  const fs::path dir = weights_only_copy("base_relu", "model.safetensors");
  replace_in_file(dir / "config.json", "\"num_attention_heads\": 2", "\"num_attention_heads\": 3");
  expect_input_error([&] { load_bert(dir.string()); }, {"config.json", "not divisible"});
  std::ofstream(dir / "config.json") << "{ \"hidden_size\": 16,";
  expect_input_error([&] { load_bert(dir.string()); }, {"config.json", "malformed JSON"});
}

}  // namespace
