// The structural-probe and scalar-mix metrics (pipeline/probe/tree_metrics.h) on small trees and
// matrices whose answers are worked out by hand in the comments.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>

#include "pipeline/probe/tree_metrics.h"
#include "pipeline/util/error.h"

namespace bertology {
namespace {

using Edges = std::vector<std::pair<int, int>>;

// The running example, CoNLL heads of 6 words (index = CoNLL ID − 1):
//   w2 (index 1) is the root; w1, w3, w6 (indices 0, 2, 5) attach to w2;
//   w4, w5 (indices 3, 4) attach to w3.
const std::vector<int> kHeads = {2, 0, 2, 3, 3, 2};
// Path lengths, worked out from the picture.
const std::vector<int> kDistances = {
    0, 1, 2, 3, 3, 2,  //
    1, 0, 1, 2, 2, 1,  //
    2, 1, 0, 1, 1, 2,  //
    3, 2, 1, 0, 2, 3,  //
    3, 2, 1, 2, 0, 3,  //
    2, 1, 2, 3, 3, 0,
};

std::vector<double> to_double(const std::vector<int>& v) { return std::vector<double>(v.begin(), v.end()); }

// |i − j|: the distances of a left-to-right chain, a "predicted" tree that is partly wrong.
std::vector<double> chain_distances(int n) {
  std::vector<double> d(static_cast<size_t>(n) * n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) d[static_cast<size_t>(i) * n + j] = std::abs(i - j);
  return d;
}

// The InputError message of f(), or "" when it does not throw one.
template <typename F>
std::string input_error(F f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// A random tree on n words as CoNLL heads: each word but the root attaches to a word placed
// before it in a random order, so the result is always a tree.
std::vector<int> random_heads(int n, std::mt19937& rng) {
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<int> heads(n);
  heads[order[0]] = 0;
  for (int k = 1; k < n; ++k) heads[order[k]] = order[std::uniform_int_distribution<int>(0, k - 1)(rng)] + 1;
  return heads;
}

// ----------------------------------------------------------------------------------------------
// Gold trees

TEST(TreeMetricsTree, DistancesOfTheExampleTree) { EXPECT_EQ(tree_distances(kHeads), kDistances); }

TEST(TreeMetricsTree, DepthsOfTheExampleTree) {
  EXPECT_EQ(tree_depths(kHeads), (std::vector<int>{1, 0, 1, 2, 2, 1}));
}

TEST(TreeMetricsTree, SingleWordAndChain) {
  EXPECT_EQ(tree_distances({0}), std::vector<int>{0});
  EXPECT_EQ(tree_depths({0}), std::vector<int>{0});
  // w1 <- w2 <- w3 <- w4 with w4 the root: depths count up towards the front.
  EXPECT_EQ(tree_depths({2, 3, 4, 0}), (std::vector<int>{3, 2, 1, 0}));
  EXPECT_EQ(tree_distances({2, 3, 4, 0}), (std::vector<int>{0, 1, 2, 3, 1, 0, 1, 2, 2, 1, 0, 1, 3, 2, 1, 0}));
}

TEST(TreeMetricsTree, RandomTreesAreConsistentMetrics) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    const int n = 1 + trial % 17;
    const std::vector<int> heads = random_heads(n, rng);
    const std::vector<int> d = tree_distances(heads);
    const std::vector<int> depth = tree_depths(heads);
    const int root = static_cast<int>(std::find(heads.begin(), heads.end(), 0) - heads.begin());
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(d[i * n + root], depth[i]);
      if (heads[i]) {
        EXPECT_EQ(d[i * n + heads[i] - 1], 1);
        EXPECT_EQ(depth[i], depth[heads[i] - 1] + 1);
      }
      for (int j = 0; j < n; ++j) {
        EXPECT_EQ(d[i * n + j], d[j * n + i]);
        EXPECT_EQ(d[i * n + j] == 0, i == j);
        for (int k = 0; k < n; ++k) EXPECT_LE(d[i * n + j], d[i * n + k] + d[k * n + j]);
      }
    }
  }
}

TEST(TreeMetricsTree, InvalidTreesSayWhatIsWrong) {
  // Out of range: 2 words, head 4.
  EXPECT_NE(input_error([] { tree_distances({0, 4}); }).find("word 2 has head 4, outside 0..2"), std::string::npos);
  EXPECT_NE(input_error([] { tree_depths({-1, 0}); }).find("word 1 has head -1"), std::string::npos);
  // No root (this is also a cycle; the missing root is the clearer message).
  EXPECT_NE(input_error([] { tree_distances({2, 1}); }).find("no root"), std::string::npos);
  EXPECT_NE(input_error([] { tree_distances({}); }).find("no root"), std::string::npos);
  // Two roots: a forest, not a tree.
  EXPECT_NE(input_error([] { tree_distances({0, 1, 0}); }).find("2 roots (words 1, 3"), std::string::npos);
  // A cycle beside the root: w2 -> w3 -> w2, and w4 hangs from the cycle.
  EXPECT_NE(input_error([] { tree_distances({0, 3, 2, 2}); }).find("cycle through words 2, 3, 2"),
            std::string::npos);
  EXPECT_NE(input_error([] { tree_depths({0, 3, 2, 2}); }).find("cycle"), std::string::npos);
  // A word that is its own head.
  EXPECT_NE(input_error([] { tree_depths({0, 2}); }).find("cycle through words 2, 2"), std::string::npos);
}

// ----------------------------------------------------------------------------------------------
// Minimum spanning tree

TEST(TreeMetricsMst, HandMadeMatrix) {
  // Kruskal by hand: (0,2) w1, (1,2) w2, (2,3) w3 span all four; (0,3) w4 would close a cycle.
  const std::vector<double> d = {
      0, 5, 1, 4,  //
      5, 0, 2, 6,  //
      1, 2, 0, 3,  //
      4, 6, 3, 0,
  };
  EXPECT_EQ(minimum_spanning_tree(d, 4), (Edges{{0, 2}, {1, 2}, {2, 3}}));
}

TEST(TreeMetricsMst, TiesGoToTheLowestPair) {
  // All edges weigh 1: the star on node 0 ((0,1), (0,2), (0,3) come first lexicographically).
  std::vector<double> d(16, 1.0);
  EXPECT_EQ(minimum_spanning_tree(d, 4), (Edges{{0, 1}, {0, 2}, {0, 3}}));
  // (0,1) and (2,3) weigh 1, every other edge 2: the first weight-2 pair, (0,2), joins them.
  const std::vector<double> two = {
      0, 1, 2, 2,  //
      1, 0, 2, 2,  //
      2, 2, 0, 1,  //
      2, 2, 1, 0,
  };
  EXPECT_EQ(minimum_spanning_tree(two, 4), (Edges{{0, 1}, {2, 3}, {0, 2}}));
}

TEST(TreeMetricsMst, AsymmetricEntriesUseTheSmaller) {
  // Upper triangle says (0,1) is long, lower triangle says it is the shortest.
  const std::vector<double> d = {
      0, 9, 2,  //
      1, 0, 3,  //
      2, 3, 0,
  };
  EXPECT_EQ(minimum_spanning_tree(d, 3), (Edges{{0, 1}, {0, 2}}));
}

TEST(TreeMetricsMst, SmallAndInvalidInputs) {
  EXPECT_TRUE(minimum_spanning_tree({}, 0).empty());
  EXPECT_TRUE(minimum_spanning_tree({0.0}, 1).empty());
  EXPECT_NE(input_error([] { minimum_spanning_tree({0, 1, 1}, 2); }).find("3 entries for 2 words"),
            std::string::npos);
  EXPECT_NE(input_error([] { minimum_spanning_tree({0, NAN, NAN, 0}, 2); }).find("non-finite"), std::string::npos);
}

TEST(TreeMetricsMst, GoldDistancesGiveTheGoldTree) {
  // Tree edges weigh 1 and every other pair at least 2, so the MST is the tree itself.
  Edges gold;
  for (int i = 0; i < 6; ++i)
    if (kHeads[i]) gold.emplace_back(std::min(i, kHeads[i] - 1), std::max(i, kHeads[i] - 1));
  Edges mst = minimum_spanning_tree(to_double(kDistances), 6);
  std::sort(gold.begin(), gold.end());
  std::sort(mst.begin(), mst.end());
  EXPECT_EQ(mst, gold);
}

// ----------------------------------------------------------------------------------------------
// UUAS

TEST(TreeMetricsUuas, PlantedTreeMetricScoresAll) {
  const std::vector<bool> all(6, true);
  const UuasCount exact = uuas(to_double(kDistances), kHeads, all);
  EXPECT_EQ(exact.correct, 5);
  EXPECT_EQ(exact.total, 5);
  // Only the order matters: squared distances (what the probe predicts) score the same.
  std::vector<double> squared = to_double(kDistances);
  for (double& x : squared) x *= x;
  EXPECT_EQ(uuas(squared, kHeads, all).correct, 5);
}

TEST(TreeMetricsUuas, PlantedTreeWithNoiseOnRandomTrees) {
  // Noise below 0.4 keeps tree edges (≤ 1.4) lighter than any other pair (≥ 1.6), so the
  // predicted MST is still the gold tree.
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> noise(-0.4, 0.4);
  for (int trial = 0; trial < 30; ++trial) {
    const int n = 2 + trial;
    const std::vector<int> heads = random_heads(n, rng);
    std::vector<double> d = to_double(tree_distances(heads));
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) d[i * n + j] = d[j * n + i] = d[i * n + j] + noise(rng);
    const UuasCount c = uuas(d, heads, std::vector<bool>(n, true));
    EXPECT_EQ(c.correct, n - 1) << "n = " << n;
    EXPECT_EQ(c.total, n - 1);
  }
}

TEST(TreeMetricsUuas, ChainPredictionScoresByHand) {
  // Predicted chain 0-1-2-3-4-5 against gold edges (0,1) (1,2) (2,3) (2,4) (1,5):
  // (0,1) (1,2) (2,3) are right, (3,4) (4,5) wrong: 3 of 5.
  const UuasCount c = uuas(chain_distances(6), kHeads, std::vector<bool>(6, true));
  EXPECT_EQ(c.correct, 3);
  EXPECT_EQ(c.total, 5);
}

TEST(TreeMetricsUuas, PunctuationLeafIsLeftOut) {
  // w6 (index 5, a leaf) is punctuation. Gold edges: (0,1) (1,2) (2,3) (2,4) = 4. Predicted
  // chain over 0..4: (0,1) (1,2) (2,3) right, (3,4) wrong.
  const std::vector<bool> keep = {true, true, true, true, true, false};
  const UuasCount c = uuas(chain_distances(6), kHeads, keep);
  EXPECT_EQ(c.correct, 3);
  EXPECT_EQ(c.total, 4);
}

TEST(TreeMetricsUuas, InternalPunctuationUsesTheGoldMst) {
  // w3 (index 2, the head of indices 3 and 4) is punctuation. Kept: 0 1 3 4 5. Gold distances
  // among them: (0,1) 1, (1,5) 1; then weight 2 in (i,j) order: (0,5) closes a cycle, (1,3)
  // and (1,4) join. Gold MST = (0,1) (1,5) (1,3) (1,4); the gold tree keeps only two of those.
  const std::vector<bool> keep = {true, true, false, true, true, true};
  // The gold distances themselves score every gold-MST edge.
  const UuasCount planted = uuas(to_double(kDistances), kHeads, keep);
  EXPECT_EQ(planted.correct, 4);
  EXPECT_EQ(planted.total, 4);
  // Chain |i − j| over kept 0 1 3 4 5: weight 1 (0,1) (3,4) (4,5), then (1,3) at 2.
  // Against the gold MST: (0,1) and (1,3) right, 2 of 4.
  const UuasCount chain = uuas(chain_distances(6), kHeads, keep);
  EXPECT_EQ(chain.correct, 2);
  EXPECT_EQ(chain.total, 4);
}

TEST(TreeMetricsUuas, NothingKeptAndBadSizes) {
  const UuasCount c = uuas(to_double(kDistances), kHeads, std::vector<bool>(6, false));
  EXPECT_EQ(c.correct, 0);
  EXPECT_EQ(c.total, 0);
  const UuasCount one = uuas({0.0}, {0}, {true});
  EXPECT_EQ(one.total, 0);
  EXPECT_NE(input_error([] { uuas(chain_distances(5), kHeads, std::vector<bool>(6, true)); })
                .find("25 entries for 6 words"),
            std::string::npos);
  EXPECT_NE(input_error([] { uuas(chain_distances(6), kHeads, std::vector<bool>(5, true)); }).find("keep mask"),
            std::string::npos);
  EXPECT_NE(input_error([] { uuas(chain_distances(2), {0, 0}, {true, true}); }).find("2 roots"), std::string::npos);
}

// ----------------------------------------------------------------------------------------------
// Spearman

TEST(TreeMetricsSpearman, NoTiesMatchesTheRankDifferenceFormula) {
  // d = rank differences (−1, 1, −1, 1, 0), Σd² = 4: rho = 1 − 6·4 / (5·24) = 0.8.
  EXPECT_NEAR(spearman({1, 2, 3, 4, 5}, {2, 1, 4, 3, 5}), 0.8, 1e-12);
  // Any increasing transform is a perfect correlation; reversing it is −1.
  EXPECT_NEAR(spearman({0.1, 0.5, 2, 7}, {std::exp(0.1), std::exp(0.5), std::exp(2), std::exp(7)}), 1.0, 1e-12);
  EXPECT_NEAR(spearman({1, 2, 3, 4}, {9, 3, 2, -5}), -1.0, 1e-12);
}

TEST(TreeMetricsSpearman, TiesGetAverageRanks) {
  // b = (5, 6, 7, 8, 7) has ranks (1, 2, 3.5, 5, 3.5). Centered: a (−2, −1, 0, 1, 2),
  // b (−2, −1, .5, 2, .5): Σxy = 8, Σx² = 10, Σy² = 9.5, rho = 8 / √95 = 0.8207826816681233
  // (scipy.stats.spearmanr gives the same).
  EXPECT_NEAR(spearman({1, 2, 3, 4, 5}, {5, 6, 7, 8, 7}), 8 / std::sqrt(95.0), 1e-12);
  EXPECT_NEAR(spearman({1, 2, 3, 4, 5}, {5, 6, 7, 8, 7}), 0.8207826816681233, 1e-12);
  // Ranks (1.5, 1.5, 3.5, 3.5) and (1.5, 3.5, 1.5, 3.5) are orthogonal once centered.
  EXPECT_NEAR(spearman({1, 1, 2, 2}, {1, 2, 1, 2}), 0.0, 1e-12);
}

TEST(TreeMetricsSpearman, ConstantShortAndNaNInputs) {
  EXPECT_TRUE(std::isnan(spearman({3, 3, 3}, {1, 2, 3})));
  EXPECT_TRUE(std::isnan(spearman({1, 2, 3}, {0, 0, 0})));
  EXPECT_TRUE(std::isnan(spearman({1}, {2})));
  EXPECT_TRUE(std::isnan(spearman({}, {})));
  EXPECT_TRUE(std::isnan(spearman({1, NAN, 3}, {1, 2, 3})));
  EXPECT_NE(input_error([] { spearman({1, 2}, {1, 2, 3}); }).find("different sizes 2 and 3"), std::string::npos);
}

TEST(TreeMetricsSpearman, DistanceRowsOfASentence) {
  // w1 <- w2 -> w3: gold rows (0 1 2) (1 0 1) (2 1 0).
  const std::vector<int> heads = {2, 0, 2};
  const std::vector<double> pred = {
      0, 1, 3,  //
      1, 0, 2,  //
      3, 2, 0,
  };
  const std::vector<bool> all(3, true);
  // With the word itself (Hewitt): rows 0 and 2 are in gold order (rho 1). Row 1: gold ranks
  // (2.5, 1, 2.5), predicted (2, 1, 3); centered (.5, −1, .5) and (0, −1, 1): 1.5 / √(1.5·2).
  const std::vector<double> with_self = distance_spearman_of_sentence(pred, heads, all);
  ASSERT_EQ(with_self.size(), 3u);
  EXPECT_NEAR(with_self[0], 1.0, 1e-12);
  EXPECT_NEAR(with_self[1], 1.5 / std::sqrt(3.0), 1e-12);
  EXPECT_NEAR(with_self[2], 1.0, 1e-12);
  // Without it, word 1's gold distances to the others are (1, 1): constant, NaN.
  const std::vector<double> others = distance_spearman_of_sentence(pred, heads, all, false);
  ASSERT_EQ(others.size(), 3u);
  EXPECT_NEAR(others[0], 1.0, 1e-12);
  EXPECT_TRUE(std::isnan(others[1]));
  EXPECT_NEAR(others[2], 1.0, 1e-12);
}

TEST(TreeMetricsSpearman, DistanceRowsSkipLeftOutWords) {
  // Row 1 over all words: gold (1, 0, 1), predicted (5, 0, 2): ranks (2.5, 1, 2.5) and
  // (3, 1, 2), rho = 1.5 / √(1.5·2). Leaving word 0 out, row 1 is gold (0, 1) vs (0, 2): 1.
  const std::vector<int> heads = {2, 0, 2};
  const std::vector<double> pred = {
      0, 5, 1,  //
      5, 0, 2,  //
      1, 2, 0,
  };
  EXPECT_NEAR(distance_spearman_of_sentence(pred, heads, {true, true, true})[1], 1.5 / std::sqrt(3.0), 1e-12);
  const std::vector<double> kept = distance_spearman_of_sentence(pred, heads, {false, true, true});
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_NEAR(kept[0], 1.0, 1e-12);
  EXPECT_NEAR(kept[1], 1.0, 1e-12);
  // A planted tree metric correlates perfectly in every row.
  for (double rho : distance_spearman_of_sentence(to_double(kDistances), kHeads, std::vector<bool>(6, true)))
    EXPECT_NEAR(rho, 1.0, 1e-12);
}

TEST(TreeMetricsSpearman, LengthAveraging) {
  LengthAveragedSpearman avg;
  avg.add(5, 0.2);
  avg.add(5, 0.4);   // length 5: 0.3
  avg.add(6, 1.0);   // length 6: 1.0
  avg.add(6, NAN);   // skipped
  avg.add(4, 0.9);   // outside 5..50
  avg.add(51, -1.0); // outside 5..50
  avg.add(7, NAN);   // a length with only NaN has no data
  // Lengths weigh the same: (0.3 + 1.0) / 2, not the pooled (0.2 + 0.4 + 1.0) / 3.
  EXPECT_NEAR(avg.mean(), 0.65, 1e-12);
  EXPECT_NEAR(avg.mean(4, 6), (0.9 + 0.3 + 1.0) / 3, 1e-12);
  EXPECT_TRUE(std::isnan(avg.mean(7, 7)));
  EXPECT_TRUE(std::isnan(avg.mean(8, 50)));
  const std::map<int, double> per_length = avg.per_length_means();
  ASSERT_EQ(per_length.size(), 4u);
  EXPECT_NEAR(per_length.at(4), 0.9, 1e-12);
  EXPECT_NEAR(per_length.at(5), 0.3, 1e-12);
  EXPECT_NEAR(per_length.at(6), 1.0, 1e-12);
  EXPECT_NEAR(per_length.at(51), -1.0, 1e-12);

  // Merging adds rhos to the buckets: length 5 becomes (0.2 + 0.4 + 0.9) / 3 = 0.5.
  LengthAveragedSpearman other;
  other.add(5, 0.9);
  avg.merge(other);
  EXPECT_NEAR(avg.mean(), (0.5 + 1.0) / 2, 1e-12);
  EXPECT_NE(input_error([&] { avg.add(0, 0.5); }).find("sentence length 0"), std::string::npos);
}

// ----------------------------------------------------------------------------------------------
// Depth probe

TEST(TreeMetricsRoot, LeastDeepKeptWord) {
  const std::vector<double> depth = {0.5, 0.1, 0.3, 0.1};
  EXPECT_EQ(least_deep(depth, {true, true, true, true}), 1);     // tie: lowest index
  EXPECT_EQ(least_deep(depth, {true, false, true, true}), 3);    // word 1 is punctuation
  EXPECT_EQ(least_deep(depth, {true, false, true, false}), 2);
  EXPECT_EQ(least_deep(depth, {false, false, false, false}), 1); // nothing kept: plain argmin
  EXPECT_EQ(least_deep({-2.0}, {true}), 0);
  EXPECT_NE(input_error([] { least_deep({1, NAN}, {true, true}); }).find("word 2 is NaN"), std::string::npos);
  EXPECT_NE(input_error([] { least_deep({1, 2}, {true}); }).find("keep mask"), std::string::npos);
  EXPECT_NE(input_error([] { least_deep({}, {}); }).find("no words"), std::string::npos);
  // Root accuracy on the example tree: gold depths put the root (index 1) first.
  const std::vector<int> gold = tree_depths(kHeads);
  EXPECT_EQ(least_deep(std::vector<double>(gold.begin(), gold.end()), std::vector<bool>(6, true)), 1);
}

// ----------------------------------------------------------------------------------------------
// Scalar mix

TEST(TreeMetricsScalarMix, CenterOfGravity) {
  // 0·.1 + 1·.2 + 2·.3 + 3·.4 = 2.
  EXPECT_NEAR(center_of_gravity({0.1, 0.2, 0.3, 0.4}), 2.0, 1e-12);
  // Unnormalised weights are divided by their sum: (2 + 6 + 12) / 10 = 2.
  EXPECT_NEAR(center_of_gravity({1, 2, 3, 4}), 2.0, 1e-12);
  std::vector<double> one_hot(13, 0.0);
  one_hot[7] = 1;
  EXPECT_NEAR(center_of_gravity(one_hot), 7.0, 1e-12);
  EXPECT_NEAR(center_of_gravity(std::vector<double>(13, 1.0 / 13)), 6.0, 1e-12);
  EXPECT_NE(input_error([] { center_of_gravity({}); }).find("no layer weights"), std::string::npos);
  EXPECT_NE(input_error([] { center_of_gravity({0.5, -0.1, 0.6}); }).find("weight of layer 1"), std::string::npos);
  EXPECT_NE(input_error([] { center_of_gravity({0, 0}); }).find("all layer weights are 0"), std::string::npos);
}

TEST(TreeMetricsScalarMix, ExpectedLayer) {
  // Scores .5 .6 .9 .8 1.0: Δ = (.1, .3, −.1, .2) for l = 1..4. Σ l·Δ = .1 + .6 − .3 + .8 = 1.2,
  // Σ Δ = .5: 2.4. Clipping Δ at 0 would give 1.5 / .6 = 2.5 instead.
  EXPECT_NEAR(expected_layer({0.5, 0.6, 0.9, 0.8, 1.0}), 2.4, 1e-12);
  // All the gain at layer 3.
  EXPECT_NEAR(expected_layer({0, 0, 0, 1, 1}), 3.0, 1e-12);
  // Σ Δ = 0 (equal end scores, or a single score): NaN.
  EXPECT_TRUE(std::isnan(expected_layer({0.5, 0.7, 0.5})));
  EXPECT_TRUE(std::isnan(expected_layer({0.5})));
  EXPECT_NE(input_error([] { expected_layer({}); }).find("no cumulative scores"), std::string::npos);
  EXPECT_NE(input_error([] { expected_layer({0.1, INFINITY}); }).find("layer 1"), std::string::npos);
}

}  // namespace
}  // namespace bertology
