#include "stages/attention_probe/cache_probe_sentences.h"

#include <algorithm>

#include "pipeline/analysis/clark_common.h"
#include "pipeline/analysis/word_attention.h"
#include "pipeline/probe/token_tasks.h"
#include "pipeline/util/error.h"
#include "pipeline/util/stop_signal.h"

namespace bertology {

CacheProbeSentences::CacheProbeSentences(const CacheEntry& entry, const std::vector<int64_t>& sequences, WordFrom from,
                                         Contents contents, const WordVectors* vectors)
    : reader_(open_attention_entry(entry, "attention_probe")), from_(from), contents_(contents), vectors_(vectors) {
  BTL_CHECK(!contents.vectors || vectors, "CacheProbeSentences: word vectors requested without a table");
  reader_.set_attention_cache_bytes(static_cast<size_t>(
      std::min<int64_t>(reader_.largest_chunk_attention_bytes(), CacheReader::kAttentionCacheBytes)));
  for (int64_t i : sequences) {
    const auto seq = reader_.sequence(i);
    const Sentence& s = reader_.corpus().sentences[static_cast<size_t>(seq.sentence_a)];
    const int n = static_cast<int>(s.words.size());
    BTL_REQUIRE(s.annotations.size() == s.words.size(), s.origin,
                ": attention_probe needs gold heads (a CoNLL-U, CoNLL-X or PTB corpus)");
    for (const auto& a : s.annotations) BTL_REQUIRE(a.head >= 0 && a.head <= n, s.origin, ": a word has no gold head");
    // A word that produced no wordpiece has no attention row: the sentence is left out of every
    // probe and baseline alike (counted).
    std::vector<bool> has_piece(static_cast<size_t>(n), false);
    for (int32_t w : seq.word_ids)
      if (w >= 0 && w < n) has_piece[static_cast<size_t>(w)] = true;
    if (std::find(has_piece.begin(), has_piece.end(), false) != has_piece.end()) {
      ++skipped_;
      continue;
    }
    sequences_.push_back(i);
    words_.push_back(n);
    max_words_ = std::max<int64_t>(max_words_, n);
  }
}

int64_t CacheProbeSentences::reader_cache_bytes(const CacheReader& reader) {
  const int64_t chunk = reader.largest_chunk_attention_bytes();
  const int64_t layers = std::max<int64_t>(1, static_cast<int64_t>(reader.attention_layers().size()));
  return std::min<int64_t>(chunk, CacheReader::kAttentionCacheBytes) + chunk / layers;
}

int64_t CacheProbeSentences::bytes(int64_t i) const {
  return probe_sentence_bytes(words_[static_cast<size_t>(i)], contents_.attention ? K() : 0,
                              contents_.vectors ? vectors_->dim() : 0, contents_.attention);
}

int64_t CacheProbeSentences::total_bytes() const {
  int64_t total = 0;
  for (int64_t i = 0; i < count(); ++i) total += bytes(i);
  return total;
}

ProbeSentence CacheProbeSentences::read(int64_t index) const {
  if (stop_requested()) throw StopRequested{};
  const int64_t i = sequences_[static_cast<size_t>(index)];
  const auto seq = reader_.sequence(i);
  const Sentence& s = reader_.corpus().sentences[static_cast<size_t>(seq.sentence_a)];
  const int n = static_cast<int>(s.words.size());
  ProbeSentence p;
  p.n = n;
  for (const auto& a : s.annotations) {
    p.gold.push_back(a.head);
    p.scored.push_back(is_clark_punctuation(a) ? 0 : 1);
  }
  if (contents_.attention) {
    const int L = reader_.num_layers(), H = reader_.num_heads(), K = L * H;
    p.attention.resize(static_cast<size_t>(K) * n * n);
    p.root.resize(static_cast<size_t>(K) * n * 4);
    std::vector<float> words;
    std::vector<int32_t> unit_word_ids;
    for (int l = 0; l < L; ++l) {
      const auto units = reader_.word_attention(i, AttentionLayer{l}, from_, &unit_word_ids);
      BTL_CHECK(words_only_attention(units, H, unit_word_ids, n, words), reader_.entry_dir(), ": sequence ", i,
                " lost a word between the check and the read");
      std::copy(words.begin(), words.end(), p.attention.begin() + static_cast<int64_t>(l) * H * n * n);
      // Columns of [CLS] (the first unit) and the final [SEP] (the last unit); words follow unit order.
      const int U = static_cast<int>(unit_word_ids.size());
      std::vector<int> unit_of_word(static_cast<size_t>(n), -1);
      for (int u = 0; u < U; ++u)
        if (unit_word_ids[static_cast<size_t>(u)] >= 0) unit_of_word[static_cast<size_t>(unit_word_ids[static_cast<size_t>(u)])] = u;
      for (int h = 0; h < H; ++h)
        for (int j = 0; j < n; ++j) {
          const int u = unit_of_word[static_cast<size_t>(j)];
          const float* map = units.data() + static_cast<int64_t>(h) * U * U;  // [U, U], rows = from
          const size_t at = ((static_cast<size_t>(l) * H + h) * n + j) * 4;
          p.root[at] = map[static_cast<int64_t>(u) * U];               // j -> [CLS]
          p.root[at + 1] = map[static_cast<int64_t>(u) * U + U - 1];   // j -> [SEP]
          p.root[at + 2] = map[u];                                     // [CLS] -> j
          p.root[at + 3] = map[static_cast<int64_t>(U - 1) * U + u];   // [SEP] -> j
        }
    }
  }
  if (contents_.vectors) p.vectors = vectors_->sentence(s, seq);
  return p;
}

std::vector<const ProbeSentence*> CacheProbeSentences::load(const std::vector<int64_t>& ids) {
  return store_.load(ids, *this, [this](const std::vector<int64_t>& sorted) {
    std::vector<ProbeSentence> window;
    window.reserve(sorted.size());
    for (int64_t i : sorted) window.push_back(read(i));
    return window;
  });
}

}  // namespace bertology
