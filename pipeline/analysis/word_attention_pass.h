// One pass over the word-level attention of some sequences: attention_pass (reads on this thread,
// work on `workers` threads) with every layer converted to Clark et al.'s word level and reduced
// to the sentence's words (no specials), the conversion the word-level Clark and Lin stages share.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "pipeline/cache/cache_reader.h"

namespace bertology {

/// Calls process(i, words, worker) for each i of `sequences`, where words[l] = [H, n, n] is the
/// attention of layer l (0-based) between the n words of sequence i's sentence (rows = from,
/// columns = to; a split word's row by `from`, its column summed over pieces), or `words` is
/// empty when a word produced no wordpiece (no row to read: callers skip or fail). The threading
/// and stop contract are attention_pass's (attention_pass.h).
void word_attention_pass(const CacheReader& reader, const std::vector<int64_t>& sequences, WordFrom from,
                         const std::function<void(int64_t, const std::vector<std::vector<float>>&, int)>& process,
                         int workers = 1);

}  // namespace bertology
