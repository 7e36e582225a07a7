#include "pipeline/stage/seed_tables.h"

#include "pipeline/stage/stage_context.h"
#include "pipeline/util/percent.h"

namespace bertology {

namespace {
std::vector<std::string> with(std::vector<std::string> columns, const std::vector<std::string>& more) {
  columns.insert(columns.end(), more.begin(), more.end());
  return columns;
}
}  // namespace

SeedTables::SeedTables(const std::vector<std::string>& key_columns)
    : runs_(with(key_columns, {"layer", "run", "correct", "count", "accuracy"})),
      summary_(with(key_columns, {"layer", "mean", "sd", "runs"})) {}

void SeedTables::add(const std::vector<std::string>& key, int64_t layer, const std::vector<std::pair<double, double>>& runs) {
  std::vector<double> accuracies;
  for (size_t s = 0; s < runs.size(); ++s) {
    const auto [correct, count] = runs[s];
    const double accuracy = percent(correct, count);
    accuracies.push_back(accuracy);
    runs_.add(with(key, {std::to_string(layer), std::to_string(s), std::to_string(static_cast<int64_t>(correct)),
                         std::to_string(static_cast<int64_t>(count)), fixed(accuracy, 4)}));
  }
  const MeanSd m = mean_sd(accuracies);
  summary_.add(with(key, {std::to_string(layer), fixed(m.mean, 4), fixed(m.sd, 4), std::to_string(runs.size())}));
}

}  // namespace bertology
