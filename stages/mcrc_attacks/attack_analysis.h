// The analyses of Si et al. (2019) §5.3 on attack results, torch-free (unit-tested with hand
// computed values in tests/unit/test_attack_analysis.cpp):
//  - percentage performance change of an attack: 100 (acc_attacked - acc_original) / acc_original;
//  - correlation, over attacks, of that change with the percentage change of the mean option
//    length (the paper: -0.43 across all attacks and datasets; -0.64 MCScript, -0.40 RACE-M);
//  - correlation of the change with ShuffleDegree and with answer length: questions are put into
//    `bins` groups of (nearly) equal size by the quantity (ties kept together in sorted order,
//    sorted by the value then by position), each group's change is computed from its questions'
//    original and attacked correctness, and the Pearson correlation is taken over the groups'
//    (mean value, change) points. The paper reports such correlations (e.g. -0.90 with
//    ShuffleDegree on MCScript) without saying how questions were grouped; this grouping is ours.
#pragma once

#include <cstdint>
#include <vector>

#include "pipeline/probe/tree_metrics.h"  // pearson

namespace bertology {

/// 100 (attacked - original) / original; NaN when original is 0.
double percent_change(double original, double attacked);

/// One group of questions of a binned analysis.
struct ChangeBin {
  double mean_value = 0.0;      ///< mean of the binned quantity over the group
  int64_t questions = 0;
  double original_accuracy = 0.0;  ///< percent
  double attacked_accuracy = 0.0;  ///< percent
  double change_percent = 0.0;     ///< percent_change(original, attacked)
};

/// Splits questions into `bins` groups by `value` (see the file comment) and measures each group.
/// The three vectors are parallel (one entry per question; correctness 0/1).
std::vector<ChangeBin> change_by_bins(const std::vector<double>& value, const std::vector<int>& original_correct,
                                      const std::vector<int>& attacked_correct, int bins);

/// pearson over the bins' (mean_value, change_percent), skipping bins whose change is NaN.
double bin_correlation(const std::vector<ChangeBin>& bins);

}  // namespace bertology
