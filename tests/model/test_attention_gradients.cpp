// attention_gradients: |∂L_MLM/∂α| per layer against Hugging Face (scripts/make_gradient_reference.py),
// the masking procedure, and the clear error for a checkpoint without an MLM head.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "pipeline/util/error.h"
#include "stages/attention_gradients/attention_gradients.h"
#include "tests/model/reference.h"

namespace bertology {
namespace {

TEST(AttentionGradients, MatchHuggingFaceOnTinyMlmModel) {
  std::ifstream in(std::string(BERTOLOGY_FIXTURES_DIR) + "/models/tiny_mlm_gelu.gradients.json");
  ASSERT_TRUE(in.good());
  const auto ref = nlohmann::json::parse(in);
  const AttentionGradientModel model(fixture_model_dir("mlm_gelu").string(), 2);
  ASSERT_EQ(model.num_layers(), 2);
  std::vector<TokenKind> kinds;
  for (const auto& k : ref.at("kinds")) {
    const std::string s = k.get<std::string>();
    kinds.push_back(s == "cls" ? TokenKind::Cls : s == "sep" ? TokenKind::Sep : s == "punct" ? TokenKind::Punct : TokenKind::Other);
  }
  std::vector<double> sums(2 * kNumGradientTargets, 0.0), counts(2 * kNumGradientTargets, 0.0);
  const double loss = model.add_sequence(ref.at("input_ids").get<std::vector<int32_t>>(),
                                         ref.at("segment_ids").get<std::vector<int32_t>>(), kinds,
                                         ref.at("masked").get<std::vector<int>>(), sums, counts);
  EXPECT_NEAR(loss, ref.at("loss").get<double>(), 1e-5);
  for (int l = 0; l < 2; ++l)
    for (int c = 0; c < kNumGradientTargets; ++c) {
      const double expected = ref.at("layers")[l].at(gradient_target_name(c)).get<double>();
      EXPECT_NEAR(sums[l * kNumGradientTargets + c], expected, 1e-4 * expected) << l << " " << gradient_target_name(c);
      EXPECT_EQ(counts[l * kNumGradientTargets + c], 1.0);
    }
}

TEST(AttentionGradients, MaskingIsSeededSkipsSpecialsAndMasksAtLeastOne) {
  using K = TokenKind;
  const std::vector<K> kinds = {K::Cls, K::Other, K::Other, K::Punct, K::Sep, K::Other, K::Sep};
  const auto a = choose_masked_positions(kinds, 0.5, 7, 3);
  EXPECT_EQ(a, choose_masked_positions(kinds, 0.5, 7, 3));
  for (int t : a) EXPECT_TRUE(kinds[t] != K::Cls && kinds[t] != K::Sep) << t;
  const auto none = choose_masked_positions(kinds, 0.0, 7, 3);
  ASSERT_EQ(none.size(), 1u);  // at least one
  EXPECT_EQ(choose_masked_positions(kinds, 1.0, 7, 3), (std::vector<int>{1, 2, 3, 5}));
  // Different sequences draw differently (over many draws at least one differs).
  bool differs = false;
  for (int s = 0; s < 20 && !differs; ++s) differs = choose_masked_positions(kinds, 0.5, 7, s) != a;
  EXPECT_TRUE(differs);
}

TEST(AttentionGradients, CheckpointWithoutMlmHeadIsAClearError) {
  try {
    AttentionGradientModel model(fixture_model_dir("base_gelu_new").string(), 1);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("needs the masked-LM head"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bertology
