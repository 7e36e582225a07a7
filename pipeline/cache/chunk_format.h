// Names and conventions inside one chunk file (format version kCacheFormatVersion).
//
// Sequences inside a chunk are stored in *batch order* (sorted by length, as computed), so that
// every batch appends rows; /sequences/sentence_a gives each one's corpus index. A chunk covers a
// contiguous range of the corpus; the reader returns corpus order.
//
//   /tokens/input_ids       int32 [N]        wordpieces as fed (specials included), N = tokens in chunk
//   /tokens/word_ids        int32 [N]        word index within its sequence, -1 for specials
//   /tokens/segment_ids     int32 [N]        0 = sentence A, 1 = sentence B (pairs)
//   /sequences/offsets      int64 [S+1]      token offsets of each sequence
//   /sequences/sentence_a   int64 [S]        corpus index of the sentence (first of a pair)
//   /sequences/sentence_b   int64 [S]        second sentence of a pair, -1 otherwise
//   /sequences/num_words    int32 [S]        words of the sequence (A then B)
//   /sequences/word_offsets int64 [S+1]      offsets into /hidden_words rows
//   /sequences/truncated    int32 [S]        1 when pieces were dropped to fit max_length
//   /hidden/layer_LL        f16|f32 [N, d]   LL = 00 (embedding output) .. L (last layer), selected ones
//   /hidden_words/layer_LL  f16|f32 [W, d]   word-pooled (mean or first piece), when asked
//   /attention/offsets      int64 [S+1]      element offsets: sequence s holds H_sel x T_s x T_s values
//   /attention/layer_LL     f16|f32 [E]      LL = 0-based layer; each sequence's [heads, query, key], flat
// Root attributes: format_version, key_json, chunk_index, num_sequences, num_tokens, layers,
// attention_layers, attention_heads (JSON lists), word_pooling, dtype, hidden_size, layer_convention.
// Every tensor dataset is chunked with a Fletcher-32 checksum: a flipped bit fails the read.
#pragma once

#include <cstdio>
#include <string>

#include "pipeline/cache/layer_convention.h"  // kCacheLayerConvention

namespace bertology {

inline std::string hidden_dataset(int layer) {
  char b[32];
  std::snprintf(b, sizeof b, "/hidden/layer_%02d", layer);
  return b;
}
inline std::string hidden_words_dataset(int layer) {
  char b[40];
  std::snprintf(b, sizeof b, "/hidden_words/layer_%02d", layer);
  return b;
}
inline std::string attention_dataset(int layer) {
  char b[40];
  std::snprintf(b, sizeof b, "/attention/layer_%02d", layer);
  return b;
}

}  // namespace bertology
