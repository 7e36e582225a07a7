#include "stages/edge_probing/cache_edge_sentences.h"

#include <algorithm>
#include <functional>

#include "pipeline/util/error.h"
#include "pipeline/util/float16.h"
#include "pipeline/util/stop_signal.h"

namespace bertology {

CacheEdgeSentences::CacheEdgeSentences(const CacheReader& reader, std::vector<int64_t> sequences,
                                       const std::vector<std::vector<EdgeWordTarget>>& targets,
                                       const std::map<std::string, int32_t>& label_index, std::vector<int64_t> which)
    : reader_(reader), sequences_(std::move(sequences)), which_(std::move(which)) {
  BTL_CHECK(targets.size() == sequences_.size(), "CacheEdgeSentences: ", targets.size(), " target lists for ",
            sequences_.size(), " sequences");
  targets_.resize(sequences_.size());
  for (size_t i = 0; i < sequences_.size(); ++i) {
    const CacheReader::Sequence seq = reader_.sequence(sequences_[i]);
    // The last word with a piece: words after it were truncated away.
    int32_t last_word = -1;
    for (int32_t w : seq.word_ids) last_word = std::max(last_word, w);
    for (const EdgeWordTarget& t : targets[i]) {
      EdgeTarget e;
      const auto s1 = piece_span(seq.word_ids, t.span1_begin, t.span1_end);
      const bool two = t.span2_begin >= 0;
      const auto s2 = two ? piece_span(seq.word_ids, t.span2_begin, t.span2_end) : std::make_pair(-1, -1);
      if (s1.first < 0 || t.span1_end - 1 > last_word || (two && (s2.first < 0 || t.span2_end - 1 > last_word))) {
        dropped_ += 1;
        continue;
      }
      e.span1_begin = s1.first, e.span1_end = s1.second, e.span2_begin = s2.first, e.span2_end = s2.second;
      for (const auto& l : t.labels) {
        const auto it = label_index.find(l);
        BTL_CHECK(it != label_index.end(), "edge label '", l, "' missing from the label set");
        e.labels.push_back(it->second);
      }
      targets_[i].push_back(std::move(e));
      num_targets_ += 1;
    }
  }
}

int64_t CacheEdgeSentences::bytes(int64_t i) const {
  const int64_t seq = sequences_[static_cast<size_t>(i)];
  return edge_sentence_bytes(reader_.sequence_length(seq), static_cast<int64_t>(which_.size()), reader_.hidden_size(),
                             reader_.dtype() == "float16" ? 2 : 4, static_cast<int64_t>(targets_[static_cast<size_t>(i)].size()));
}

int64_t CacheEdgeSentences::total_bytes() const {
  int64_t total = 0;
  for (int64_t i = 0; i < count(); ++i) total += bytes(i);
  return total;
}

int64_t CacheEdgeSentences::largest_batch_bytes(int64_t batch) const {
  std::vector<int64_t> lengths;
  for (int64_t seq : sequences_) lengths.push_back(reader_.sequence_length(seq));
  std::sort(lengths.rbegin(), lengths.rend());
  int64_t tokens = 0;
  for (size_t k = 0; k < lengths.size() && static_cast<int64_t>(k) < batch; ++k) tokens += lengths[k];
  return tokens * static_cast<int64_t>(which_.size()) * reader_.hidden_size() * 4;
}

std::vector<const EdgeSentence*> CacheEdgeSentences::load(const std::vector<int64_t>& ids) {
  return store_.load(ids, *this, [this](const std::vector<int64_t>& sorted) {
    std::vector<int64_t> rows;
    for (int64_t i : sorted) {
      const int64_t seq = sequences_[static_cast<size_t>(i)];
      for (int64_t r = reader_.token_offset(seq); r < reader_.token_offset(seq + 1); ++r) rows.push_back(r);
    }
    if (stop_requested()) throw StopRequested{};
    const int64_t d = reader_.hidden_size(), Ly = static_cast<int64_t>(which_.size());
    const bool half = reader_.dtype() == "float16";
    std::vector<EdgeSentence> window(sorted.size());
    for (size_t k = 0; k < sorted.size(); ++k) {
      EdgeSentence& s = window[k];
      s.tokens = reader_.sequence_length(sequences_[static_cast<size_t>(sorted[k])]);
      s.layers = Ly;
      if (half) s.vectors_half.resize(static_cast<size_t>(s.tokens * Ly * d));
      else s.vectors.resize(static_cast<size_t>(s.tokens * Ly * d));
      s.targets = targets_[static_cast<size_t>(sorted[k])];
    }
    std::vector<float> layer(rows.size() * static_cast<size_t>(d));
    for (int64_t l = 0; l < Ly; ++l) {
      reader_.read_token_rows(HiddenLayer{static_cast<int>(which_[static_cast<size_t>(l)])}, rows, layer.data());
      const float* next = layer.data();
      for (EdgeSentence& s : window)
        for (int64_t t = 0; t < s.tokens; ++t, next += d) {
          const size_t at = static_cast<size_t>((t * Ly + l) * d);
          if (half) {
            bool exact = true;
            for (int64_t c = 0; c < d; ++c) exact &= exact_float16_bits(next[c], s.vectors_half[at + static_cast<size_t>(c)]);
            BTL_CHECK(exact, "a float16 entry's token vector is not a float16 value");
          } else {
            std::copy(next, next + d, s.vectors.begin() + static_cast<std::ptrdiff_t>(at));
          }
        }
    }
    return window;
  });
}

}  // namespace bertology
