#include "pipeline/view/attention_quantize.h"

#include <algorithm>
#include <cmath>

#include "pipeline/util/error.h"

namespace bertology {

float quantize_map(const float* a, int64_t n, uint8_t* q) {
  float max_value = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!(a[i] >= 0) || !std::isfinite(a[i]))
      throw InternalError(cat("quantize_map: value ", a[i], " at ", i, " is not a probability"));
    max_value = std::max(max_value, a[i]);
  }
  if (max_value == 0) {
    std::fill(q, q + n, uint8_t{0});
    return 0;
  }
  const float scale = max_value / 255.0f;
  for (int64_t i = 0; i < n; ++i)
    q[i] = static_cast<uint8_t>(std::min(255.0f, std::nearbyint(a[i] / scale)));
  return scale;
}

void dequantize_map(const uint8_t* q, int64_t n, float scale, float* a) {
  for (int64_t i = 0; i < n; ++i) a[i] = static_cast<float>(q[i]) * scale;
}

}  // namespace bertology
