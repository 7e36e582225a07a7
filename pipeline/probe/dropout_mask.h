// Inverted dropout drawing its Bernoulli mask from its own random stream (xoshiro256**, Blackman &
// Vigna 2018, seeded through splitmix64). Why not torch::nn::Dropout: LibTorch's CPU bernoulli_
// draws one 64-bit number per element in a serial loop; on the edge probe's input dropout ([P, d]
// each step) that was a fifth of the step's wall time on 2 cores (perf, AMD EPYC, 2026-12-06),
// while the other thread spun. This draws 32 bits per element, two per 64-bit output.
//
//   y = x ⊙ m / (1 − p),  m_i ~ Bernoulli(1 − p) independently,
//
// where 1 − p is rounded to a multiple of 2⁻³² (keep element i when u_i < round((1 − p)·2³²),
// u_i a uniform 32-bit integer). Gradient: dy/dx = m / (1 − p), through autograd's multiply.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace bertology {

class DropoutMask {
 public:
  explicit DropoutMask(uint64_t seed);

  /// x ⊙ m / (1 − p) for any float tensor x (a new mask per call; x unchanged when p == 0).
  /// p in [0, 1).
  torch::Tensor apply(const torch::Tensor& x, double p);

  /// The mask alone: a float tensor of `shape` with values 0 or 1 / (1 − p).
  torch::Tensor mask(at::IntArrayRef shape, double p);

  /// Next raw 64-bit output (exposed for the tests' check against the published reference values).
  uint64_t next();

 private:
  uint64_t s_[4];
};

}  // namespace bertology
