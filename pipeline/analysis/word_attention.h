// Word-by-word attention without the special tokens, from CacheReader::word_attention's units.
#pragma once

#include <cstdint>
#include <vector>

namespace bertology {

/// From `units` = [H, U, U] (Clark's word-level attention, specials as their own units) and the
/// units' word ids (-1 = special), keeps the rows and columns of words 0..num_words-1 in word
/// order: [H, n, n] in `words_out`. Returns false when a word has no unit (it produced no
/// wordpiece, or was truncated away): callers skip such a sentence.
bool words_only_attention(const std::vector<float>& units, int heads, const std::vector<int32_t>& unit_word_ids,
                          int num_words, std::vector<float>& words_out);

/// Index of the largest of values[0..n) skipping `skip` (-1 = none); ties go to the lowest index.
int argmax_skipping(const float* values, int n, int skip, int64_t stride = 1);

}  // namespace bertology
