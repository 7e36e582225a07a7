// The structural probe's sentences read from a cache entry on demand: a window at a time, each
// sentence's word vectors of one layer read from the chunks that hold them. Memory: the window
// (structural_sentence_bytes per sentence) and one chunk's word vectors while reading, or every
// sentence when keep_all() (they fit the budget: read once for all jobs of the layer).
#pragma once

#include <cstdint>
#include <vector>

#include "pipeline/cache/cache_reader.h"
#include "pipeline/probe/structural_probe.h"

namespace bertology {

class CacheStructuralSentences : public StructuralSentenceSource {
 public:
  /// The sentences of `sequences` of `reader` with the word vectors of hidden layer `layer`.
  /// Checks every sentence's gold heads now (InputError naming the corpus line). `reader` must
  /// outlive this object.
  CacheStructuralSentences(const CacheReader& reader, const std::vector<int64_t>& sequences, int64_t layer);

  int64_t count() const override { return static_cast<int64_t>(sequences_.size()); }
  int64_t bytes(int64_t i) const override;
  std::vector<const StructuralSentence*> load(const std::vector<int64_t>& ids) override;

  void keep_all() { store_.keep_all(); }
  bool keeps_all() const { return store_.keeps_all(); }
  int64_t total_bytes() const;
  int64_t max_words() const { return max_words_; }

 private:
  const CacheReader& reader_;
  std::vector<int64_t> sequences_;
  int64_t layer_;
  int64_t max_words_ = 0;
  WindowStore<StructuralSentence> store_;
};

}  // namespace bertology
