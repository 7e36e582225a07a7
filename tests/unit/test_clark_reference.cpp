// The Clark et al. (2019) cores against a transcription of the authors' code (issue #13).
//
// tests/fixtures/reference/clark_*.json hold small synthetic inputs and the numbers that
// scripts/reference/clark_attention_analysis.py — clarkkev/attention-analysis's get_word_word_attention,
// evaluate_predictor / attn_head_predictor / offset_predictor, General_Analysis.ipynb's avg_attns and
// entropy cells and head_distances.py, transcribed — computes for them
// (scripts/reference/make_clark_fixtures.py writes them; tests/fixtures/reference/README.md).
// Here the product's pure functions get the same inputs: every count must match exactly, every
// float within 1e-6.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/analysis/attention_measures.h"
#include "pipeline/analysis/word_attention.h"
#include "pipeline/cache/cache_reader.h"
#include "stages/dependency_heads/dependency_scoring.h"
#include "tests/support/files.h"

namespace bertology {
namespace {

using nlohmann::json;

constexpr double kTolerance = 1e-6;

json load(const std::string& name) {
  const std::string path = std::string(BERTOLOGY_FIXTURES_DIR) + "/reference/" + name;
  const std::string text = test::slurp(path);
  if (text.empty()) ADD_FAILURE() << "cannot read " << path << " (scripts/reference/make_clark_fixtures.py writes it)";
  return json::parse(text);
}

/// Nested JSON arrays of numbers, flattened in row-major order.
void flatten(const json& j, std::vector<float>& out) {
  if (j.is_array())
    for (const auto& e : j) flatten(e, out);
  else
    out.push_back(j.get<float>());  // the fixture writes float32 values exactly
}
void flatten(const json& j, std::vector<double>& out) {
  if (j.is_array())
    for (const auto& e : j) flatten(e, out);
  else
    out.push_back(j.get<double>());
}
template <typename T>
std::vector<T> flat(const json& j) {
  std::vector<T> out;
  flatten(j, out);
  return out;
}

WordFrom word_from(const std::string& mode) { return mode == "mean" ? WordFrom::Mean : WordFrom::First; }

// ---------------------------------------------------------------------------------------------
// clark_dependency.json: word-level attention and Table 1's scoring
// ---------------------------------------------------------------------------------------------

/// One fixture sentence as the stage sees it: the corpus sentence, its pieces' word ids
/// ([CLS]/[SEP] = -1) and the wordpiece attention [L, H, T, T].
struct RefSentence {
  Sentence sentence;
  std::vector<int32_t> word_ids;
  std::vector<float> attention;
  int T = 0;
};

std::vector<RefSentence> ref_sentences(const json& fixture) {
  std::vector<RefSentence> out;
  int index = 0;
  for (const auto& s : fixture["sentences"]) {
    RefSentence r;
    r.sentence.index = index;
    r.sentence.origin = "clark_dependency.json:sentence " + std::to_string(index++);
    r.sentence.words = s["words"].get<std::vector<std::string>>();
    const auto heads = s["heads"].get<std::vector<int>>();
    const auto relns = s["relns"].get<std::vector<std::string>>();
    for (size_t i = 0; i < heads.size(); ++i) {
      WordAnnotation a;
      a.head = heads[i];
      a.deprel = relns[i];
      r.sentence.annotations.push_back(a);
    }
    r.word_ids = s["word_ids"].get<std::vector<int32_t>>();
    r.T = static_cast<int>(r.word_ids.size());
    r.attention = flat<float>(s["attention"]);
    out.push_back(std::move(r));
  }
  return out;
}

/// Layer `layer`'s [H, T, T] of a sentence.
std::vector<float> layer_attention(const RefSentence& s, int layer, int H) {
  const size_t per_layer = static_cast<size_t>(H) * s.T * s.T;
  return std::vector<float>(s.attention.begin() + static_cast<std::ptrdiff_t>(layer * per_layer),
                            s.attention.begin() + static_cast<std::ptrdiff_t>((layer + 1) * per_layer));
}

/// The fixture's scoring variants and the product's possessive rule that must reproduce each.
const std::pair<const char*, PossessiveRule> kVariants[] = {{"product_conventions", PossessiveRule::Paper},
                                                            {"notebook_ud", PossessiveRule::Released}};

class ClarkReferenceDependency : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    fixture_ = new json(load("clark_dependency.json"));
    sentences_ = new std::vector<RefSentence>(ref_sentences(*fixture_));
  }
  static void TearDownTestSuite() {
    delete sentences_;
    delete fixture_;
  }
  static int L() { return (*fixture_)["num_layers"].get<int>(); }
  static int H() { return (*fixture_)["num_heads"].get<int>(); }

  /// The stage's path (dependency_heads_stage.cpp) over every fixture sentence, word_from = mode:
  /// CacheReader::to_word_level -> words_only_attention -> tally_layer, and tally_sentence.
  static DependencyTally run_stage_scoring(const std::string& mode, PossessiveRule rule) {
    std::vector<const Sentence*> used;
    for (const auto& s : *sentences_) used.push_back(&s.sentence);
    DependencyTally tally(used, L(), H());
    for (const auto& s : *sentences_) {
      const int n = static_cast<int>(s.sentence.words.size());
      const DependencyGold gold = dependency_gold(s.sentence, tally, rule);
      tally_sentence(gold, tally);
      for (int l = 0; l < L(); ++l) {
        std::vector<int32_t> unit_word_ids;
        const auto units = CacheReader::to_word_level(layer_attention(s, l, H()), H(), s.T, s.word_ids.data(), n,
                                                      word_from(mode), &unit_word_ids);
        std::vector<float> words;
        EXPECT_TRUE(words_only_attention(units, H(), unit_word_ids, n, words)) << s.sentence.origin;
        tally_layer(words.data(), l, gold, tally);
      }
    }
    return tally;
  }

  static json* fixture_;
  static std::vector<RefSentence>* sentences_;
};
json* ClarkReferenceDependency::fixture_ = nullptr;
std::vector<RefSentence>* ClarkReferenceDependency::sentences_ = nullptr;

// bpe_utils.get_word_word_attention(attn_head, words_to_tokens, mode) on each head, where
// words_to_tokens has [CLS] and [SEP] as their own "words" (tokenize_and_align), against
// CacheReader::to_word_level, whose units are each special token alone and each word: for a
// single sentence the same [n+2, n+2] in the same order. Then the notebook's attn[1:-1, 1:-1]
// (attn_head_predictor) against words_only_attention.
TEST_P(ClarkReferenceDependency, WordLevelAttentionMatchesGetWordWordAttention) {
  const std::string mode = GetParam();
  const int H = this->H();
  for (size_t k = 0; k < sentences_->size(); ++k) {
    const RefSentence& s = (*sentences_)[k];
    const int n = static_cast<int>(s.sentence.words.size()), U = n + 2;
    const auto expected = flat<double>((*fixture_)["sentences"][k]["word_attention"][mode]);  // [L, H, U, U]
    ASSERT_EQ(expected.size(), static_cast<size_t>(L()) * H * U * U);
    for (int l = 0; l < L(); ++l) {
      std::vector<int32_t> unit_word_ids;
      const auto units =
          CacheReader::to_word_level(layer_attention(s, l, H), H, s.T, s.word_ids.data(), n, word_from(mode), &unit_word_ids);
      std::vector<int32_t> want_ids = {-1};
      for (int w = 0; w < n; ++w) want_ids.push_back(w);
      want_ids.push_back(-1);
      ASSERT_EQ(unit_word_ids, want_ids) << s.sentence.origin;
      ASSERT_EQ(units.size(), static_cast<size_t>(H) * U * U);
      for (int h = 0; h < H; ++h)
        for (int u = 0; u < U; ++u)
          for (int v = 0; v < U; ++v) {
            const size_t at = ((static_cast<size_t>(l) * H + h) * U + u) * U + v;
            ASSERT_NEAR(units[(static_cast<size_t>(h) * U + u) * U + v], expected[at], kTolerance)
                << s.sentence.origin << " word_from=" << mode << " layer " << l << " head " << h << " unit " << u
                << " -> unit " << v;
          }
      std::vector<float> words;
      ASSERT_TRUE(words_only_attention(units, H, unit_word_ids, n, words));
      for (int h = 0; h < H; ++h)
        for (int i = 0; i < n; ++i)
          for (int j = 0; j < n; ++j) {
            const size_t at = ((static_cast<size_t>(l) * H + h) * U + i + 1) * U + j + 1;
            ASSERT_NEAR(words[(static_cast<size_t>(h) * n + i) * n + j], expected[at], kTolerance)
                << s.sentence.origin << " word_from=" << mode << " layer " << l << " head " << h;
          }
    }
  }
}

// Per relation ("all" included), layer, head and direction: correct predictions and dependents,
// against evaluate_predictor(attn_head_predictor(layer, head, mode)) over the fixture sentences.
//
// Conventions mapped (docs/clark2019.md, dependency_heads):
// - directions: the notebook's "dep->head" (mode "normal") is kDepToHead, "head<-dep" (mode
//   "transpose") is kHeadToDep; the fixture stores them in that order.
// - the expected numbers are the fixture's "product_conventions" variant: the transcription's
//   evaluate_predictor run with possessive_relns = {poss, nmod:poss}, possessive_words = {'s, s',
//   ’s, s’} and last_word_quirk = False. The first two are UD's names for what the notebook (on
//   Stanford Dependencies) calls poss and 's; the third is the documented departure: the notebook
//   applies the possessive rule only when the dependent's own prediction p < len(words), the
//   product always. The fixture's "notebook_ud" variant keeps that condition, and
//   "notebook_vs_product_conventions" lists every count where the two differ.
//   clark.possessive_rule: released keeps it: that variant is compared against "notebook_ud".
TEST_P(ClarkReferenceDependency, HeadsMatchEvaluatePredictor) {
  const std::string mode = GetParam();
  for (const auto& [variant, rule] : kVariants) {
    SCOPED_TRACE(variant);
    const DependencyTally tally = run_stage_scoring(mode, rule);
    const json& expected = (*fixture_)["scores"][mode][variant]["relations"];
    const auto directions = (*fixture_)["directions"].get<std::vector<std::string>>();
    ASSERT_EQ(directions, (std::vector<std::string>{"dep->head", "head<-dep"}));
    const int product_direction[2] = {kDepToHead, kHeadToDep};

    std::vector<std::string> names;
    for (const auto& [name, _] : expected.items()) names.push_back(name);
    std::vector<std::string> have = tally.relations;
    std::sort(names.begin(), names.end());
    std::sort(have.begin(), have.end());
    ASSERT_EQ(have, names) << "relations";

    for (const auto& [name, want] : expected.items()) {
      const int r = tally.relation_index(name);
      ASSERT_GE(r, 0) << name;
      EXPECT_EQ(tally.count[static_cast<size_t>(r)], want["count"].get<int64_t>()) << "count of " << name;
      for (int l = 0; l < L(); ++l)
        for (int h = 0; h < H(); ++h)
          for (int d = 0; d < 2; ++d)
            EXPECT_EQ(tally.correct_at(r, l, h, product_direction[d]), want["correct"][l][h][d].get<int64_t>())
                << "word_from=" << mode << " relation " << name << ", layer " << l + 1 << " head " << h + 1
                << " (1-based) " << directions[static_cast<size_t>(d)];
  }
  }
}

// Per relation and offset: evaluate_predictor(offset_predictor(k)) — with the possessive rule,
// which the notebook applies to every predictor, the baselines included (the fixture's first
// sentence is built so that the rule moves the +1 and +2 baselines of nmod:poss). Offsets: the
// notebook's range(-3, 3) includes 0 (each word its own head, right only through the possessive
// rule); the product reports k in {-3, -2, -1, 1, 2} (docs/clark2019.md), so 0 is not compared.
// Baselines do not depend on word_from; both instances check the same numbers.
TEST_P(ClarkReferenceDependency, OffsetBaselinesMatchEvaluatePredictor) {
  const std::string mode = GetParam();
  for (const auto& [variant, rule] : kVariants) {
    SCOPED_TRACE(variant);
    const DependencyTally tally = run_stage_scoring(mode, rule);
    const json& expected = (*fixture_)["scores"][mode][variant]["baselines"];
    const auto offsets = (*fixture_)["offsets"].get<std::vector<int>>();
    for (const auto& [name, want] : expected.items()) {
      const int r = tally.relation_index(name);
      ASSERT_GE(r, 0) << name;
      for (int k = 0; k < kNumOffsets; ++k) {
        const auto it = std::find(offsets.begin(), offsets.end(), kOffsets[k]);
        ASSERT_NE(it, offsets.end()) << kOffsets[k];
        EXPECT_EQ(tally.baseline[static_cast<size_t>(r) * kNumOffsets + k], want[it - offsets.begin()].get<int64_t>())
            << "relation " << name << ", offset " << (kOffsets[k] > 0 ? "+" : "") << kOffsets[k];
      }
  }
  }
}

INSTANTIATE_TEST_SUITE_P(ClarkReference, ClarkReferenceDependency, ::testing::Values("mean", "first"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// ---------------------------------------------------------------------------------------------
// clark_patterns.json: General_Analysis.ipynb's avg_attns and entropies
// ---------------------------------------------------------------------------------------------

// Per layer and head, against the notebook's cells, over [CLS] A [SEP] B [SEP] sequences (as
// its data and the attention_patterns stage). Conventions mapped:
// - names: to_next = the notebook's "right" (the eye(n, n, 1) selector: from i to i + 1; its
//   Figure 2 legend says "prev token"), to_prev = "left", to_self = "self", to_cls = "cls",
//   to_sep = "sep", to_punct = "punct" (tokens "." and ","), sep_to_sep = "sep_sep",
//   other_to_sep = "rest_sep", entropy = entropies, cls_entropy = entropies_cls.
// - the notebook divides sep_sep by 2 and rest_sep by n_tokens - 2 (two [SEP]s, as in its data);
//   the product by the number of [SEP]s and of the other tokens: the same here, where every
//   sequence has two [SEP]s (checked).
// - the notebook divides each sequence's value by n_docs as it goes; the product sums per-sequence
//   values and the stage divides by the number of sequences at the end.
TEST(ClarkReference, AttentionPatternsMatchGeneralAnalysis) {
  const json fixture = load("clark_patterns.json");
  const int L = fixture["num_layers"].get<int>(), H = fixture["num_heads"].get<int>();
  const int32_t cls = 101, sep = 102, period = 1012, comma = 1010, other = 2000;
  std::vector<double> sums(static_cast<size_t>(L) * H * kNumPatternMeasures, 0.0);
  int docs = 0;
  for (const auto& s : fixture["sequences"]) {
    const auto tokens = s["tokens"].get<std::vector<std::string>>();
    const int T = static_cast<int>(tokens.size());
    std::vector<int32_t> ids;
    for (const auto& t : tokens)
      ids.push_back(t == "[CLS]" ? cls : t == "[SEP]" ? sep : t == "." ? period : t == "," ? comma : other);
    ASSERT_EQ(std::count(ids.begin(), ids.end(), sep), 2);
    const auto kinds = token_kinds(ids, cls, sep, {period, comma});
    const auto attention = flat<float>(s["attention"]);
    ASSERT_EQ(attention.size(), static_cast<size_t>(L) * H * T * T);
    for (int l = 0; l < L; ++l)
      add_sequence_patterns(attention.data() + static_cast<size_t>(l) * H * T * T, H, T, kinds,
                            sums.data() + static_cast<size_t>(l) * H * kNumPatternMeasures);
    ++docs;
  }
  ASSERT_EQ(docs, fixture["n_docs"].get<int>());

  const std::map<int, std::string> notebook_key = {
      {kToCls, "cls"},   {kToSep, "sep"},   {kToPunct, "punct"},    {kToNext, "right"},
      {kToPrev, "left"}, {kToSelf, "self"}, {kSepToSep, "sep_sep"}, {kOtherToSep, "rest_sep"}};
  for (int l = 0; l < L; ++l)
    for (int h = 0; h < H; ++h)
      for (int m = 0; m < kNumPatternMeasures; ++m) {
        double want = 0;
        if (m == kEntropy) want = fixture["entropies"][l][h].get<double>();
        else if (m == kClsEntropy) want = fixture["entropies_cls"][l][h].get<double>();
        else want = fixture["avg_attns"][notebook_key.at(m)][l][h].get<double>();
        const double got = sums[(static_cast<size_t>(l) * H + h) * kNumPatternMeasures + m] / docs;
        EXPECT_NEAR(got, want, kTolerance)
            << pattern_measure_name(m) << ", layer " << l + 1 << " head " << h + 1 << " (1-based)";
      }
}

// ---------------------------------------------------------------------------------------------
// clark_head_distances.json: head_distances.py
// ---------------------------------------------------------------------------------------------

// js_distances[a][b] = Σ over sequences and query rows of JS(row of head a, row of head b) on rows
// smoothed as 0.001/T + 0.999a, against smoothed_js_divergence summed the same way, and against
// add_js_distance_sums, the head_clusters stage's own loop (pairs a < b).
TEST(ClarkReference, HeadDistancesMatchHeadDistancesPy) {
  const json fixture = load("clark_head_distances.json");
  const int L = fixture["num_layers"].get<int>(), H = fixture["num_heads"].get<int>(), K = L * H;
  std::vector<double> distances(static_cast<size_t>(K) * K, 0.0), stage_sums(distances.size(), 0.0);
  for (const auto& s : fixture["sequences"]) {
    const int T = static_cast<int>(s["tokens"].size());
    const auto attention = flat<float>(s["attention"]);  // [L, H, T, T] = K maps of [T, T]
    ASSERT_EQ(attention.size(), static_cast<size_t>(K) * T * T);
    std::vector<std::vector<float>> maps(static_cast<size_t>(K));
    for (int k = 0; k < K; ++k)
      maps[static_cast<size_t>(k)].assign(attention.begin() + static_cast<int64_t>(k) * T * T,
                                          attention.begin() + static_cast<int64_t>(k + 1) * T * T);
    add_js_distance_sums(maps, T, stage_sums);
    for (int a = 0; a < K; ++a)
      for (int b = 0; b < K; ++b)
        for (int i = 0; i < T; ++i)
          distances[static_cast<size_t>(a) * K + b] +=
              smoothed_js_divergence(attention.data() + (static_cast<size_t>(a) * T + i) * T,
                                     attention.data() + (static_cast<size_t>(b) * T + i) * T, T);
  }
  const auto want = flat<double>(fixture["js_distances"]);
  ASSERT_EQ(want.size(), distances.size());
  for (int a = 0; a < K; ++a)
    for (int b = 0; b < K; ++b) {
      EXPECT_NEAR(distances[static_cast<size_t>(a) * K + b], want[static_cast<size_t>(a) * K + b], kTolerance)
          << "heads " << a / H + 1 << "-" << a % H + 1 << " and " << b / H + 1 << "-" << b % H + 1 << " (1-based)";
      if (a < b)
        EXPECT_NEAR(stage_sums[static_cast<size_t>(a) * K + b], want[static_cast<size_t>(a) * K + b], kTolerance)
            << "add_js_distance_sums, heads " << a << " and " << b << " (0-based)";
    }
}

}  // namespace
}  // namespace bertology
