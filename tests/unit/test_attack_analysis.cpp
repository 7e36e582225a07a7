// The §5.3 analyses of Si et al. (2019) on hand-computed values (stages/mcrc_attacks/attack_analysis.h).
#include <gtest/gtest.h>

#include <cmath>

#include "stages/mcrc_attacks/attack_analysis.h"

namespace bertology {
namespace {

TEST(AttackAnalysis, PercentChange) {
  EXPECT_DOUBLE_EQ(percent_change(80.0, 40.0), -50.0);
  EXPECT_DOUBLE_EQ(percent_change(50.0, 60.0), 20.0);
  EXPECT_TRUE(std::isnan(percent_change(0.0, 10.0)));
}

TEST(AttackAnalysis, BinsSplitByValueKeepTiesTogetherAndMeasureEachGroup) {
  // values 0.1 .. 0.6, two groups of three by value (input order scrambled).
  const std::vector<double> value = {0.6, 0.1, 0.5, 0.2, 0.4, 0.3};
  const std::vector<int> original = {1, 1, 1, 1, 1, 0};
  const std::vector<int> attacked = {0, 1, 0, 1, 1, 0};
  const auto bins = change_by_bins(value, original, attacked, 2);
  ASSERT_EQ(bins.size(), 2u);
  // Low group: 0.1, 0.2, 0.3 -> original 2/3, attacked 2/3: change 0.
  EXPECT_NEAR(bins[0].mean_value, 0.2, 1e-12);
  EXPECT_EQ(bins[0].questions, 3);
  EXPECT_NEAR(bins[0].original_accuracy, 200.0 / 3, 1e-9);
  EXPECT_NEAR(bins[0].change_percent, 0.0, 1e-9);
  // High group: 0.4, 0.5, 0.6 -> original 3/3, attacked 1/3: change -66.67 %.
  EXPECT_NEAR(bins[1].mean_value, 0.5, 1e-12);
  EXPECT_NEAR(bins[1].attacked_accuracy, 100.0 / 3, 1e-9);
  EXPECT_NEAR(bins[1].change_percent, -200.0 / 3, 1e-9);
  // Two points: r = -1 (the change falls as the value rises).
  EXPECT_NEAR(bin_correlation(bins), -1.0, 1e-12);

  // Ties straddling a boundary stay in one group: values 1 1 1 2 into 2 groups -> {1,1,1}, {2}.
  const auto tied = change_by_bins({1, 1, 1, 2}, {1, 1, 1, 1}, {1, 0, 1, 0}, 2);
  ASSERT_EQ(tied.size(), 2u);
  EXPECT_EQ(tied[0].questions, 3);
  EXPECT_EQ(tied[1].questions, 1);
  EXPECT_NEAR(tied[0].change_percent, -100.0 / 3, 1e-9);
  EXPECT_NEAR(tied[1].change_percent, -100.0, 1e-9);
}

TEST(AttackAnalysis, CorrelationOverAttacks) {
  // Hand-computed: x = (0, 50, 100), y = (-10, -30, -20): r = (-500) / sqrt(5000 * 200) = -0.5.
  EXPECT_NEAR(pearson({0, 50, 100}, {-10, -30, -20}), -0.5, 1e-12);
  EXPECT_TRUE(std::isnan(pearson({1, 1, 1}, {1, 2, 3})));
  // A group whose original accuracy is 0 has no change and is left out of the correlation.
  const auto bins = change_by_bins({1, 2, 3}, {0, 1, 1}, {0, 1, 0}, 3);
  ASSERT_EQ(bins.size(), 3u);
  EXPECT_TRUE(std::isnan(bins[0].change_percent));
  EXPECT_NEAR(bin_correlation(bins), -1.0, 1e-12);
}

}  // namespace
}  // namespace bertology
