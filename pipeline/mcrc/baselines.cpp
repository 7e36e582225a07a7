// Simple baselines of Si et al. 2019 (see baselines.h).
#include "pipeline/mcrc/baselines.h"

#include "pipeline/mcrc/attacks.h"
#include "pipeline/util/error.h"
#include "pipeline/util/percent.h"

namespace bertology {

int option_words(std::string_view option) { return static_cast<int>(split_words(option).size()); }

int longest_option(const McExample& example) {
  int best = -1, best_len = -1;
  for (int k = 0; k < static_cast<int>(example.options.size()); ++k) {
    const int len = option_words(example.options[k]);
    if (len > best_len) {
      best = k;
      best_len = len;
    }
  }
  return best;
}

double random_baseline(int num_options) {
  BTL_REQUIRE(num_options >= 1, "random baseline: need at least one option, got ", num_options);
  return 100.0 / num_options;
}

double random_baseline(const std::vector<McExample>& examples) {
  if (examples.empty()) return 0.0;
  double sum = 0.0;
  for (const McExample& e : examples) {
    BTL_REQUIRE(!e.options.empty(), "example '", e.id, "': no options");
    sum += random_baseline(static_cast<int>(e.options.size()));
  }
  return sum / static_cast<double>(examples.size());
}

int64_t count_correct(const std::vector<McExample>& examples, const std::vector<int>& predictions) {
  BTL_REQUIRE(examples.size() == predictions.size(), "count_correct: ", predictions.size(), " predictions for ",
              examples.size(), " examples");
  int64_t correct = 0;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const McExample& e = examples[i];
    BTL_REQUIRE(e.answer >= 0 && e.answer < static_cast<int>(e.options.size()), "example '", e.id, "': answer ",
                e.answer, " is not an option index (", e.options.size(), " options)");
    if (predictions[i] == e.answer) ++correct;
  }
  return correct;
}

double accuracy_percent(int64_t correct, int64_t total) {
  return percent(static_cast<double>(correct), static_cast<double>(total));
}

std::vector<int> longest_predictions(const std::vector<McExample>& examples) {
  std::vector<int> out;
  out.reserve(examples.size());
  for (const McExample& e : examples) out.push_back(longest_option(e));
  return out;
}

double longest_baseline(const std::vector<McExample>& examples) {
  return accuracy_percent(count_correct(examples, longest_predictions(examples)),
                          static_cast<int64_t>(examples.size()));
}

}  // namespace bertology
