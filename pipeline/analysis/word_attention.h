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

/// Index of the largest of values[0..n) with values[skip] read as 0 (skip = -1: none), ties to the
/// lowest index: numpy's argmax after Clark's "zero the diagonal". A row whose other entries are
/// all 0 (fp16 underflow, a one-word sentence) therefore yields index 0, as in the notebook.
int argmax_skipping(const float* values, int n, int skip, int64_t stride = 1);

}  // namespace bertology
