// The word vectors of Clark et al.'s attn_words and distances_words probes: the model's input
// word embeddings (mean over a word's pieces) or a GloVe text file.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "pipeline/cache/cache_reader.h"
#include "pipeline/corpus/corpus.h"

namespace bertology {

class WordVectors {
 public:
  /// The checkpoint's input word embeddings: [V, d] float32 in memory.
  static WordVectors from_model(const std::string& model_dir);
  /// Only the vectors of `needed` (lower-cased words) of a GloVe text file. InputError naming
  /// the file (and line) when it cannot be read or a line has the wrong number of values.
  static WordVectors from_glove(const std::string& path, const std::set<std::string>& needed);

  int dim() const { return static_cast<int>(dim_); }
  /// Bytes the table holds (V × d × 4 for the model's embeddings).
  int64_t table_bytes() const;
  /// [n, dim] for the words of sentence `s`, encoded as `seq`: the mean of the embeddings of a
  /// word's pieces, or its GloVe vector (zeros when absent).
  std::vector<float> sentence(const Sentence& s, const CacheReader::Sequence& seq) const;
  static std::string lower(const std::string& word);

 private:
  bool glove_ = false;
  int64_t rows_ = 0, dim_ = 0;
  std::vector<float> table_;
  std::map<std::string, std::vector<float>> glove_table_;
};

}  // namespace bertology
