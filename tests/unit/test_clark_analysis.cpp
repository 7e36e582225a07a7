// The computational cores of the Clark et al. (2019) stages on synthetic attention whose answers
// are known by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "pipeline/analysis/attention_measures.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/analysis/word_attention.h"
#include "pipeline/util/error.h"
#include "stages/dependency_heads/dependency_scoring.h"
#include "stages/head_clusters/classical_mds.h"

namespace bertology {
namespace {

using K = TokenKind;

double measure(const std::vector<double>& sums, int head, int m) { return sums[static_cast<size_t>(head) * kNumPatternMeasures + m]; }

TEST(ClarkPatterns, UniformRowsHaveEntropyLogT) {
  for (int T : {2, 5, 17}) {
    std::vector<float> a(static_cast<size_t>(T) * T, 1.f / T);
    std::vector<K> kinds(static_cast<size_t>(T), K::Other);
    kinds.front() = K::Cls;
    kinds.back() = K::Sep;
    std::vector<double> sums(kNumPatternMeasures, 0.0);
    add_sequence_patterns(a.data(), 1, T, kinds, sums.data());
    EXPECT_NEAR(measure(sums, 0, kEntropy), std::log(T), 1e-6) << T;
    EXPECT_NEAR(measure(sums, 0, kClsEntropy), std::log(T), 1e-6) << T;
    EXPECT_NEAR(measure(sums, 0, kToCls), 1.0 / T, 1e-7);
    EXPECT_NEAR(measure(sums, 0, kToSelf), 1.0 / T, 1e-7);
  }
}

TEST(ClarkPatterns, HandComputedFourTokenSequence) {
  // [CLS] w , [SEP]; head 0 attends from each token to the next (last: to itself); head 1 is
  // hand-filled (rows sum to 1).
  const std::vector<K> kinds = {K::Cls, K::Other, K::Punct, K::Sep};
  std::vector<float> a = {0, 1, 0, 0,  0, 0, 1, 0,  0, 0, 0, 1,  0, 0, 0, 1,
                          0.5f, 0.25f, 0.f, 0.25f,  0.1f, 0.2f, 0.3f, 0.4f,  0.f, 0.5f, 0.f, 0.5f,  1.f, 0.f, 0.f, 0.f};
  std::vector<double> sums(2 * kNumPatternMeasures, 0.0);
  add_sequence_patterns(a.data(), 2, 4, kinds, sums.data());
  EXPECT_NEAR(measure(sums, 0, kToNext), 3.0 / 4, 1e-7);
  EXPECT_NEAR(measure(sums, 0, kToPrev), 0.0, 1e-7);
  EXPECT_NEAR(measure(sums, 0, kToSelf), 1.0 / 4, 1e-7);
  EXPECT_NEAR(measure(sums, 0, kToSep), 2.0 / 4, 1e-7);
  EXPECT_NEAR(measure(sums, 0, kSepToSep), 1.0, 1e-7);      // the one [SEP] attends to itself
  EXPECT_NEAR(measure(sums, 0, kOtherToSep), 1.0 / 3, 1e-7);  // only ',' of the 3 others
  // Head 1 by hand: to [CLS] (0.5 + 0.1 + 0 + 1)/4, to ',' (0 + .3 + 0 + 0)/4, next (.25+.3+.5)/4,
  // prev (.1 + .5 + 0)/4, self (.5 + .2 + 0 + 0)/4, [SEP]→[SEP] 0, others→[SEP] (.25 + .4 + .5)/3.
  EXPECT_NEAR(measure(sums, 1, kToCls), 1.6 / 4, 1e-7);
  EXPECT_NEAR(measure(sums, 1, kToPunct), 0.3 / 4, 1e-7);
  EXPECT_NEAR(measure(sums, 1, kToNext), 1.05 / 4, 1e-7);
  EXPECT_NEAR(measure(sums, 1, kToPrev), 0.6 / 4, 1e-7);
  EXPECT_NEAR(measure(sums, 1, kToSelf), 0.7 / 4, 1e-7);
  EXPECT_NEAR(measure(sums, 1, kSepToSep), 0.0, 1e-7);
  EXPECT_NEAR(measure(sums, 1, kOtherToSep), 1.15 / 3, 1e-7);
  // [CLS] row of head 1: smoothed (0.5, .25, 0, .25) -> −Σ p' ln p'.
  double h = 0;
  for (double p : {0.5, 0.25, 0.0, 0.25}) {
    const double s = 0.9999 * p + 0.0001 / 4;
    h -= s * std::log(s);
  }
  EXPECT_NEAR(measure(sums, 1, kClsEntropy), h, 1e-6);
}

TEST(ClarkPatterns, TokenKindsAndJensenShannon) {
  EXPECT_EQ(token_kinds({101, 7, 1012, 1010, 102}, 101, 102, {1012, 1010}),
            (std::vector<K>{K::Cls, K::Other, K::Punct, K::Punct, K::Sep}));
  const std::vector<float> p = {1, 0}, q = {0, 1};
  // Smoothed: (0.9995, 0.0005) vs (0.0005, 0.9995); JS by hand.
  const double a = 0.9995, b = 0.0005, m = 0.5;
  const double js = 0.5 * (a * std::log(a / m) + b * std::log(b / m)) * 2;
  EXPECT_NEAR(smoothed_js_divergence(p.data(), q.data(), 2), js, 1e-6);
  EXPECT_NEAR(smoothed_js_divergence(p.data(), p.data(), 2), 0.0, 1e-9);
}

/// A sentence with CoNLL heads/relations (1-based heads, 0 = root).
Sentence sentence(std::vector<std::string> words, std::vector<int> heads, std::vector<std::string> rels) {
  Sentence s;
  s.words = std::move(words);
  s.origin = "test:1";
  for (size_t i = 0; i < heads.size(); ++i) {
    WordAnnotation a;
    a.head = heads[i];
    a.deprel = rels[i];
    s.annotations.push_back(a);
  }
  return s;
}

/// One head's [n, n] attention with all weight of row i on column target[i].
std::vector<float> one_hot_rows(const std::vector<int>& target) {
  const size_t n = target.size();
  std::vector<float> a(n * n, 0.f);
  for (size_t i = 0; i < n; ++i) a[i * n + static_cast<size_t>(target[i])] = 1.f;
  return a;
}

TEST(ClarkDependencyHeads, GoldHeadAttentionScoresAllButRootAndNextWordEqualsOffsetBaseline) {
  // The dog chased a cat .   (heads 1-based)
  const Sentence s = sentence({"The", "dog", "chased", "a", "cat", "."}, {2, 3, 0, 5, 3, 3},
                              {"det", "nsubj", "root", "det", "obj", "punct"});
  DependencyTally tally({&s}, 1, 2);
  const DependencyGold gold = dependency_gold(s, tally);
  tally_sentence(gold, tally);
  // Head 0 attends to the gold head (the root word to itself: never predicted); head 1 to the next
  // word (the last word to itself, so its argmax falls on word 1, which is not its head).
  std::vector<float> words = one_hot_rows({1, 2, 2, 4, 2, 2});
  const auto next = one_hot_rows({1, 2, 3, 4, 5, 5});
  words.insert(words.end(), next.begin(), next.end());
  tally_layer(words.data(), 0, gold, tally);
  const int det = tally.relation_index("det"), obj = tally.relation_index("obj"), root = tally.relation_index("root");
  ASSERT_GE(det, 1);
  EXPECT_EQ(tally.count[det], 2);
  EXPECT_EQ(tally.correct_at(det, 0, 0, kDepToHead), 2);
  EXPECT_EQ(tally.correct_at(obj, 0, 0, kDepToHead), 1);
  EXPECT_EQ(tally.correct_at(root, 0, 0, kDepToHead), 0);
  EXPECT_EQ(tally.correct_at(0, 0, 0, kDepToHead), 5);  // all: 6 words, the root is wrong
  // Next-word head == the +1 offset baseline, relation by relation.
  const int plus_one = 3;
  ASSERT_EQ(kOffsets[plus_one], 1);
  for (size_t r = 0; r < tally.relations.size(); ++r)
    EXPECT_EQ(tally.correct_at(static_cast<int>(r), 0, 1, kDepToHead), tally.baseline[r * kNumOffsets + plus_one])
        << tally.relations[r];
  EXPECT_EQ(tally.baseline[0 * kNumOffsets + plus_one], 3);  // The→dog, dog→chased, a→cat
  // Transposed direction of head 0: for dependent i, the word that attends most to i (diagonal
  // read as 0, ties and all-zero columns to the first word, as numpy's argmax in the notebook):
  // The: column 0 all zero -> The itself (word 1), gold 2: wrong.  dog: The attends to it -> 1, gold 3:
  // wrong.  chased: dog, cat and '.' attend to it -> dog (2), gold 0: wrong.  a: column all zero -> 1,
  // gold 5: wrong.  cat: a -> 4, gold 3: wrong.  '.': all zero -> 1, gold 3: wrong.
  EXPECT_EQ(tally.correct_at(0, 0, 0, kHeadToDep), 0);
  // Head 1 transposed: column i holds word i-1 (it attends to its next word): prediction = word i-1,
  // 1-based i; The: zero column -> The (1) wrong; dog -> The (1) wrong; chased -> dog (2) wrong;
  // a -> chased (3) wrong; cat -> a (4) wrong; '.' -> cat (5), and '.' itself (diagonal, read as 0)
  // -> cat: gold 3, wrong. None is right; a word attended by its own dependent would be.
  EXPECT_EQ(tally.correct_at(0, 0, 1, kHeadToDep), 0);
}

TEST(ClarkDependencyHeads, PossessiveRuleScoresTheNextWordsPrediction) {
  const Sentence s = sentence({"John", "'s", "dog", "barks"}, {3, 1, 4, 0}, {"nmod:poss", "case", "nsubj", "root"});
  DependencyTally tally({&s}, 1, 1);
  const DependencyGold gold = dependency_gold(s, tally);
  tally_sentence(gold, tally);
  // John -> barks (wrong by itself), 's -> dog (John's gold head): the rule makes John correct.
  const auto a = one_hot_rows({3, 2, 3, 2});
  tally_layer(a.data(), 0, gold, tally);
  EXPECT_EQ(tally.correct_at(tally.relation_index("nmod:poss"), 0, 0, kDepToHead), 1);
  EXPECT_EQ(tally.correct_at(tally.relation_index("case"), 0, 0, kDepToHead), 0);
  // Without the following 's the rule does not apply.
  const Sentence t = sentence({"John", "dog", "barks"}, {2, 3, 0}, {"nmod:poss", "nsubj", "root"});
  DependencyTally tally2({&t}, 1, 1);
  const DependencyGold gold2 = dependency_gold(t, tally2);
  const auto b = one_hot_rows({2, 2, 1});
  tally_layer(b.data(), 0, gold2, tally2);
  EXPECT_EQ(tally2.correct_at(tally2.relation_index("nmod:poss"), 0, 0, kDepToHead), 0);
}

TEST(ClarkDependencyHeads, PossessiveRuleAppliesToTheOffsetBaselinesToo) {
  // Clark's evaluate_predictor scores the offset baselines with the same substitution as the heads.
  // "John 's dog barks": John (nmod:poss, gold 3). Offset +1 for John predicts 's (2): wrong by
  // itself; the rule scores the +1 prediction for 's instead, dog (3): right. Offset -1 for John
  // predicts ROOT; for 's it predicts John (1): wrong either way.
  const Sentence s = sentence({"John", "'s", "dog", "barks"}, {3, 1, 4, 0}, {"nmod:poss", "case", "nsubj", "root"});
  DependencyTally tally({&s}, 1, 1);
  tally_sentence(dependency_gold(s, tally), tally);
  const int poss = tally.relation_index("nmod:poss");
  EXPECT_EQ(tally.baseline[static_cast<size_t>(poss) * kNumOffsets + 3], 1);  // k = +1
  EXPECT_EQ(tally.baseline[static_cast<size_t>(poss) * kNumOffsets + 2], 0);  // k = -1
  // +2 for 's would be barks (4): wrong; the plain +2 for John (dog) would have been right.
  EXPECT_EQ(tally.baseline[static_cast<size_t>(poss) * kNumOffsets + 4], 0);  // k = +2
  // "all" (k = +1): John (by the rule) and dog -> barks; 's -> dog is not its head (John), barks -> clamp 4.
  EXPECT_EQ(tally.baseline[0 * kNumOffsets + 3], 2);
}

TEST(ClarkDependencyHeads, OffsetBaselineClampsToRootLikeTheNotebook) {
  // Offset -3 from words 1..3 clamps to 0 = ROOT: correct for a first-word root.
  const Sentence s = sentence({"Go", "home", "now"}, {0, 1, 1}, {"root", "obj", "advmod"});
  DependencyTally tally({&s}, 1, 1);
  tally_sentence(dependency_gold(s, tally), tally);
  EXPECT_EQ(tally.baseline[tally.relation_index("root") * kNumOffsets + 0], 1);  // k = -3
  EXPECT_EQ(tally.baseline[tally.relation_index("obj") * kNumOffsets + 2], 1);   // k = -1
  EXPECT_EQ(tally.baseline[tally.relation_index("advmod") * kNumOffsets + 1], 1);  // k = -2
}

TEST(ClarkDependencyHeads, MissingGoldNamesTheSentence) {
  Sentence s = sentence({"a", "b"}, {2, -1}, {"det", "root"});
  DependencyTally tally({&s}, 1, 1);
  try {
    dependency_gold(s, tally);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("test:1: word 2 'b' has no gold head"), std::string::npos) << e.what();
  }
}

TEST(ClarkWordAttention, WordsOnlyDropsSpecialUnitsAndDetectsMissingWords) {
  // Units: [CLS] w0 w1 [SEP] (U = 4), 1 head.
  std::vector<float> units(16);
  for (int i = 0; i < 16; ++i) units[static_cast<size_t>(i)] = static_cast<float>(i);
  std::vector<float> words;
  ASSERT_TRUE(words_only_attention(units, 1, {-1, 0, 1, -1}, 2, words));
  EXPECT_EQ(words, (std::vector<float>{5, 6, 9, 10}));
  EXPECT_FALSE(words_only_attention(units, 1, {-1, 0, 1, -1}, 3, words));  // word 2 has no unit
  const float row[] = {0.2f, 0.5f, 0.5f, 0.1f};
  EXPECT_EQ(argmax_skipping(row, 4, -1), 1);  // ties: lowest index
  EXPECT_EQ(argmax_skipping(row, 4, 1), 2);
  const float zeros[] = {0.f, 0.f, 0.f};
  EXPECT_EQ(argmax_skipping(zeros, 3, 0), 0);  // numpy: argmax of a zeroed row is 0, even the diagonal
}

TEST(ClarkHeadClusters, ClassicalMdsRecoversPlanarDistances) {
  const std::vector<std::pair<double, double>> points = {{0, 0}, {3, 0}, {0, 4}, {3, 4}, {1, 1}};
  const int n = static_cast<int>(points.size());
  std::vector<double> d(static_cast<size_t>(n) * n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      d[static_cast<size_t>(i) * n + j] = std::hypot(points[i].first - points[j].first, points[i].second - points[j].second);
  const auto xy = classical_mds(d, n, 2);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      EXPECT_NEAR(std::hypot(xy[i * 2] - xy[j * 2], xy[i * 2 + 1] - xy[j * 2 + 1]), d[static_cast<size_t>(i) * n + j], 1e-6);
  EXPECT_EQ(classical_mds(d, n, 2), xy);  // deterministic
  EXPECT_STREQ(head_behaviour(4.0, 0.9, 0, 0, 0, 0), "broad");
  EXPECT_STREQ(head_behaviour(1.0, 0.1, 0.6, 0, 0, 0), "prev");
  EXPECT_STREQ(head_behaviour(1.0, 0.1, 0.1, 0, 0.7, 0), "sep");
  EXPECT_STREQ(head_behaviour(1.0, 0.1, 0.1, 0.5, 0.5, 0), "other");
}

TEST(ClarkCsv, RoundTripAndErrors) {
  CsvTable t({"a", "b"});
  t.add({"1", "x"});
  EXPECT_EQ(t.str(), "a,b\n1,x\n");
  EXPECT_THROW(t.add({"1"}), InternalError);
  EXPECT_THROW(t.add({"1,2", "x"}), InternalError);
  const CsvTable back = CsvTable::parse(t.str(), "t.csv");
  EXPECT_EQ(back.rows(), t.rows());
  EXPECT_EQ(back.column("b", "t.csv"), 1u);
  EXPECT_THROW(CsvTable::parse("a,b\n1\n", "t.csv"), InputError);
  EXPECT_EQ(fixed(-0.00001, 3), "0.000");
}

}  // namespace
}  // namespace bertology
