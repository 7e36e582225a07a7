#include "stages/structural_probe/cache_structural_sentences.h"

#include <algorithm>
#include <numeric>

#include "pipeline/probe/token_tasks.h"
#include "pipeline/util/error.h"
#include "pipeline/util/heap_policy.h"
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
  return structural_sentence_bytes(reader_.word_offset(seq + 1) - reader_.word_offset(seq), reader_.hidden_size());
}

int64_t CacheStructuralSentences::total_bytes() const {
  int64_t total = 0;
  for (int64_t i = 0; i < count(); ++i) total += bytes(i);
  return total;
}

std::vector<const StructuralSentence*> CacheStructuralSentences::load(const std::vector<int64_t>& ids) {
  const bool read = !keep_all_ || held_ids_.size() != sequences_.size();
  if (read) {
    held_.clear();
    release_freed_heap();  // windows of varying sizes would leave holes beyond the budget
    if (keep_all_) {
      held_ids_.resize(sequences_.size());
      std::iota(held_ids_.begin(), held_ids_.end(), int64_t{0});
    } else {
      held_ids_ = ids;
      std::sort(held_ids_.begin(), held_ids_.end());
      held_ids_.erase(std::unique(held_ids_.begin(), held_ids_.end()), held_ids_.end());
    }
    // The window's word rows, ascending (sequences ascend with their index), in one read per chunk.
    std::vector<int64_t> rows;
    for (int64_t i : held_ids_) {
      const int64_t seq = sequences_[static_cast<size_t>(i)];
      for (int64_t r = reader_.word_offset(seq); r < reader_.word_offset(seq + 1); ++r) rows.push_back(r);
    }
    if (stop_requested()) throw StopRequested{};
    const int64_t d = reader_.hidden_size();
    std::vector<float> vectors(rows.size() * static_cast<size_t>(d));
    reader_.read_word_rows(HiddenLayer{static_cast<int>(layer_)}, rows, vectors.data());
    held_.reserve(held_ids_.size());
    const float* next = vectors.data();
    for (int64_t i : held_ids_) {
      const Sentence& s = reader_.corpus().sentences[static_cast<size_t>(reader_.sequence(sequences_[static_cast<size_t>(i)]).sentence_a)];
      StructuralSentence t;
      t.n = static_cast<int>(s.words.size());
      t.vectors.assign(next, next + t.n * d);
      next += t.n * d;
      for (const auto& a : s.annotations) {
        t.heads.push_back(a.head);
        t.keep.push_back(!is_hewitt_punctuation(a));
      }
      held_.push_back(std::move(t));
    }
  }
  std::vector<const StructuralSentence*> out;
  out.reserve(ids.size());
  for (int64_t i : ids) {
    const auto at = std::lower_bound(held_ids_.begin(), held_ids_.end(), i);
    BTL_CHECK(at != held_ids_.end() && *at == i, "CacheStructuralSentences::load: sentence ", i, " not loaded");
    out.push_back(&held_[static_cast<size_t>(at - held_ids_.begin())]);
  }
  return out;
}

}  // namespace bertology
