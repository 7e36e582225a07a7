// 8-bit attention maps for the viewer page: one scale per map, decoded in the browser.
//
// A map of n values a >= 0 (one head's [T, T] probabilities) is stored as q = round(a / s) in
// uint8 with s = max(a) / 255 (s = 0 for an all-zero map), so that the largest weight of every
// head keeps full resolution and each value comes back within half a step: |a - q s| <= s / 2.
// Negative or non-finite input is an internal error (attention probabilities are in [0, 1]).
#pragma once

#include <cstdint>

namespace bertology {

/// Quantises a[0..n) into q[0..n); returns the scale s (see the file comment).
float quantize_map(const float* a, int64_t n, uint8_t* q);

/// The inverse: a[i] = q[i] * scale.
void dequantize_map(const uint8_t* q, int64_t n, float scale, float* a);

}  // namespace bertology
