#include "pipeline/cache/cache_key.h"

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>

#include "pipeline/util/error.h"
#include "pipeline/util/sha256.h"
#include "pipeline/util/json_number.h"

namespace bertology {

using nlohmann::json;  // objects keep keys sorted: dump() is canonical

namespace {
bool includes(const std::vector<int64_t>& big, const std::vector<int64_t>& small) {
  return std::includes(big.begin(), big.end(), small.begin(), small.end());
}

json base_json(const CacheKeyParts& p) {
  json j;
  j["format_version"] = kCacheFormatVersion;
  j["model"] = {{"weights_sha256", p.model_sha256}, {"vocab_sha256", p.vocab_sha256},
                {"config_sha256", p.model_config_sha256}, {"tokenizer_config_sha256", p.tokenizer_config_sha256},
                {"compute_dtype", p.compute_dtype}};
  j["input"] = {{"special_tokens", p.special_tokens}, {"pairs", p.pairs}, {"max_length", p.max_length},
                {"overlong", p.overlong}};
  j["corpus"] = {{"sha256", p.corpus_sha256}, {"format", p.corpus_format}, {"max_sentences", p.max_sentences}};
  j["storage"] = {{"chunk_tokens", p.chunk_tokens}, {"batch_tokens", p.batch_tokens}, {"dtype", p.dtype},
                  {"deflate", p.deflate}};
  return j;
}
}  // namespace

bool CacheSelection::covers(const CacheSelection& r) const {
  if (!includes(layers, r.layers)) return false;
  if (r.word_pooling != "none" && r.word_pooling != word_pooling) return false;
  if (r.attention) {
    if (!attention) return false;
    if (!includes(attention_layers, r.attention_layers) || !includes(attention_heads, r.attention_heads)) return false;
  }
  return true;
}

bool CacheSelection::can_merge(const CacheSelection& o) const {
  return word_pooling == o.word_pooling || word_pooling == "none" || o.word_pooling == "none";
}

CacheSelection CacheSelection::merged(const CacheSelection& o) const {
  BTL_CHECK(can_merge(o), "CacheSelection::merged: word pooling ", word_pooling, " and ", o.word_pooling, " do not merge");
  const auto unite = [](const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
    std::vector<int64_t> u;
    std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(u));
    return u;
  };
  CacheSelection m;
  m.layers = unite(layers, o.layers);
  m.word_pooling = word_pooling != "none" ? word_pooling : o.word_pooling;
  m.attention = attention || o.attention;
  if (m.attention) {
    m.attention_layers = unite(attention ? attention_layers : std::vector<int64_t>{}, o.attention ? o.attention_layers : std::vector<int64_t>{});
    m.attention_heads = unite(attention ? attention_heads : std::vector<int64_t>{}, o.attention ? o.attention_heads : std::vector<int64_t>{});
  }
  return m;
}

std::string base_key_json(const CacheKeyParts& p) { return base_json(p).dump(); }

std::string key_json(const CacheKeyParts& p) {
  json j = base_json(p);
  const auto& s = p.selection;
  j["selection"] = {{"layers", s.layers}, {"word_pooling", s.word_pooling}, {"attention", s.attention},
                    {"attention_layers", s.attention ? s.attention_layers : std::vector<int64_t>{}},
                    {"attention_heads", s.attention ? s.attention_heads : std::vector<int64_t>{}}};
  return j.dump();
}

std::string base_key_digest(const CacheKeyParts& p) {
  const std::string s = base_key_json(p);
  return sha256_hex(s.data(), s.size());
}

std::string key_digest(const CacheKeyParts& p) {
  const std::string s = key_json(p);
  return sha256_hex(s.data(), s.size());
}

CacheKeyParts parse_key_json(const std::string& text, const std::string& origin) {
  try {
    const json j = json::parse(text);
    CacheKeyParts p;
    const int format_version = json_number<int>(j.at("format_version"), origin, "format_version");
    BTL_REQUIRE(format_version == kCacheFormatVersion, origin, ": cache format version ", format_version,
                " (this bertology reads ", kCacheFormatVersion, ")");
    const auto& m = j.at("model");
    p.model_sha256 = m.at("weights_sha256");
    p.vocab_sha256 = m.at("vocab_sha256");
    p.model_config_sha256 = m.at("config_sha256");
    p.tokenizer_config_sha256 = m.at("tokenizer_config_sha256");
    p.compute_dtype = m.at("compute_dtype");
    const auto& in = j.at("input");
    p.special_tokens = in.at("special_tokens");
    p.pairs = in.at("pairs");
    p.max_length = json_number<decltype(p.max_length)>(in.at("max_length"), origin, "input.max_length");
    p.overlong = in.at("overlong");
    const auto& c = j.at("corpus");
    p.corpus_sha256 = c.at("sha256");
    p.corpus_format = c.at("format");
    p.max_sentences = json_number<decltype(p.max_sentences)>(c.at("max_sentences"), origin, "corpus.max_sentences");
    const auto& st = j.at("storage");
    p.chunk_tokens = json_number<decltype(p.chunk_tokens)>(st.at("chunk_tokens"), origin, "storage.chunk_tokens");
    p.batch_tokens = json_number<decltype(p.batch_tokens)>(st.at("batch_tokens"), origin, "storage.batch_tokens");
    p.dtype = st.at("dtype");
    p.deflate = st.at("deflate");
    const auto& s = j.at("selection");
    p.selection.layers = json_numbers<int64_t>(s.at("layers"), origin, "selection.layers");
    p.selection.word_pooling = s.at("word_pooling");
    p.selection.attention = s.at("attention");
    p.selection.attention_layers = json_numbers<int64_t>(s.at("attention_layers"), origin, "selection.attention_layers");
    p.selection.attention_heads = json_numbers<int64_t>(s.at("attention_heads"), origin, "selection.attention_heads");
    return p;
  } catch (const json::exception& e) {
    throw InputError(cat(origin, ": malformed cache key: ", e.what()));
  }
}

}  // namespace bertology
