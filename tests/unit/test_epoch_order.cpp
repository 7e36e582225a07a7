// shuffle_epoch (pipeline/stage/epoch_order.h): `full` is std::shuffle of the previous order (the
// numbers of every probe before probe.shuffle existed); `blocks` is a permutation in which each
// block's items are consecutive, the blocks and the items within them reordered, from the seed alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "pipeline/stage/epoch_order.h"

namespace bertology {
namespace {

std::vector<int64_t> iota_order(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), int64_t{0});
  return v;
}

TEST(EpochOrder, FullIsTheStandardShuffleOfThePreviousOrder) {
  std::vector<int64_t> ours = iota_order(1000), standard = ours;
  std::mt19937_64 a(1234), b(1234);
  for (int epoch = 0; epoch < 3; ++epoch) {
    shuffle_epoch(ours, EpochShuffle{}, a);
    std::shuffle(standard.begin(), standard.end(), b);
    EXPECT_EQ(ours, standard) << "epoch " << epoch;
  }
}

TEST(EpochOrder, BlocksKeepEachBlocksItemsTogetherAndShuffleBothLevels) {
  const int64_t n = 1003, block = 100;  // 11 blocks, the last of 3 items
  std::vector<int64_t> order = iota_order(n);
  std::mt19937_64 rng(7);
  shuffle_epoch(order, EpochShuffle{"blocks", block}, rng);
  std::vector<int64_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, iota_order(n)) << "not a permutation";
  // Runs of one block: the block of each position changes only at block boundaries, and each
  // block forms exactly one run of its full size.
  std::vector<int64_t> run_blocks, run_lengths;
  for (size_t k = 0; k < order.size(); ++k) {
    const int64_t b = order[k] / block;
    if (run_blocks.empty() || run_blocks.back() != b) run_blocks.push_back(b), run_lengths.push_back(0);
    run_lengths.back() += 1;
  }
  ASSERT_EQ(run_blocks.size(), 11u);
  EXPECT_EQ(std::set<int64_t>(run_blocks.begin(), run_blocks.end()).size(), 11u);
  for (size_t r = 0; r < run_blocks.size(); ++r)
    EXPECT_EQ(run_lengths[r], run_blocks[r] == 10 ? 3 : block) << "block " << run_blocks[r];
  EXPECT_NE(run_blocks, iota_order(11)) << "blocks not reordered";
  // Within the first run, the items are not in storage order.
  EXPECT_FALSE(std::is_sorted(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(run_lengths[0])));
}

TEST(EpochOrder, BlocksComeFromTheSeedAloneAndChangeEachEpoch) {
  std::vector<size_t> a(500), b(500);
  std::iota(a.begin(), a.end(), size_t{0});
  std::iota(b.begin(), b.end(), size_t{0});
  std::mt19937_64 ra(3), rb(3);
  const EpochShuffle blocks{"blocks", 64};
  shuffle_epoch(a, blocks, ra);
  shuffle_epoch(b, blocks, rb);
  EXPECT_EQ(a, b);
  const std::vector<size_t> first = a;
  shuffle_epoch(a, blocks, ra);
  EXPECT_NE(a, first);
  // One block holding everything: a shuffle within it, every item present.
  std::vector<int64_t> one = iota_order(10);
  shuffle_epoch(one, EpochShuffle{"blocks", 1000}, ra);
  std::sort(one.begin(), one.end());
  EXPECT_EQ(one, iota_order(10));
  EXPECT_THROW(shuffle_epoch(one, EpochShuffle{"sideways", 4}, ra), std::exception);
}

}  // namespace
}  // namespace bertology
