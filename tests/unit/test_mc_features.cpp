// Multiple-choice inputs against Hugging Face: tokenizer(story, question + " " + option,
// truncation="longest_first", max_length=L) on the MC160 fixture (scripts/make_mc_reference.py).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "pipeline/mcrc/attacks.h"
#include "pipeline/mcrc/mc_features.h"
#include "pipeline/mcrc/mc_readers.h"
#include "tests/support/unit.h"

namespace bertology {
namespace {

const std::string kFixtures = BERTOLOGY_FIXTURES_DIR;
using test::input_error;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// The oracle: HF's longest_first as its definition, one token at a time from the end of the
/// longer sequence, the second on a tie.
void truncate_longest_first(std::vector<int32_t>& first, std::vector<int32_t>& second, int64_t excess) {
  for (; excess > 0; --excess) {
    if (first.size() > second.size()) first.pop_back();
    else if (!second.empty()) second.pop_back();
    else return;
  }
}

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
  TokenSegment a{{1, 2, 3, 4, 5}, std::vector<bool>(5, false)}, b{{6, 7}, {false, false}};
  truncate_sparing_kept(a, b, 3);
  EXPECT_EQ(a.ids, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(b.ids, (std::vector<int32_t>{6, 7}));
  a = {{1, 2, 3}, std::vector<bool>(3, false)};
  b = {{4, 5, 6}, std::vector<bool>(3, false)};
  truncate_sparing_kept(a, b, 3);  // tie: second, then first, then second
  EXPECT_EQ(a.ids, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(b.ids, (std::vector<int32_t>{4}));
}

TEST(McFeatures, SparingKeptTokensIsLongestFirstWhenNothingIsKept) {
  for (int la = 0; la <= 7; ++la)
    for (int lb = 0; lb <= 7; ++lb)
      for (int excess = 0; excess <= la + lb + 1; ++excess) {
        std::vector<int32_t> a(static_cast<size_t>(la)), b(static_cast<size_t>(lb));
        for (int i = 0; i < la; ++i) a[static_cast<size_t>(i)] = i;
        for (int i = 0; i < lb; ++i) b[static_cast<size_t>(i)] = 100 + i;
        TokenSegment first{a, std::vector<bool>(a.size(), false)}, second{b, std::vector<bool>(b.size(), false)};
        truncate_longest_first(a, b, excess);
        truncate_sparing_kept(first, second, excess);
        EXPECT_EQ(first.ids, a) << la << " " << lb << " " << excess;
        EXPECT_EQ(second.ids, b) << la << " " << lb << " " << excess;
        EXPECT_EQ(first.kept_cut + second.kept_cut, 0);
      }
}

TEST(McFeatures, SparingKeptTokensCutsTheOriginalTextFirst) {
  // Passage 1..6 whose last two tokens an attack appended; question 7, 8. Longest-first would cut
  // 6, 5, 4; sparing the kept ones it cuts the original passage's last tokens, 4, 3, 2.
  TokenSegment first{{1, 2, 3, 4, 5, 6}, {false, false, false, false, true, true}};
  TokenSegment second{{7, 8}, {false, false}};
  truncate_sparing_kept(first, second, 3);
  EXPECT_EQ(first.ids, (std::vector<int32_t>{1, 5, 6}));
  EXPECT_EQ(second.ids, (std::vector<int32_t>{7, 8}));
  EXPECT_EQ(first.cut, 3);
  EXPECT_EQ(first.kept_cut, 0);
  // The longer side has nothing left to cut but kept tokens: the other side gives its tokens.
  TokenSegment all_kept{{1, 2, 3, 4}, {true, true, true, true}};
  TokenSegment question{{7, 8}, {false, false}};
  truncate_sparing_kept(all_kept, question, 2);
  EXPECT_EQ(all_kept.ids.size(), 4u);
  EXPECT_TRUE(question.ids.empty());
  // Only kept tokens left: they are cut (and counted), longest first.
  truncate_sparing_kept(all_kept, question, 1);
  EXPECT_EQ(all_kept.ids, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(all_kept.kept_cut, 1);
}

/// The wordpieces of `text`.
std::vector<int32_t> pieces(const BertTokenizer& tokenizer, const std::string& text) {
  return tokenizer.encode_text(text, false).ids;
}

TEST(McFeatures, AttackTextSurvivesTruncation) {
  // MC160 stories are ~250 pieces: at max length 64 HF's longest-first cut would drop the
  // shuffled text AddSent2Pas-Shuffle appends to the passage (and it did before issue #13).
  const BertTokenizer tokenizer(Vocab::load(kFixtures + "/vocab/bert-base-uncased-vocab.txt"), TokenizerOptions{});
  const McDataset data = read_mctest(kFixtures + "/mcrc/mc160.dev.first2.tsv");
  for (const int max_length : {64, 256}) {
    for (Attack attack : all_attacks()) {
      const auto attacked = attack_set(data.examples, attack, AttackOptions{});
      for (size_t q = 0; q < attacked.size(); ++q) {
        const McExample& ex = attacked[q];
        const McFeatures f = encode_mc_example(tokenizer, ex, max_length);
        EXPECT_EQ(f.added_text_cut_options, 0) << attack_name(attack) << " " << ex.id;
        EXPECT_EQ(f.added_text_options, attack == Attack::AddSent2PasShuffle ? 4 : 3) << attack_name(attack);
        for (size_t k = 0; k < f.input_ids.size(); ++k) {
          const auto& ids = f.input_ids[k];
          EXPECT_LE(ids.size(), static_cast<size_t>(max_length));
          const auto first_sep = std::find(ids.begin() + 1, ids.end(), tokenizer.sep_id());
          const std::vector<int32_t> first(ids.begin() + 1, first_sep), second(first_sep + 1, ids.end() - 1);
          if (attack == Attack::AddSent2PasShuffle) {
            // The passage segment = a prefix of the original passage + every appended piece.
            const auto added = pieces(tokenizer, ex.passage.substr(ex.passage_added_from));
            const auto original = pieces(tokenizer, data.examples[q].passage);
            ASSERT_GE(first.size(), added.size());
            EXPECT_TRUE(std::equal(added.begin(), added.end(), first.end() - static_cast<long>(added.size())))
                << ex.id << " option " << k;
            EXPECT_TRUE(std::equal(first.begin(), first.end() - static_cast<long>(added.size()), original.begin()));
          } else if (ex.option_attacked(static_cast<int>(k))) {
            // Every piece of a rewritten option is in the second segment.
            const auto option = pieces(tokenizer, ex.options[k]);
            EXPECT_NE(std::search(second.begin(), second.end(), option.begin(), option.end()), second.end())
                << attack_name(attack) << " " << ex.id << " option " << k;
          }
        }
      }
    }
  }
  // Unattacked examples are encoded as before (HF parity above): nothing is marked.
  const McFeatures plain = encode_mc_example(tokenizer, data.examples[0], 64);
  EXPECT_EQ(plain.added_text_options, 0);
  EXPECT_EQ(plain.passage_truncated_options, 4);
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
