#include "pipeline/analysis/clark_common.h"

#include <filesystem>

#include "pipeline/stage/stage_context.h"
#include "pipeline/tokenizer/bert_tokenizer.h"
#include "pipeline/util/error.h"

namespace bertology {

ClarkTokenIds clark_token_ids(const std::string& model_dir) {
  const BertTokenizer tokenizer = BertTokenizer::from_model_dir(model_dir);
  ClarkTokenIds ids;
  ids.cls = tokenizer.cls_id();
  ids.sep = tokenizer.sep_id();
  for (const char* p : {".", ","})
    if (tokenizer.vocab().find(p) >= 0) ids.punct.push_back(tokenizer.vocab().find(p));
  return ids;
}

CacheEntry extract_sentence_pairs(StageContext& ctx, const std::string& model_dir) {
  Params pairs = ctx.params;
  pairs.input.pairs = true;
  if (!model_dir.empty()) pairs.model.path = model_dir;
  return ctx.extract("sentence pairs", pairs);
}

CacheReader open_attention_entry(const CacheEntry& entry, const std::string& stage) {
  CacheReader reader = CacheReader::open(entry);
  BTL_REQUIRE(reader.has_attention(), stage, ": cache entry ", entry.dir,
              " has no attention; set extract.attention: true");
  BTL_REQUIRE(static_cast<int>(reader.attention_layers().size()) == reader.num_layers() &&
                  static_cast<int>(reader.attention_heads().size()) == reader.num_heads(),
              stage, ": cache entry ", entry.dir, " stores only some attention layers or heads; ",
              "leave extract.attention_layers and extract.attention_heads empty (all)");
  return reader;
}

WordFrom clark_word_from(const Params& params) {
  return clark_section().of(params).word_from == "first" ? WordFrom::First : WordFrom::Mean;
}


}  // namespace bertology
