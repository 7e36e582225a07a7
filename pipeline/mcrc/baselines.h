// Simple baselines of Si et al. 2019 Table 3 (REPLICATION.md §3.3): random guessing and always
// picking the longest option, plus accuracy counting. Torch-free.
//
// Option length is counted in words (split_words() of attacks.h: whitespace runs); the paper does
// not give the unit. Accuracies are percentages, as in the paper's tables.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "pipeline/mcrc/mc_example.h"

namespace bertology {

/// Words of an option.
int option_words(std::string_view option);
/// Index of the option with the most words; ties go to the first; -1 when there are no options.
int longest_option(const McExample& example);
/// Expected accuracy (%) of uniform guessing: 100 / num_options. InputError when num_options < 1.
double random_baseline(int num_options);
/// Expected accuracy (%) of uniform guessing on a set: the mean of 100 / #options over the
/// examples (equals random_baseline(n) when all have n options); 0 for an empty set.
double random_baseline(const std::vector<McExample>& examples);

/// Predictions equal to the example's answer. InputError when the sizes differ or an example has
/// no valid answer index (unlabelled data cannot be scored).
int64_t count_correct(const std::vector<McExample>& examples, const std::vector<int>& predictions);
/// percent(correct, total): NaN when total is 0 (pipeline/util/percent.h).
double accuracy_percent(int64_t correct, int64_t total);
/// longest_option() of every example.
std::vector<int> longest_predictions(const std::vector<McExample>& examples);
/// Accuracy (%) of the longest baseline on a set.
double longest_baseline(const std::vector<McExample>& examples);

}  // namespace bertology
