// Encoder parity with Hugging Face BertModel (eager attention), fp32, every layer.
// References come from scripts/make_reference.py (transformers version in fixtures/models/VERSIONS.json).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "pipeline/model/checkpoint.h"
#include "pipeline/model/safetensors.h"
#include "tests/model/reference.h"

namespace fs = std::filesystem;
using namespace bertology;

namespace {

constexpr double kTolerance = 1e-5;  // max |ours - HF| in float32

struct Case {
  std::string model;     // fixture name
  std::string weights;   // "model.safetensors" or "pytorch_model.bin"
};

std::string case_name(const testing::TestParamInfo<Case>& info) {
  std::string w = info.param.weights == "model.safetensors" ? "safetensors" : "bin";
  return info.param.model + "_" + w;
}

class EncoderParity : public testing::TestWithParam<Case> {};

TEST_P(EncoderParity, EveryLayerMatchesHuggingFace) {
  const Case& c = GetParam();
  const fs::path dir = weights_only_copy(c.model, c.weights);
  LoadedBert bert = load_bert(dir.string());
  EXPECT_EQ(fs::path(bert.report.weights_file).filename(), c.weights);
  auto ref = load_reference("tiny_" + c.model + ".reference.safetensors");

  torch::NoGradGuard no_grad;
  const auto& ids = ref.at("input_ids");
  const auto& mask = ref.at("attention_mask");
  std::vector<int> all(bert.config.num_hidden_layers);
  for (int l = 0; l < bert.config.num_hidden_layers; ++l) all[l] = l;
  ForwardOptions options;
  options.attention_layers = all;
  auto out = bert.model->forward(ids, mask, ref.at("token_type_ids"), options);

  const auto& hs = ref.at("hidden_states");   // [L+1, B, T, d]
  const auto& att = ref.at("attentions");     // [L, B, H, T, T]
  ASSERT_EQ(static_cast<int64_t>(out.hidden_states.size()), hs.size(0));
  for (int64_t l = 0; l < hs.size(0); ++l)
    EXPECT_LE(max_diff_real(out.hidden_states[l], hs[l], mask), kTolerance) << "hidden layer " << l;
  for (int64_t l = 0; l < att.size(0); ++l) {
    ASSERT_TRUE(out.attentions[l].defined());
    EXPECT_LE(max_diff_real_rows(out.attentions[l], att[l], mask), kTolerance) << "attention layer " << l;
    // Padding keys get exactly no attention.
    auto key_pad = (mask == 0).view({mask.size(0), 1, 1, mask.size(1)}).expand_as(out.attentions[l]);
    EXPECT_EQ(out.attentions[l].masked_select(key_pad).abs().max().item<float>(), 0.0f);
  }
  if (ref.count("pooler_output")) {
    ASSERT_TRUE(bert.model->has_pooler());
    EXPECT_LE((bert.model->pool(out.hidden_states.back()) - ref.at("pooler_output")).abs().max().item<double>(),
              kTolerance);
  }
  if (ref.count("mlm_logits")) {
    ASSERT_TRUE(bert.model->has_mlm_head());
    EXPECT_LE(max_diff_real(bert.model->mlm_logits(out.hidden_states.back()), ref.at("mlm_logits"), mask),
              kTolerance);
  }
}

TEST_P(EncoderParity, GradientsThroughHiddenStatesAndAttentionMatch) {
  const Case& c = GetParam();
  LoadedBert bert = load_bert(weights_only_copy(c.model, c.weights).string());
  auto ref = load_reference("tiny_" + c.model + ".reference.safetensors");
  ForwardOptions options;
  options.attention_layers = {0};
  options.differentiable_attention = true;
  auto out = bert.model->forward(ref.at("input_ids"), ref.at("attention_mask"), ref.at("token_type_ids"), options);
  auto loss = (out.hidden_states.back() * ref.at("loss_weight_hidden")).sum() +
              (out.attentions[0] * ref.at("loss_weight_attention0")).sum();
  loss.backward();
  EXPECT_NEAR(loss.item<double>(), ref.at("loss").item<double>(), 1e-3);
  auto grad_of = [&](const std::string& name) {
    for (auto& [n, p] : bert.model->hf_named_parameters())
      if (n == name) return p.grad();
    return torch::Tensor();
  };
  for (std::string name : {"embeddings.word_embeddings.weight", "encoder.layer.0.attention.self.query.weight"}) {
    auto g = grad_of(name);
    ASSERT_TRUE(g.defined()) << name;
    const auto& expected = ref.at("grad." + name);
    const double scale = std::max(1.0, expected.abs().max().item<double>());
    EXPECT_LE((g - expected).abs().max().item<double>() / scale, 1e-4) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(TinyModels, EncoderParity,
                         testing::Values(Case{"mlm_gelu", "model.safetensors"}, Case{"mlm_gelu", "pytorch_model.bin"},
                                         Case{"base_gelu_new", "model.safetensors"},
                                         Case{"base_gelu_new", "pytorch_model.bin"},
                                         Case{"base_relu", "model.safetensors"}, Case{"base_relu", "pytorch_model.bin"}),
                         case_name);

TEST(EncoderModes, TrainingModeAppliesDropoutAndEvalIsDeterministic) {
  LoadedBert bert = load_bert(fixture_model_dir("mlm_gelu").string());
  auto ref = load_reference("tiny_mlm_gelu.reference.safetensors");
  torch::NoGradGuard no_grad;
  auto run = [&] { return bert.model->forward(ref.at("input_ids"), ref.at("attention_mask"), {}).hidden_states.back(); };
  auto a = run(), b = run();
  EXPECT_TRUE(torch::equal(a, b));
  bert.model->train();
  torch::manual_seed(1);
  auto c = run();
  EXPECT_GT((c - a).abs().max().item<double>(), 1e-3);  // dropout p=0.1 changed something
}

TEST(EncoderModes, AttentionOnlyForRequestedLayers) {
  LoadedBert bert = load_bert(fixture_model_dir("base_gelu_new").string());
  auto ref = load_reference("tiny_base_gelu_new.reference.safetensors");
  torch::NoGradGuard no_grad;
  ForwardOptions options;
  options.attention_layers = {1};
  auto out = bert.model->forward(ref.at("input_ids"), ref.at("attention_mask"), ref.at("token_type_ids"), options);
  EXPECT_FALSE(out.attentions[0].defined());
  EXPECT_TRUE(out.attentions[1].defined());
  EXPECT_FALSE(out.attentions[2].defined());
  EXPECT_LE(max_diff_real_rows(out.attentions[1], ref.at("attentions")[1], ref.at("attention_mask")), kTolerance);
}

// The real default model (fetched by scripts/setup.sh) against HF on three sentences.
TEST(DefaultModel, AllMiniLmMatchesHuggingFace) {
  const fs::path dir = default_model_dir();
  ASSERT_TRUE(fs::exists(dir / "model.safetensors"))
      << dir << " is missing: run scripts/setup.sh (it fetches the default model)";
  LoadedBert bert = load_bert(dir.string());
  auto ref = load_reference("minilm.reference.safetensors");
  torch::NoGradGuard no_grad;
  ForwardOptions options;
  for (int l = 0; l < bert.config.num_hidden_layers; ++l) options.attention_layers.push_back(l);
  const auto& mask = ref.at("attention_mask");
  auto out = bert.model->forward(ref.at("input_ids"), mask, {}, options);
  const auto& hs = ref.at("hidden_states");
  for (int64_t l = 0; l < hs.size(0); ++l)
    EXPECT_LE(max_diff_real(out.hidden_states[l], hs[l], mask), kTolerance) << "hidden layer " << l;
  for (int64_t l = 0; l < bert.config.num_hidden_layers; ++l)
    EXPECT_LE(max_diff_real_rows(out.attentions[l], ref.at("attentions")[l], mask), kTolerance) << "attention " << l;
}

}  // namespace
