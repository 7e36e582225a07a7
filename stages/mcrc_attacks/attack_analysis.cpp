#include "pipeline/util/percent.h"
#include "stages/mcrc_attacks/attack_analysis.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace bertology {

double percent_change(double original, double attacked) {
  return original == 0 ? NAN : 100.0 * (attacked - original) / original;
}

std::vector<ChangeBin> change_by_bins(const std::vector<double>& value, const std::vector<int>& original_correct,
                                      const std::vector<int>& attacked_correct, int bins) {
  const size_t n = value.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return value[x] < value[y]; });
  std::vector<ChangeBin> out;
  if (n == 0 || bins < 1) return out;
  size_t begin = 0;
  for (int b = 0; b < bins && begin < n; ++b) {
    size_t end = n * static_cast<size_t>(b + 1) / static_cast<size_t>(bins);
    // Keep equal values in one group: extend the group over a run of ties.
    while (end < n && end > begin && value[order[end]] == value[order[end - 1]]) ++end;
    if (end <= begin) continue;
    ChangeBin bin;
    int64_t orig = 0, att = 0;
    for (size_t i = begin; i < end; ++i) {
      bin.mean_value += value[order[i]];
      orig += original_correct[order[i]];
      att += attacked_correct[order[i]];
    }
    bin.questions = static_cast<int64_t>(end - begin);
    bin.mean_value /= static_cast<double>(bin.questions);
    bin.original_accuracy = percent(static_cast<double>(orig), static_cast<double>(bin.questions));
    bin.attacked_accuracy = percent(static_cast<double>(att), static_cast<double>(bin.questions));
    bin.change_percent = percent_change(bin.original_accuracy, bin.attacked_accuracy);
    out.push_back(bin);
    begin = end;
  }
  return out;
}

double bin_correlation(const std::vector<ChangeBin>& bins) {
  std::vector<double> x, y;
  for (const auto& b : bins)
    if (!std::isnan(b.change_percent)) {
      x.push_back(b.mean_value);
      y.push_back(b.change_percent);
    }
  return pearson(x, y);
}

}  // namespace bertology
