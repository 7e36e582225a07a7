// The attention_distance stage's computation on a hand-computed example.
#include <gtest/gtest.h>

#include "pipeline/util/error.h"
#include "stages/attention_distance/distance_histogram.h"

namespace bertology {
namespace {

TEST(AttentionDistance, BinsFromUpperEdges) {
  const DistanceBins bins({0, 1, 4});
  EXPECT_EQ(bins.count(), 4);
  EXPECT_EQ(bins.bin_of(0), 0);
  EXPECT_EQ(bins.bin_of(1), 1);
  EXPECT_EQ(bins.bin_of(2), 2);
  EXPECT_EQ(bins.bin_of(4), 2);
  EXPECT_EQ(bins.bin_of(5), 3);
  EXPECT_THROW(DistanceBins({2, 2}), InputError);
}

TEST(AttentionDistance, MassPerBinAndWeightedDistanceByHand) {
  // One head, T = 3, rows = query i, columns = key j:
  //   i=0: 0.5 at d0, 0.5 at d1                 -> distance 0.5
  //   i=1: 0.2 at d1 (j=0), 0.2 at d0, 0.6 at d1 -> distance 0.8
  //   i=2: 1.0 at d2                             -> distance 2.0
  const float attention[9] = {0.5f, 0.5f, 0.0f, 0.2f, 0.2f, 0.6f, 1.0f, 0.0f, 0.0f};
  const DistanceBins bins({0, 1});  // bins: d = 0, d = 1, d > 1
  std::vector<double> sums(4, 0.0);
  add_distance_histogram(attention, 1, 3, bins, sums.data());
  EXPECT_NEAR(sums[0], 0.7, 1e-7);
  EXPECT_NEAR(sums[1], 1.3, 1e-7);
  EXPECT_NEAR(sums[2], 1.0, 1e-7);
  EXPECT_NEAR(sums[3], 3.3, 1e-6);
  // A second head's sums land in its own row.
  const float two_heads[18] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0};
  std::vector<double> rows(8, 0.0);
  add_distance_histogram(two_heads, 2, 3, bins, rows.data());
  EXPECT_EQ(rows, (std::vector<double>{3, 0, 0, 0, 0, 1, 2, 5}));  // head 2: d2, d1, d2 -> 2 + 1 + 2 = 5
}

}  // namespace
}  // namespace bertology
