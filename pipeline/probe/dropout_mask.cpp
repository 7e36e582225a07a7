#include "pipeline/probe/dropout_mask.h"

#include <cmath>

#include "pipeline/util/error.h"

namespace bertology {
namespace {

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/// splitmix64 (Steele, Lea & Flood 2014): spreads one seed over xoshiro's 256-bit state.
uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

DropoutMask::DropoutMask(uint64_t seed) {
  for (uint64_t& word : s_) word = splitmix64(seed);
}

uint64_t DropoutMask::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

torch::Tensor DropoutMask::mask(at::IntArrayRef shape, double p) {
  BTL_CHECK(p >= 0.0 && p < 1.0, "dropout probability ", p, " outside [0, 1)");
  auto m = torch::empty(shape, torch::kFloat);
  float* out = m.data_ptr<float>();
  const int64_t n = m.numel();
  // Keep when a uniform 32-bit u < threshold: probability threshold / 2³² = 1 − p to 2⁻³³.
  const uint64_t threshold = static_cast<uint64_t>(std::llround((1.0 - p) * 4294967296.0));
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  int64_t i = 0;
  for (; i + 1 < n; i += 2) {
    const uint64_t r = next();
    out[i] = (r & 0xffffffffULL) < threshold ? scale : 0.0f;
    out[i + 1] = (r >> 32) < threshold ? scale : 0.0f;
  }
  if (i < n) out[i] = (next() & 0xffffffffULL) < threshold ? scale : 0.0f;
  return m;
}

torch::Tensor DropoutMask::apply(const torch::Tensor& x, double p) {
  if (p == 0.0) return x;
  return x * mask(x.sizes(), p).to(x.options());  // no copy when x is CPU float
}

}  // namespace bertology
