// The two tables of a probing stage that trains several seeds per (task, layer): every run, and
// the mean and sample standard deviation over seeds. Shared so that token_probes, lin_probes and
// later probing stages print runs the same way.
//
//   SeedTables t({"task"});
//   t.add({"upos"}, /*layer=*/3, {{812, 1000}, {815, 1000}, {809, 1000}});   // (correct, count) per seed
//   out.write("results.csv", t.runs().str());      // task,layer,run,correct,count,accuracy
//   out.write("summary.csv", t.summary().str());   // task,layer,mean,sd,runs
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/stage/csv_table.h"

namespace bertology {

class SeedTables {
 public:
  /// `key_columns` name what identifies a row besides the layer ({"task"}, {"task", "split"}).
  explicit SeedTables(const std::vector<std::string>& key_columns);
  /// Adds the runs of one key and layer: (correct, count) per seed, in seed order. Accuracy is
  /// percent(correct, count) (pipeline/util/percent.h: NaN over zero items), printed with 4
  /// decimals; the summary has the mean and sd (n - 1) of the accuracies.
  void add(const std::vector<std::string>& key, int64_t layer, const std::vector<std::pair<double, double>>& runs);
  /// key..., layer, run (0-based seed), correct, count, accuracy.
  const CsvTable& runs() const { return runs_; }
  /// key..., layer, mean, sd, runs.
  const CsvTable& summary() const { return summary_; }

 private:
  CsvTable runs_{{}}, summary_{{}};
};

}  // namespace bertology
