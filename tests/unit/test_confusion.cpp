// Lin et al.'s confusion score on hand-made attention.
#include <gtest/gtest.h>

#include <cmath>

#include "pipeline/util/error.h"
#include "stages/confusion_score/confusion.h"

namespace bertology {
namespace {

TEST(ConfusionScore, HandComputedFourWordSentence) {
  // "the cat near dogs"-like: source word 3 attends 0.3 to "the", 0.3 to "cat", 0.1 to "near",
  // 0.3 to itself. Groups: subject {0, 1}, distractor {2}.
  // p(subject) = 0.6 / (0.6 + 0.1) = 6/7, CS = -log2(6/7).
  const float a[16] = {1, 0, 0, 0,  0, 1, 0, 0,  0, 0, 1, 0,  0.3f, 0.3f, 0.1f, 0.3f};
  EXPECT_NEAR(confusion_score(a, 4, 3, {{0, 1}, {2}}), -std::log2(6.0 / 7.0), 1e-6);
  // Uniform attention over two one-word candidates: CS = 1 bit (the uniform reference).
  const float u[4] = {0.5f, 0.5f, 0.5f, 0.5f};
  EXPECT_NEAR(confusion_score(u, 2, 1, {{0}, {1}}), 1.0, 1e-9);
  // Three equal candidates: log2(3).
  const float t[9] = {0, 0, 0, 0, 0, 0, 1.f / 3, 1.f / 3, 1.f / 3};
  EXPECT_NEAR(confusion_score(t, 3, 2, {{0}, {1}, {2}}), std::log2(3.0), 1e-6);
  // No attention to any candidate: undefined.
  EXPECT_TRUE(std::isnan(confusion_score(u, 2, 1, {})));
}

TEST(ConfusionScore, IndexGroupsAreRunsOfConsecutiveWords) {
  EXPECT_EQ(index_groups("5 6 9 10 ", "f:1"), (std::vector<std::vector<int>>{{5, 6}, {9, 10}}));
  EXPECT_EQ(index_groups("0 1", "f:1"), (std::vector<std::vector<int>>{{0, 1}}));
  EXPECT_TRUE(index_groups("", "f:1").empty());
  try {
    index_groups("3 x", "data/agr.4:7");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "data/agr.4:7: bad word index 'x'");
  }
}

}  // namespace
}  // namespace bertology
