// The extraction plan: sequences, chunks, batches and rank assignment (pure functions).
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "pipeline/cache/cache_key.h"
#include "pipeline/cache/plan.h"
#include "pipeline/tokenizer/bert_tokenizer.h"

using namespace bertology;

namespace {

const std::string kTinyModel = std::string(BERTOLOGY_FIXTURES_DIR) + "/models/tiny_mlm_gelu";

Corpus corpus_of(const std::vector<std::vector<std::string>>& sentences) {
  Corpus c;
  c.path = "test";
  for (size_t i = 0; i < sentences.size(); ++i) {
    Sentence s;
    s.index = static_cast<int64_t>(i);
    s.words = sentences[i];
    s.origin = "test:" + std::to_string(i + 1);
    c.sentences.push_back(s);
  }
  return c;
}

TEST(Plan, SequencesCarrySpecialsWordIdsAndCorpusIndices) {
  const auto tok = BertTokenizer::from_model_dir(kTinyModel);
  const Corpus c = corpus_of({{"the", "cats"}, {"a", "dog", "ran"}});
  const auto plan = make_plan(c, tok, InputPolicy{}, 1000);
  ASSERT_EQ(plan.sequences.size(), 2u);
  const auto& s0 = plan.sequences[0];
  // [CLS] the cat ##s [SEP]
  EXPECT_EQ(s0.input_ids.front(), tok.cls_id());
  EXPECT_EQ(s0.input_ids.back(), tok.sep_id());
  EXPECT_EQ(s0.word_ids, (std::vector<int32_t>{-1, 0, 1, 1, -1}));
  EXPECT_EQ(s0.num_words, 2);
  EXPECT_EQ(plan.sequences[1].sentence_a, 1);
  EXPECT_EQ(plan.num_tokens, 5 + 5);
}

TEST(Plan, PairsAreConsecutiveSentencesWithSegmentsAndContinuedWordIds) {
  const auto tok = BertTokenizer::from_model_dir(kTinyModel);
  InputPolicy policy;
  policy.pairs = true;
  const Corpus c = corpus_of({{"the", "cat"}, {"a", "dog"}, {"hello"}});
  const auto plan = make_plan(c, tok, policy, 1000);
  ASSERT_EQ(plan.sequences.size(), 2u);  // (0, 1) and (2, alone)
  const auto& p = plan.sequences[0];
  EXPECT_EQ(p.sentence_a, 0);
  EXPECT_EQ(p.sentence_b, 1);
  // [CLS] the cat [SEP] a dog [SEP]
  EXPECT_EQ(p.word_ids, (std::vector<int32_t>{-1, 0, 1, -1, 2, 3, -1}));
  EXPECT_EQ(p.segment_ids, (std::vector<int8_t>{0, 0, 0, 0, 1, 1, 1}));
  EXPECT_EQ(p.num_words_a, 2);
  EXPECT_EQ(plan.sequences[1].sentence_b, -1);
}

TEST(Plan, OverlongSkippedOrTruncatedLongestFirst) {
  const auto tok = BertTokenizer::from_model_dir(kTinyModel);
  const Corpus c = corpus_of({{"the"}, {"the", "cat", "sat", "on", "the", "mat"}});
  InputPolicy policy;
  policy.max_length = 5;
  auto skipped = make_plan(c, tok, policy, 1000);
  EXPECT_EQ(skipped.sequences.size(), 1u);
  EXPECT_EQ(skipped.skipped_sentences, (std::vector<int64_t>{1}));
  policy.truncate = true;
  auto cut = make_plan(c, tok, policy, 1000);
  ASSERT_EQ(cut.sequences.size(), 2u);
  EXPECT_EQ(cut.sequences[1].length(), 5);
  EXPECT_TRUE(cut.sequences[1].truncated);
  EXPECT_EQ(cut.sequences[1].input_ids.back(), tok.sep_id());
  EXPECT_EQ(cut.truncated_sequences, 1);
}

TEST(Plan, ChunksFollowCorpusOrderAndTheTokenBudget) {
  const auto tok = BertTokenizer::from_model_dir(kTinyModel);
  std::vector<std::vector<std::string>> sents;
  for (int i = 0; i < 50; ++i) sents.push_back(std::vector<std::string>(1 + i % 7, "cat"));
  const auto plan = make_plan(corpus_of(sents), tok, InputPolicy{}, 40);
  int64_t next = 0, tokens = 0;
  for (const auto& c : plan.chunks) {
    EXPECT_EQ(c.first_sequence, next);
    EXPECT_LE(c.num_tokens, 40);
    EXPECT_GT(c.num_sequences, 0);
    next += c.num_sequences;
    tokens += c.num_tokens;
  }
  EXPECT_EQ(next, 50);
  EXPECT_EQ(tokens, plan.num_tokens);
}

TEST(Plan, BatchesCoverTheChunkWithBoundedPaddingAndTokens) {
  const auto tok = BertTokenizer::from_model_dir(kTinyModel);
  std::vector<std::vector<std::string>> sents;
  for (int i = 0; i < 60; ++i) sents.push_back(std::vector<std::string>(1 + (i * 7) % 23, "dog"));
  const auto plan = make_plan(corpus_of(sents), tok, InputPolicy{}, 100000);
  ASSERT_EQ(plan.chunks.size(), 1u);
  const auto batches = make_batches(plan, plan.chunks[0], 64);
  std::set<int64_t> seen;
  for (const auto& b : batches) {
    int64_t longest = 0, real = 0;
    for (int64_t s : b) {
      seen.insert(s);
      longest = std::max(longest, plan.sequences[s].length());
      real += plan.sequences[s].length();
    }
    const int64_t padded = longest * static_cast<int64_t>(b.size());
    if (b.size() > 1) {
      EXPECT_LE(padded, 64);
      EXPECT_LE(padded - real, kMaxPaddingFraction * padded);
    }
  }
  EXPECT_EQ(seen.size(), 60u);
}

TEST(Plan, AssignmentIsAPartitionBalancedByTokens) {
  std::vector<PlannedChunk> chunks(17);
  for (int i = 0; i < 17; ++i) {
    chunks[i].index = i;
    chunks[i].num_tokens = 100 + (i * 37) % 90;
  }
  std::vector<int64_t> pending(17);
  std::iota(pending.begin(), pending.end(), 0);
  for (int ranks : {1, 2, 3, 5}) {
    std::vector<int64_t> all;
    int64_t most = 0, least = INT64_MAX;
    for (int r = 0; r < ranks; ++r) {
      auto mine = assign_chunks(chunks, pending, ranks, r);
      int64_t load = 0;
      for (int64_t c : mine) load += chunks[c].num_tokens;
      most = std::max(most, load);
      least = std::min(least, load);
      all.insert(all.end(), mine.begin(), mine.end());
    }
    std::sort(all.begin(), all.end());
    EXPECT_EQ(all, pending) << ranks << " ranks";
    EXPECT_LE(most - least, 190) << ranks << " ranks";  // within one chunk's size
  }
}

TEST(CacheKey, EverySettingChangesTheKeyAndSubsetsAreCovered) {
  CacheKeyParts base;
  base.model_sha256 = "m";
  base.corpus_sha256 = "c";
  base.dtype = "float16";
  base.selection.layers = {0, 1, 2};
  const std::string k0 = key_digest(base);
  auto changed = [&](auto mutate) {
    CacheKeyParts p = base;
    mutate(p);
    return key_digest(p) != k0;
  };
  EXPECT_TRUE(changed([](CacheKeyParts& p) { p.model_sha256 = "m2"; }));
  EXPECT_TRUE(changed([](CacheKeyParts& p) { p.corpus_sha256 = "c2"; }));
  EXPECT_TRUE(changed([](CacheKeyParts& p) { p.pairs = true; }));
  EXPECT_TRUE(changed([](CacheKeyParts& p) { p.max_length = 128; }));
  EXPECT_TRUE(changed([](CacheKeyParts& p) { p.dtype = "float32"; }));
  EXPECT_TRUE(changed([](CacheKeyParts& p) { p.selection.layers = {0, 1}; }));
  EXPECT_TRUE(changed([](CacheKeyParts& p) { p.selection.attention = true; }));
  EXPECT_EQ(parse_key_json(key_json(base), "k").selection.layers, base.selection.layers);

  CacheSelection have;
  have.layers = {0, 1, 2, 3};
  have.attention = true;
  have.attention_layers = {0, 1};
  have.attention_heads = {0, 1, 2};
  CacheSelection want;
  want.layers = {1, 3};
  EXPECT_TRUE(have.covers(want));
  want.attention = true;
  want.attention_layers = {1};
  want.attention_heads = {2};
  EXPECT_TRUE(have.covers(want));
  want.attention_heads = {3};
  EXPECT_FALSE(have.covers(want));
  want.attention = false;
  want.word_pooling = "mean";
  EXPECT_FALSE(have.covers(want));
}

}  // namespace
