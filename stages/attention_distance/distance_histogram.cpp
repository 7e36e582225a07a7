#include "stages/attention_distance/distance_histogram.h"

#include <cstdlib>

#include "pipeline/util/error.h"

namespace bertology {

DistanceBins::DistanceBins(std::vector<int64_t> e) : edges(std::move(e)) {
  for (size_t b = 1; b < edges.size(); ++b)
    BTL_REQUIRE(edges[b] > edges[b - 1], "attention_distance.bins: edges must be ascending, got ", edges[b - 1], " then ",
                edges[b]);
}

int DistanceBins::bin_of(int64_t distance) const {
  int b = 0;
  while (b < static_cast<int>(edges.size()) && distance > edges[static_cast<size_t>(b)]) ++b;
  return b;
}

void add_distance_histogram(const float* attention, int heads, int T, const DistanceBins& bins, double* sums) {
  const int width = bins.count() + 1;
  // The bin of each distance, once per sequence (T is at most a few hundred).
  std::vector<int> bin_of(static_cast<size_t>(T));
  for (int d = 0; d < T; ++d) bin_of[static_cast<size_t>(d)] = bins.bin_of(d);
  for (int h = 0; h < heads; ++h) {
    double* row = sums + static_cast<size_t>(h) * width;
    const float* a = attention + static_cast<size_t>(h) * T * T;
    for (int i = 0; i < T; ++i)
      for (int j = 0; j < T; ++j) {
        const double p = a[static_cast<size_t>(i) * T + j];  // [h][i][j]
        const int d = std::abs(i - j);
        row[bin_of[static_cast<size_t>(d)]] += p;
        row[width - 1] += p * d;
      }
  }
}

}  // namespace bertology
