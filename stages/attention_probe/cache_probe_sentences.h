// The attention probe's sentences read from a cache entry on demand: a window of the shuffled
// epoch order at a time, each sentence's word-level attention computed from the stored fp16
// wordpiece attention as it is loaded. Memory: the window (probe_sentence_bytes per sentence)
// and the reader's attention cache (CacheReader::kAttentionCacheBytes), not the corpus.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/cache/cache_dir.h"
#include "pipeline/cache/cache_reader.h"
#include "stages/attention_probe/attention_probes.h"
#include "stages/attention_probe/word_vectors.h"

namespace bertology {

class CacheProbeSentences : public ProbeSentenceSource {
 public:
  /// What a loaded sentence holds besides gold heads and punctuation flags.
  struct Contents {
    bool attention = true;  ///< [K, n, n] maps and [K, n, 4] ROOT features
    bool vectors = true;    ///< [n, dv] word vectors (needs `vectors`)
  };
  /// The sentences of `sequences` (indices of the entry `entry`'s sequences) whose every word has
  /// a wordpiece; the others are left out (skipped()). Checks every sentence's gold heads now
  /// (InputError naming the corpus line). `vectors` must outlive this object.
  CacheProbeSentences(const CacheEntry& entry, const std::vector<int64_t>& sequences, WordFrom from, Contents contents,
                      const WordVectors* vectors);

  int64_t count() const override { return static_cast<int64_t>(sequences_.size()); }
  int64_t bytes(int64_t i) const override;
  std::vector<const ProbeSentence*> load(const std::vector<int64_t>& ids) override;

  /// Keeps every sentence in memory from the first load on (when total_bytes() fits the budget):
  /// later loads, of any job, read nothing.
  void keep_all() { store_.keep_all(); }
  bool keeps_all() const { return store_.keeps_all(); }
  int64_t total_bytes() const;
  int64_t skipped() const { return skipped_; }   ///< sequences left out: a word without pieces
  int64_t max_words() const { return max_words_; }
  int K() const { return reader_.num_layers() * reader_.num_heads(); }
  /// The attention cache a source gives its reader on `reader`'s entry: one chunk's stored layers
  /// (a window is read in sequence order), at most CacheReader::kAttentionCacheBytes, plus the
  /// reader's spare layer. Bytes.
  static int64_t reader_cache_bytes(const CacheReader& reader);

 private:
  ProbeSentence read(int64_t i) const;  ///< sentence i (index into sequences_) from the entry

  CacheReader reader_;
  WordFrom from_;
  Contents contents_;
  const WordVectors* vectors_;
  std::vector<int64_t> sequences_;  ///< entry sequence of each sentence
  std::vector<int32_t> words_;      ///< words of each sentence
  int64_t skipped_ = 0, max_words_ = 0;
  WindowStore<ProbeSentence> store_;
};

}  // namespace bertology
