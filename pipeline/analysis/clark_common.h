// What the Clark et al. (2019) stages share: the cache entries they read and the ids of the
// wordpieces whose kind matters. Every stage reads its own entry through these functions, so a
// change of input policy is made once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/analysis/attention_measures.h"
#include "pipeline/cache/cache_reader.h"
#include "pipeline/analysis/clark_section.h"
#include "pipeline/stage/stage_context.h"

namespace bertology {

/// Ids of [CLS], [SEP] and the punctuation pieces "." and "," in the model's vocabulary.
struct ClarkTokenIds {
  int32_t cls = -1, sep = -1;
  std::vector<int32_t> punct;
  std::vector<TokenKind> kinds(const std::vector<int32_t>& input_ids) const {
    return token_kinds(input_ids, cls, sep, punct);
  }
};
ClarkTokenIds clark_token_ids(const std::string& model_dir);

/// Clark's §3 inputs, [CLS] A [SEP] B [SEP] of consecutive corpus sentences, extracted (or reused)
/// with `model_dir` (empty = model.path) and recorded as the stage's input "sentence pairs"; a
/// collective call.
CacheEntry extract_sentence_pairs(StageContext& ctx, const std::string& model_dir = "");

/// Opens the entry the stage reads and checks that it stores attention of every layer and head
/// (InputError naming the stage and the config keys to change otherwise).
CacheReader open_attention_entry(const CacheEntry& entry, const std::string& stage);

/// WordFrom of `clark.word_from`.
WordFrom clark_word_from(const Params& params);

}  // namespace bertology
