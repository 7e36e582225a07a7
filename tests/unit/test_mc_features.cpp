// Multiple-choice inputs against Hugging Face: tokenizer(story, question + " " + option,
// truncation="longest_first", max_length=L) on the MC160 fixture (scripts/make_mc_reference.py).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "pipeline/mcrc/mc_features.h"
#include "pipeline/mcrc/mc_readers.h"
#include "tests/support/unit.h"

namespace bertology {
namespace {

const std::string kFixtures = BERTOLOGY_FIXTURES_DIR;
using test::input_error;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(McFeatures, EqualHuggingFacePairEncodingWithLongestFirstTruncation) {
  std::ifstream in(kFixtures + "/mcrc/mc160.features.json");
  ASSERT_TRUE(in.good());
  const auto ref = nlohmann::json::parse(in);
  const BertTokenizer tokenizer(Vocab::load(kFixtures + "/vocab/bert-base-uncased-vocab.txt"), TokenizerOptions{});
  const McDataset data = read_mctest(kFixtures + "/mcrc/mc160.dev.first2.tsv");
  int truncated = 0;
  for (const auto& [length, questions] : ref.at("max_lengths").items()) {
    const auto features = encode_mc_examples(tokenizer, data.examples, std::stoi(length));
    ASSERT_EQ(features.size(), questions.size());
    for (size_t q = 0; q < features.size(); ++q) {
      EXPECT_EQ(features[q].answer, questions[q].at("answer").get<int>());
      for (size_t k = 0; k < 4; ++k) {
        EXPECT_EQ(features[q].input_ids[k], questions[q].at("input_ids")[k].get<std::vector<int32_t>>()) << length << " " << q << " " << k;
        EXPECT_EQ(features[q].token_type_ids[k], questions[q].at("token_type_ids")[k].get<std::vector<int32_t>>());
        EXPECT_LE(features[q].input_ids[k].size(), static_cast<size_t>(std::stoi(length)));
      }
      truncated += features[q].truncated_options;
    }
  }
  EXPECT_EQ(truncated, 32);  // every option at L = 64 (stories are ~250 pieces), none at 512
}

TEST(McFeatures, LongestFirstCutsTheLongerSideAndTheSecondOnTies) {
  std::vector<int32_t> a = {1, 2, 3, 4, 5}, b = {6, 7};
  truncate_longest_first(a, b, 3);
  EXPECT_EQ(a, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(b, (std::vector<int32_t>{6, 7}));
  a = {1, 2, 3};
  b = {4, 5, 6};
  truncate_longest_first(a, b, 3);  // tie: second, then first, then second
  EXPECT_EQ(a, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(b, (std::vector<int32_t>{4}));
}

TEST(McFeatures, BadQuestionsAreClearErrors) {
  const BertTokenizer tokenizer(Vocab::load(kFixtures + "/vocab/bert-base-uncased-vocab.txt"), TokenizerOptions{});
  McExample ex;
  ex.id = "x-0";
  ex.origin = "data.json:questions[0]";
  ex.passage = "A cat.";
  ex.question = "Who?";
  ex.options = {"cat", "dog"};
  ex.answer = 2;
  EXPECT_TRUE(contains(input_error([&] { encode_mc_example(tokenizer, ex, 32); }), "data.json:questions[0]: question x-0 has answer index 2"));
  ex.answer = 0;
  EXPECT_TRUE(contains(input_error([&] { encode_mc_example(tokenizer, ex, 3); }), "max_length must be at least 4"));
  ex.options = {"cat"};
  EXPECT_TRUE(contains(input_error([&] { encode_mc_example(tokenizer, ex, 32); }), "has 1 options"));
}

}  // namespace
}  // namespace bertology
