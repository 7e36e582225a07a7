#include "pipeline/analysis/word_attention_pass.h"

#include <algorithm>

#include "pipeline/analysis/attention_pass.h"
#include "pipeline/analysis/word_attention.h"
#include "pipeline/util/stop_signal.h"

namespace bertology {

void word_attention_pass(const CacheReader& reader, const std::vector<int64_t>& sequences, WordFrom from,
                         const std::function<void(int64_t, const std::vector<std::vector<float>>&, int)>& process,
                         int workers) {
  workers = std::max(1, workers);
  const int L = reader.num_layers(), H = reader.num_heads();
  // Per worker: the units' word ids and the words-only maps of every layer (reused across sequences).
  std::vector<std::vector<int32_t>> unit_word_ids(static_cast<size_t>(workers));
  std::vector<std::vector<std::vector<float>>> words(static_cast<size_t>(workers));
  const std::vector<std::vector<float>> none;
  attention_pass(reader, sequences, [&](int64_t i, std::vector<std::vector<float>>& attention, int w) {
    const auto seq = reader.sequence(i);
    const int n = static_cast<int>(reader.corpus().sentences[static_cast<size_t>(seq.sentence_a)].words.size());
    auto& maps = words[static_cast<size_t>(w)];
    maps.resize(static_cast<size_t>(L));
    for (int l = 0; l < L; ++l) {
      const auto units = CacheReader::to_word_level(std::move(attention[static_cast<size_t>(l)]), H,
                                                    static_cast<int64_t>(seq.input_ids.size()), seq.word_ids.data(),
                                                    seq.num_words, from, &unit_word_ids[static_cast<size_t>(w)]);
      if (!words_only_attention(units, H, unit_word_ids[static_cast<size_t>(w)], n, maps[static_cast<size_t>(l)])) {
        process(i, none, w);
        return;
      }
    }
    process(i, maps, w);
  }, workers, &stop_requested);
}

}  // namespace bertology
