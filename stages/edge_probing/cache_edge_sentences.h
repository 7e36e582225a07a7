// Edge-probing sentences read from a cache entry on demand: the token rows (wordpieces) of each
// sequence for the layers `which`, and its targets mapped from words to wordpiece spans. Memory:
// the window (edge_sentence_bytes per sentence) and one chunk's rows while reading, or every
// sentence when keep_all() (they fit the budget).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pipeline/cache/cache_reader.h"
#include "pipeline/probe/edge_probe.h"
#include "pipeline/probe/edge_tasks.h"

namespace bertology {

class CacheEdgeSentences : public EdgeSentenceSource {
 public:
  /// Sequences `sequences` of `reader` with word-level `targets` (one list per sequence) whose
  /// labels are indices by `label_index`. A target some of whose words were truncated away, or
  /// whose words have no wordpiece, is left out (counted in dropped_targets()). `reader` must
  /// outlive this object.
  CacheEdgeSentences(const CacheReader& reader, std::vector<int64_t> sequences,
                     const std::vector<std::vector<EdgeWordTarget>>& targets,
                     const std::map<std::string, int32_t>& label_index, std::vector<int64_t> which);

  int64_t count() const override { return static_cast<int64_t>(sequences_.size()); }
  int64_t bytes(int64_t i) const override;
  std::vector<const EdgeSentence*> load(const std::vector<int64_t>& ids) override;

  void keep_all() { store_.keep_all(); }
  int64_t total_bytes() const;
  int64_t targets() const { return num_targets_; }
  int64_t dropped_targets() const { return dropped_; }
  /// Bytes of the largest batch of `batch` sentences' token rows as the trainer widens them (float).
  int64_t largest_batch_bytes(int64_t batch) const;

 private:
  const CacheReader& reader_;
  std::vector<int64_t> sequences_, which_;
  std::vector<std::vector<EdgeTarget>> targets_;  ///< per sequence, wordpiece spans
  int64_t num_targets_ = 0, dropped_ = 0;
  WindowStore<EdgeSentence> store_;
};

}  // namespace bertology
