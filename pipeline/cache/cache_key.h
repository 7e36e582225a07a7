// The cache key: a digest of everything that changes the stored bytes.
//
// Two parts: the *base* (model weights, vocabulary, tokenizer config, input policy, corpus content,
// budgets, stored dtype, format version) and the *selection* (layers, word pooling, attention
// layers/heads). A cache entry serves any request with the same base whose selection is a subset
// of the entry's. Same key = same bytes on the same kind of device with the same thread count
// (CPU and GPU results differ by float round-off, which is why model.dtype is in the key but the
// device is not: re-extract if you need bit-equality across devices).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bertology {

/// Version of the chunk layout (bump on any change to datasets or their meaning).
constexpr int kCacheFormatVersion = 1;

/// What is stored, besides the base.
struct CacheSelection {
  std::vector<int64_t> layers;             ///< hidden-state layers stored (0 = embeddings), sorted
  std::string word_pooling = "none";       ///< none | mean | first
  bool attention = false;
  std::vector<int64_t> attention_layers;   ///< sorted; meaningful when attention
  std::vector<int64_t> attention_heads;    ///< sorted; meaningful when attention

  /// True when an entry holding `*this` can serve `request`.
  bool covers(const CacheSelection& request) const;
  /// True when one entry can hold both (word pooling equal, or none on one side).
  bool can_merge(const CacheSelection& other) const;
  /// The smallest selection that covers both (requires can_merge).
  CacheSelection merged(const CacheSelection& other) const;
};

/// Everything that changes the bytes.
struct CacheKeyParts {
  std::string model_sha256, vocab_sha256, model_config_sha256, tokenizer_config_sha256;
  std::string compute_dtype;          ///< model.dtype
  bool special_tokens = true, pairs = false;
  int max_length = 512;               ///< skip: the model's maximum (shorter limits filter at read time); truncate: the limit
  std::string overlong = "skip";
  std::string corpus_sha256, corpus_format;
  int64_t max_sentences = 0;
  int64_t chunk_tokens = 0, batch_tokens = 0;
  std::string dtype;                  ///< stored: float16 | float32
  int deflate = 0;
  CacheSelection selection;
};

/// Canonical JSON of the base (sorted keys, no selection).
std::string base_key_json(const CacheKeyParts& parts);
/// Canonical JSON of everything.
std::string key_json(const CacheKeyParts& parts);
/// sha256 hex of base_key_json / key_json.
std::string base_key_digest(const CacheKeyParts& parts);
std::string key_digest(const CacheKeyParts& parts);

/// Reads the parts back from key_json text (for `cache ls` and reuse lookups); InputError on bad JSON.
CacheKeyParts parse_key_json(const std::string& json, const std::string& origin);

}  // namespace bertology
