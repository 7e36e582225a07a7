// The cache entries of a stage that probes word vectors (token_probes, structural_probe,
// scalar_mix): the run's entry is the training set; probe.test_corpus, extracted into the same
// cache, is the test set, or without one the last tenth of the training entry is held out.
//
//   ProbeEntries entries(ctx);                    // extracts the test corpus (collective), records both
//   StageOutput out = ctx.begin_output();
//   if (out.up_to_date()) return;
//   entries.open();                               // readers, splits
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "pipeline/cache/cache_reader.h"
#include "pipeline/probe/token_tasks.h"
#include "pipeline/stage/stage_context.h"

namespace bertology {

class ProbeEntries {
 public:
  /// Records the run's entry ("cache") and the test corpus's ("test corpus") as the stage's inputs.
  explicit ProbeEntries(StageContext& ctx);

  /// Opens the readers (word-pooled entries) and cuts the splits (probe.dev_fraction).
  void open();

  const CacheReader& train() const { return *train_; }
  /// The test reader: the training one when the test set is held out.
  const CacheReader& test() const { return held_out_ ? *train_ : *test_; }
  const TokenSplits& splits() const { return splits_; }
  /// Sentence counts of the splits, for stage.json.
  nlohmann::json split_sizes() const;

 private:
  StageContext& ctx_;
  bool held_out_;
  CacheEntry train_entry_, test_entry_;
  std::optional<CacheReader> train_, test_;
  TokenSplits splits_;
};

}  // namespace bertology
