// Tenney et al.'s edge probe (pipeline/probe/edge_probe.h):
//  - parity: projection + pooling + MLP (and the scalar mix) against a PyTorch transcription of
//    jiant's EdgeClassifierModule and AllenNLP's SelfAttentiveSpanExtractor / ScalarMix
//    (scripts/reference/jiant_edge_probe.py; tests/fixtures/reference/jiant_edge_probe.json,
//    written by scripts/reference/make_edge_fixtures.py), logits and loss within 1e-5;
//  - self-attentive pooling against a value computed by hand;
//  - planted answers: a span label that is a linear function of one layer's mean-pooled vectors is
//    recovered at that layer (F1 > 95) and not at a noise layer; shuffled labels stay at chance; a
//    scalar mix puts its weight on the informative layer.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "pipeline/probe/edge_probe.h"
#include "pipeline/probe/edge_probe_module.h"
#include "tests/support/files.h"

namespace bertology {
namespace {

using nlohmann::json;

json load_fixture() {
  const std::string text =
      test::slurp(std::filesystem::path(BERTOLOGY_FIXTURES_DIR) / "reference" / "jiant_edge_probe.json");
  if (text.empty()) ADD_FAILURE() << "missing fixture tests/fixtures/reference/jiant_edge_probe.json";
  return json::parse(text);
}

/// A nested JSON array of numbers as a float32 tensor (inputs are float32 in the transcription).
torch::Tensor tensor_of(const json& v) {
  std::vector<float> flat;
  std::vector<int64_t> shape;
  const json* at = &v;
  while (at->is_array()) {
    shape.push_back(static_cast<int64_t>(at->size()));
    if (at->empty()) break;
    at = &(*at)[0];
  }
  std::function<void(const json&)> walk = [&](const json& x) {
    if (x.is_array())
      for (const auto& y : x) walk(y);
    else
      flat.push_back(static_cast<float>(x.get<double>()));
  };
  walk(v);
  return torch::from_blob(flat.data(), shape, torch::kFloat).clone();
}

void set(torch::Tensor& param, const json& v) {
  torch::NoGradGuard no_grad;
  const auto t = v.is_number() ? torch::full({1}, static_cast<float>(v.get<double>())) : tensor_of(v);
  ASSERT_EQ(param.sizes(), t.sizes());
  param.copy_(t);
}

EdgeProbeModule fixture_module(const json& f, bool two_sided, const std::string& pooling) {
  EdgeProbeOptions o;
  o.pooling = pooling;
  o.proj_dim = f["proj_dim"].get<int64_t>();
  o.hidden = f["d_hid"].get<int64_t>();
  o.num_labels = f["n_classes"].get<int64_t>();
  o.two_sided = two_sided;
  o.mix = true;
  EdgeProbeModule net(f["d_inp"].get<int64_t>(), f["layers"].get<int64_t>(), o);
  const json& w = f["weights"];
  set(net->proj1->weight, w["proj1.weight"]), set(net->proj1->bias, w["proj1.bias"]);
  set(net->attn1->weight, w["attn1.weight"]), set(net->attn1->bias, w["attn1.bias"]);
  if (two_sided) {
    set(net->proj2->weight, w["proj2.weight"]), set(net->proj2->bias, w["proj2.bias"]);
    set(net->attn2->weight, w["attn2.weight"]), set(net->attn2->bias, w["attn2.bias"]);
    set(net->linear1->weight, w["mlp.linear1.weight"]);
  } else {
    set(net->linear1->weight, w["mlp.linear1.weight_single"]);
  }
  set(net->linear1->bias, w["mlp.linear1.bias"]);
  set(net->norm->weight, w["mlp.norm.weight"]), set(net->norm->bias, w["mlp.norm.bias"]);
  set(net->linear2->weight, w["mlp.linear2.weight"]), set(net->linear2->bias, w["mlp.linear2.bias"]);
  set(net->mix_scalars, w["mix.scalars"]), set(net->mix_gamma, w["mix.gamma"]);
  net->eval();
  return net;
}

EdgeSentence fixture_sentence(const json& c, int64_t layers, int64_t d) {
  EdgeSentence s;
  s.tokens = static_cast<int64_t>(c["tokens"].size());
  s.layers = layers;
  const auto x = tensor_of(c["tokens"]).contiguous();
  EXPECT_EQ(x.numel(), s.tokens * layers * d);
  s.vectors.assign(x.data_ptr<float>(), x.data_ptr<float>() + x.numel());
  const json& labels = c["labels"];
  for (size_t k = 0; k < c["span1s"].size(); ++k) {
    EdgeTarget t;
    t.span1_begin = c["span1s"][k][0], t.span1_end = c["span1s"][k][1];
    if (!c["span2s"].is_null()) t.span2_begin = c["span2s"][k][0], t.span2_end = c["span2s"][k][1];
    for (size_t l = 0; l < labels[k].size(); ++l)
      if (labels[k][l].get<int>() == 1) t.labels.push_back(static_cast<int32_t>(l));
    s.targets.push_back(t);
  }
  return s;
}

TEST(EdgeProbeParity, LogitsAndLossEqualTheJiantTranscription) {
  const json f = load_fixture();
  const int64_t layers = f["layers"], d = f["d_inp"], C = f["n_classes"];
  int compared = 0;
  for (const json& c : f["cases"]) {
    const bool two_sided = !c["span2s"].is_null();
    for (const std::string pooling : {"attn", "mean", "max"}) {
      auto net = fixture_module(f, two_sided, pooling);
      const EdgeSentence s = fixture_sentence(c, layers, d);
      const EdgeBatch b = make_edge_batch({&s}, d, C, two_sided);
      torch::NoGradGuard no_grad;
      const auto logits = net->forward(b).to(torch::kDouble);
      const auto expected = tensor_of(c["expected"][pooling]["logits"]).to(torch::kDouble);
      ASSERT_EQ(logits.sizes(), expected.sizes()) << c["name"] << " " << pooling;
      const double worst = (logits - expected).abs().max().item<double>();
      EXPECT_LT(worst, 1e-5) << c["name"] << " " << pooling;
      const double loss = torch::binary_cross_entropy_with_logits(net->forward(b), b.labels).item<double>();
      EXPECT_NEAR(loss, c["expected"][pooling]["loss"].get<double>(), 1e-5) << c["name"] << " " << pooling;
      compared += 1;
    }
    if (c.contains("attn_weights_span1_first")) {
      // The pooled representation of the first span 1 (projected), as jiant computes it.
      auto net = fixture_module(f, two_sided, "attn");
      const EdgeSentence s = fixture_sentence(c, layers, d);
      const EdgeBatch b = make_edge_batch({&s}, d, C, two_sided);
      torch::NoGradGuard no_grad;
      const auto pooled = net->span_representation(net->mix_layers(b.x), b.index1, b.mask1, b.rows1, b.target1,
                                                   b.slot1, b.width1, b.targets, net->proj1, net->attn1);
      const auto expected = tensor_of(c["pooled_span1_first"]).to(torch::kDouble);
      EXPECT_LT((pooled[0].to(torch::kDouble) - expected).abs().max().item<double>(), 1e-5);
    }
  }
  EXPECT_EQ(compared, 15);
}

TEST(EdgeProbeParity, SelfAttentivePoolingByHand) {
  // proj = identity on 2 dims, v = (1, 0): logits of the 3 tokens are their first coordinates
  // 0, ln 2, ln 3, so α = (1, 2, 3) / 6 and the pooled vector is Σ α_i x_i.
  EdgeProbeOptions o;
  o.proj_dim = 2, o.hidden = 2, o.num_labels = 1;
  EdgeProbeModule net(2, 1, o);
  {
    torch::NoGradGuard no_grad;
    net->proj1->weight.copy_(torch::eye(2)), net->proj1->bias.zero_();
    net->attn1->weight.copy_(torch::tensor({{1.0f, 0.0f}})), net->attn1->bias.fill_(0.7f);
  }
  const float l2 = std::log(2.0f), l3 = std::log(3.0f);
  const auto x = torch::tensor({{5.0f, 5.0f}, {0.0f, 1.0f}, {l2, 2.0f}, {l3, 3.0f}});  // token 0 is outside the span
  const auto index = torch::tensor({{1, 2, 3}}, torch::kLong);
  const auto mask = torch::ones({1, 3}, torch::kBool);
  const auto rows = torch::tensor({1, 2, 3}, torch::kLong), target = torch::zeros({3}, torch::kLong);
  const auto slot = torch::tensor({0, 1, 2}, torch::kLong);
  torch::NoGradGuard no_grad;
  const auto pooled = net->span_representation(x, index, mask, rows, target, slot, 3, 1, net->proj1, net->attn1);
  EXPECT_NEAR(pooled[0][0].item<double>(), (2 * std::log(2.0) + 3 * std::log(3.0)) / 6, 1e-6);
  EXPECT_NEAR(pooled[0][1].item<double>(), (1.0 + 4.0 + 9.0) / 6, 1e-6);
}

/// Sentences of 6 tokens with `layers` layers of d dims, N(0, 1); targets: every span of 1 or 2
/// tokens; label (3 classes) = argmax W · mean of the span's tokens in layer `signal_layer`.
std::vector<EdgeSentence> planted(int64_t n, int64_t layers, int64_t d, int64_t signal_layer, uint64_t seed,
                                  bool shuffle = false) {
  std::mt19937_64 rng(seed), wrng(42);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> W(static_cast<size_t>(3 * d));
  for (auto& v : W) v = normal(wrng);
  std::vector<EdgeSentence> out;
  std::vector<int32_t> all_labels;
  for (int64_t k = 0; k < n; ++k) {
    EdgeSentence s;
    s.tokens = 6, s.layers = layers;
    s.vectors.resize(static_cast<size_t>(6 * layers * d));
    for (auto& v : s.vectors) v = normal(rng);
    for (int32_t b = 0; b < 6; ++b)
      for (int32_t len = 1; len <= 2 && b + len <= 6; ++len) {
        int32_t best = 0;
        double best_score = -1e30;
        for (int32_t c = 0; c < 3; ++c) {
          double score = 0;
          for (int32_t t = b; t < b + len; ++t)
            for (int64_t j = 0; j < d; ++j)
              score += W[static_cast<size_t>(c * d + j)] * s.vectors[static_cast<size_t>((t * layers + signal_layer) * d + j)] / len;
          if (score > best_score) best_score = score, best = c;
        }
        s.targets.push_back({b, b + len, -1, -1, {best}});
        all_labels.push_back(best);
      }
    out.push_back(std::move(s));
  }
  if (shuffle) {
    std::shuffle(all_labels.begin(), all_labels.end(), rng);
    size_t at = 0;
    for (auto& s : out)
      for (auto& t : s.targets) t.labels = {all_labels[at++]};
  }
  return out;
}

/// One layer of every sentence (layers = 1).
std::vector<EdgeSentence> only_layer(const std::vector<EdgeSentence>& in, int64_t layer, int64_t d) {
  std::vector<EdgeSentence> out = in;
  for (size_t k = 0; k < in.size(); ++k) {
    out[k].layers = 1;
    out[k].vectors.clear();
    for (int64_t t = 0; t < in[k].tokens; ++t) {
      const auto* row = in[k].vectors.data() + (t * in[k].layers + layer) * d;
      out[k].vectors.insert(out[k].vectors.end(), row, row + d);
    }
  }
  return out;
}

EdgeProbeOptions fast_options() {
  EdgeProbeOptions o;
  o.pooling = "mean";
  o.proj_dim = 32, o.hidden = 32, o.num_labels = 3, o.lr = 3e-3, o.dropout = 0.0, o.input_dropout = 0.0;
  o.max_epochs = 40, o.patience = 8, o.batch_sentences = 16;
  return o;
}

TEST(EdgeProbePlanted, RecoversTheSignalLayerAndNotTheNoiseLayer) {
  const int64_t d = 8;
  const auto train = planted(400, 2, d, 1, 1), dev = planted(80, 2, d, 1, 2), test = planted(160, 2, d, 1, 3);
  const EdgeProbeOptions o = fast_options();
  const auto signal = train_edge_probe(only_layer(train, 1, d), only_layer(dev, 1, d), only_layer(test, 1, d), d, o);
  EXPECT_GT(signal.test.f1(), 95.0);
  const auto noise = train_edge_probe(only_layer(train, 0, d), only_layer(dev, 0, d), only_layer(test, 0, d), d, o);
  EXPECT_LT(noise.test.f1(), 55.0);  // 3 balanced-ish classes: chance micro-F1 is about 33-50
  EXPECT_EQ(signal.test.targets, 160 * 11);
}

TEST(EdgeProbePlanted, ShuffledLabelsStayAtChance) {
  const int64_t d = 8;
  const auto train = planted(400, 1, d, 0, 1, true), dev = planted(80, 1, d, 0, 2, true),
             test = planted(160, 1, d, 0, 3, true);
  const auto r = train_edge_probe(train, dev, test, d, fast_options());
  EXPECT_LT(r.test.f1(), 55.0);
}

TEST(EdgeProbePlanted, ScalarMixWeighsTheSignalLayer) {
  const int64_t d = 8;
  EdgeProbeOptions o = fast_options();
  o.mix = true;
  const auto r = train_edge_probe(planted(400, 3, d, 2, 1), planted(80, 3, d, 2, 2), planted(160, 3, d, 2, 3), d, o);
  ASSERT_EQ(r.mix_weights.size(), 3u);
  EXPECT_GT(r.test.f1(), 90.0);
  EXPECT_GT(r.mix_weights[2], r.mix_weights[0]);
  EXPECT_GT(r.mix_weights[2], r.mix_weights[1]);
}

TEST(EdgeProbeScore, MicroF1AndBinaryLabelByHand) {
  EdgeScore s{6, 2, 4, 5};
  EXPECT_NEAR(s.f1(), 100.0 * 12 / (12 + 6), 1e-12);
  EXPECT_TRUE(std::isnan(EdgeScore{}.f1()));
}

}  // namespace
}  // namespace bertology
