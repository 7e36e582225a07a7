// The cache entries of a stage that probes word vectors (token_probes, structural_probe,
// scalar_mix): the run's entry is the training set; probe.test_corpus, extracted into the same
// cache, is the test set, or without one the last tenth of the training entry is held out.
//
//   ProbeEntries entries(ctx, "token_probes");    // extracts the test corpus (collective)
//   StageOutput out(ctx, "token_probes", entries.inputs() + ...);
//   if (out.up_to_date()) return 0;
//   entries.open();                               // readers, splits
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "pipeline/cache/cache_reader.h"
#include "pipeline/probe/token_tasks.h"
#include "pipeline/stage/stage_registry.h"

namespace bertology {

class ProbeEntries {
 public:
  ProbeEntries(const StageContext& ctx, std::string stage);

  /// {"train", "test", "held_out"}: the entries the stage's results depend on.
  nlohmann::json inputs() const;
  /// Opens the readers (word-pooled entries) and cuts the splits (probe.dev_fraction).
  void open();

  const CacheReader& train() const { return *train_; }
  /// The test reader: the training one when the test set is held out.
  const CacheReader& test() const { return held_out_ ? *train_ : *test_; }
  const TokenSplits& splits() const { return splits_; }
  /// Sentence counts of the splits, for stage.json.
  nlohmann::json split_sizes() const;

 private:
  const StageContext& ctx_;
  std::string stage_;
  bool held_out_;
  CacheEntry test_entry_;
  std::optional<CacheReader> train_, test_;
  TokenSplits splits_;
};

}  // namespace bertology
