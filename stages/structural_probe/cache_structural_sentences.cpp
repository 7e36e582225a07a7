#include "stages/structural_probe/cache_structural_sentences.h"

#include <algorithm>

#include "pipeline/probe/token_tasks.h"
#include "pipeline/util/error.h"
#include "pipeline/util/float16.h"
#include "pipeline/util/stop_signal.h"

namespace bertology {

CacheStructuralSentences::CacheStructuralSentences(const CacheReader& reader, const std::vector<int64_t>& sequences,
                                                   int64_t layer)
    : reader_(reader), sequences_(sequences), layer_(layer) {
  for (int64_t i : sequences_) {
    const Sentence& s = reader_.corpus().sentences[static_cast<size_t>(reader_.sequence(i).sentence_a)];
    BTL_REQUIRE(s.annotations.size() == s.words.size(), s.origin, ": the structural probe needs gold heads");
    for (const auto& a : s.annotations) BTL_REQUIRE(a.head >= 0, s.origin, ": a word has no gold head");
    max_words_ = std::max<int64_t>(max_words_, static_cast<int64_t>(s.words.size()));
  }
}

int64_t CacheStructuralSentences::bytes(int64_t i) const {
  const int64_t seq = sequences_[static_cast<size_t>(i)];
  return structural_sentence_bytes(reader_.word_offset(seq + 1) - reader_.word_offset(seq), reader_.hidden_size(),
                                   reader_.dtype() == "float16" ? 2 : 4);
}

int64_t CacheStructuralSentences::total_bytes() const {
  int64_t total = 0;
  for (int64_t i = 0; i < count(); ++i) total += bytes(i);
  return total;
}

std::vector<const StructuralSentence*> CacheStructuralSentences::load(const std::vector<int64_t>& ids) {
  return store_.load(ids, *this, [this](const std::vector<int64_t>& sorted) {
    // The window's word rows, ascending (sequences ascend with their index), in one read per chunk.
    std::vector<int64_t> rows;
    for (int64_t i : sorted) {
      const int64_t seq = sequences_[static_cast<size_t>(i)];
      for (int64_t r = reader_.word_offset(seq); r < reader_.word_offset(seq + 1); ++r) rows.push_back(r);
    }
    if (stop_requested()) throw StopRequested{};
    const int64_t d = reader_.hidden_size();
    std::vector<float> vectors(rows.size() * static_cast<size_t>(d));
    reader_.read_word_rows(HiddenLayer{static_cast<int>(layer_)}, rows, vectors.data());
    std::vector<StructuralSentence> window;
    window.reserve(sorted.size());
    const float* next = vectors.data();
    for (int64_t i : sorted) {
      const Sentence& s = reader_.corpus().sentences[static_cast<size_t>(reader_.sequence(sequences_[static_cast<size_t>(i)]).sentence_a)];
      StructuralSentence t;
      t.n = static_cast<int>(s.words.size());
      t.vectors.assign(next, next + t.n * d);
      if (reader_.dtype() == "float16") {  // keep the stored precision: exact, half the memory
        t.vectors_half.resize(t.vectors.size());
        bool exact = true;
        for (size_t k = 0; k < t.vectors.size() && exact; ++k) exact = exact_float16_bits(t.vectors[k], t.vectors_half[k]);
        BTL_CHECK(exact, "a float16 entry's word vector is not a float16 value");
        std::vector<float>().swap(t.vectors);
      }
      next += t.n * d;
      for (const auto& a : s.annotations) {
        t.heads.push_back(a.head);
        t.keep.push_back(!is_hewitt_punctuation(a));
      }
      window.push_back(std::move(t));
    }
    return window;
  });
}

}  // namespace bertology
