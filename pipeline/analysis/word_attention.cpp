#include "pipeline/analysis/word_attention.h"

#include <cstddef>

namespace bertology {

bool words_only_attention(const std::vector<float>& units, int heads, const std::vector<int32_t>& unit_word_ids,
                          int num_words, std::vector<float>& words_out) {
  const int U = static_cast<int>(unit_word_ids.size());
  std::vector<int> unit_of_word(static_cast<std::size_t>(num_words), -1);
  for (int u = 0; u < U; ++u) {
    const int w = unit_word_ids[static_cast<std::size_t>(u)];
    if (w >= 0 && w < num_words) unit_of_word[static_cast<std::size_t>(w)] = u;
  }
  for (int u : unit_of_word)
    if (u < 0) return false;
  const int n = num_words;
  words_out.assign(static_cast<std::size_t>(heads) * n * n, 0.f);
  for (int h = 0; h < heads; ++h)
    for (int i = 0; i < n; ++i) {
      const float* src = units.data() + (static_cast<int64_t>(h) * U + unit_of_word[static_cast<std::size_t>(i)]) * U;
      float* dst = words_out.data() + (static_cast<int64_t>(h) * n + i) * n;
      for (int j = 0; j < n; ++j) dst[j] = src[unit_of_word[static_cast<std::size_t>(j)]];
    }
  return true;
}

int argmax_skipping(const float* values, int n, int skip, int64_t stride) {
  if (n <= 0) return -1;
  int best = 0;
  float best_value = skip == 0 ? 0.f : values[0];
  for (int j = 1; j < n; ++j) {
    const float v = j == skip ? 0.f : values[j * stride];
    if (v > best_value) {
      best = j;
      best_value = v;
    }
  }
  return best;
}

}  // namespace bertology
