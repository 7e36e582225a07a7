// DropoutMask (pipeline/probe/dropout_mask.h), the edge probe's dropout:
//  - its generator against a Python transcription of the xoshiro256** / splitmix64 reference C
//    (scripts/reference/xoshiro256ss.py; splitmix64's first output from 0 is the published
//    0xe220a8397b1dcdaf);
//  - the mask: values 0 or 1 / (1 − p) only, a kept fraction within 5σ of 1 − p over 10⁶ elements,
//    no correlation between the two halves of one 64-bit draw, nor between neighbours;
//  - the gradient is the mask; one seed gives one stream; p = 0 is the identity.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "pipeline/probe/dropout_mask.h"

namespace bertology {
namespace {

TEST(DropoutMask, GeneratorEqualsTheReferenceTranscription) {
  DropoutMask zero(0);
  EXPECT_EQ(zero.next(), 0x99ec5f36cb75f2b4ULL);
  EXPECT_EQ(zero.next(), 0xbf6e1f784956452aULL);
  EXPECT_EQ(zero.next(), 0x1a5f849d4933e6e0ULL);
  DropoutMask probe_seed(1234);
  EXPECT_EQ(probe_seed.next(), 0x0bab45d9a0e3ae53ULL);
  EXPECT_EQ(probe_seed.next(), 0xd7c640660c19433eULL);
}

TEST(DropoutMask, KeepsEachElementWithProbabilityOneMinusPScaledByItsInverse) {
  for (double p : {0.2, 0.3, 0.5}) {
    DropoutMask stream(7);
    const int64_t n = 1000000;
    const auto m = stream.mask({n}, p);
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    const auto kept = m.eq(scale), dropped = m.eq(0.0f);
    EXPECT_EQ((kept | dropped).sum().item<int64_t>(), n) << "values other than 0 and 1/(1-p)";
    const double q = 1.0 - p, sigma = std::sqrt(p * q / static_cast<double>(n));
    const double fraction = kept.to(torch::kDouble).mean().item<double>();
    EXPECT_NEAR(fraction, q, 5 * sigma) << "p " << p;
    // Pairs (2k, 2k+1) share one 64-bit draw; (2k+1, 2k+2) are neighbouring draws.
    const auto k = kept.to(torch::kDouble);
    for (int64_t offset : {0, 1}) {
      const auto a = k.slice(0, offset, n - 1, 2), b = k.slice(0, offset + 1, n, 2);
      const double both = (a * b).mean().item<double>();
      EXPECT_NEAR(both, q * q, 5 * std::sqrt(q * q * (1 - q * q) / static_cast<double>(a.numel())))
          << "p " << p << " offset " << offset;
    }
  }
}

TEST(DropoutMask, GradientIsTheMaskAndOneSeedGivesOneStream) {
  auto x = torch::randn({64, 33}, torch::requires_grad());
  DropoutMask a(99), b(99), c(100);
  const auto y = a.apply(x, 0.25);
  y.sum().backward();
  const auto m = b.mask({64, 33}, 0.25);
  EXPECT_TRUE(torch::equal(x.grad(), m));
  EXPECT_TRUE(torch::allclose(y, x * m));
  EXPECT_FALSE(torch::equal(c.mask({64, 33}, 0.25), m));
  EXPECT_TRUE(torch::equal(DropoutMask(5).apply(x, 0.0), x));
  EXPECT_THROW(DropoutMask(5).mask({4}, 1.0), std::exception);
}

}  // namespace
}  // namespace bertology
