// How far each head looks: the attention mass at each query-key distance |i - j|, in bins.
#pragma once

#include <cstdint>
#include <vector>

namespace bertology {

/// Bins of |i - j| from ascending upper edges: bin 0 = distance 0 .. edges[0], bin b =
/// edges[b-1]+1 .. edges[b], and a last bin for everything beyond edges.back() (edges.size() + 1
/// bins). Edges must be ascending and >= 0 (checked by the config row: ints >= 0; InputError here
/// when not ascending).
struct DistanceBins {
  explicit DistanceBins(std::vector<int64_t> edges);
  int count() const { return static_cast<int>(edges.size()) + 1; }
  int bin_of(int64_t distance) const;
  std::vector<int64_t> edges;
};

/// Adds one sequence's attention of one layer, `attention` = [H, T, T] (rows = query, columns =
/// key, each row sums to 1), to `sums` = [H, bins.count() + 1]: per head, the attention mass in
/// each distance bin summed over the T query rows, and in the last column the attention-weighted
/// distance Σ_j a_ij |i - j| summed over rows. Dividing by the number of query rows over all
/// sequences gives, per head, the mean mass per bin (a row of the table sums to 1) and the mean
/// distance in tokens.
void add_distance_histogram(const float* attention, int heads, int T, const DistanceBins& bins, double* sums);

}  // namespace bertology
