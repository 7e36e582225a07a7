// BertTokenizer::from_model_dir and load_tokenizer_options: reading a Hugging Face model
// directory's tokenizer files.
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "pipeline/tokenizer/bert_tokenizer.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"

namespace bertology {
namespace {

using nlohmann::json;

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string join_path(const std::string& dir, const char* name) {
  if (dir.empty() || dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

// Parses a JSON file into an object; InputError naming the file for I/O, syntax or type errors.
json read_json_object(const std::string& path) {
  std::string text;
  try {
    text = read_file_bytes(path, "a JSON file");
  } catch (const InputError&) {
    throw InputError(cat(path, ": cannot open file"));  // the message users have always got
  }
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line L, column C: ..." (or
    // out_of_range.406 for a number too large for a double).
    throw InputError(cat(path, ": malformed JSON: ", e.what()));
  }
  BTL_REQUIRE(j.is_object(), path, ": expected a JSON object at the top level, found ",
              j.type_name());
  return j;
}

bool get_bool(const json& j, const char* key, const std::string& path, bool fallback) {
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  BTL_REQUIRE(it->is_boolean(), path, ": key '", key, "' must be true or false, found ",
              it->dump());
  return it->get<bool>();
}

// A special token value: a string, or an AddedToken object {"content": ..., "lstrip": ...}.
std::string special_token_value(const json& v, const std::string& key, const std::string& path) {
  if (v.is_string()) return v.get<std::string>();
  BTL_REQUIRE(v.is_object() && v.contains("content") && v["content"].is_string(), path, ": key '",
              key, "' must be a string or an object with a string \"content\", found ", v.dump());
  for (const char* flag : {"lstrip", "rstrip", "single_word"}) {
    auto it = v.find(flag);
    BTL_REQUIRE(it == v.end() || it->is_null() || (it->is_boolean() && !it->get<bool>()), path,
                ": key '", key, "' sets ", flag, "=", it == v.end() ? "" : it->dump(),
                ", which bertology's tokenizer does not support");
  }
  return v["content"].get<std::string>();
}

constexpr const char* kSpecialKeys[] = {"unk_token", "sep_token", "pad_token", "cls_token",
                                        "mask_token"};

std::string* special_field(TokenizerOptions* o, const std::string& key) {
  if (key == "unk_token") return &o->unk_token;
  if (key == "sep_token") return &o->sep_token;
  if (key == "pad_token") return &o->pad_token;
  if (key == "cls_token") return &o->cls_token;
  if (key == "mask_token") return &o->mask_token;
  return nullptr;
}

// Rejects special-token keys that would add tokens BERT's tokenizer does not have.
void reject_extra_specials(const json& j, const std::string& path) {
  for (const char* key : {"bos_token", "eos_token"}) {
    auto it = j.find(key);
    BTL_REQUIRE(it == j.end() || it->is_null(), path, ": key '", key,
                "' adds a special token; bertology's BERT tokenizer supports only unk/sep/pad/"
                "cls/mask tokens");
  }
  auto it = j.find("additional_special_tokens");
  BTL_REQUIRE(it == j.end() || it->is_null() || (it->is_array() && it->empty()), path,
              ": additional_special_tokens are not supported by bertology's tokenizer, found ",
              it == j.end() ? "" : it->dump());
}

struct DirConfig {
  TokenizerOptions options;
  std::string config_path;                      // empty when there is no tokenizer_config.json
  std::map<int64_t, std::string> added_tokens;  // added_tokens_decoder: id -> content
};

DirConfig read_dir_config(const std::string& dir) {
  DirConfig cfg;
  TokenizerOptions& o = cfg.options;
  bool has_added_tokens_decoder = false;

  const std::string config_path = join_path(dir, "tokenizer_config.json");
  if (file_exists(config_path)) {
    cfg.config_path = config_path;
    const json j = read_json_object(config_path);
    const std::string& p = config_path;
    o.do_lower_case = get_bool(j, "do_lower_case", p, o.do_lower_case);
    o.tokenize_chinese_chars = get_bool(j, "tokenize_chinese_chars", p, o.tokenize_chinese_chars);
    BTL_REQUIRE(get_bool(j, "do_basic_tokenize", p, true), p,
                ": do_basic_tokenize=false is not supported by bertology's tokenizer");
    BTL_REQUIRE(!get_bool(j, "split_special_tokens", p, false), p,
                ": split_special_tokens=true is not supported by bertology's tokenizer");
    if (auto it = j.find("strip_accents"); it != j.end() && !it->is_null()) {
      BTL_REQUIRE(it->is_boolean(), p, ": key 'strip_accents' must be true, false or null, found ",
                  it->dump());
      o.strip_accents = it->get<bool>();
    }
    if (auto it = j.find("never_split"); it != j.end() && !it->is_null()) {
      BTL_REQUIRE(it->is_array(), p, ": key 'never_split' must be a list of strings or null");
      for (const json& s : *it) {
        BTL_REQUIRE(s.is_string(), p, ": key 'never_split' must be a list of strings, found ",
                    s.dump());
        o.never_split.push_back(s.get<std::string>());
      }
    }
    for (const char* key : kSpecialKeys) {
      if (auto it = j.find(key); it != j.end()) *special_field(&o, key) = special_token_value(*it, key, p);
    }
    reject_extra_specials(j, p);
    if (auto it = j.find("added_tokens_decoder"); it != j.end() && !it->is_null()) {
      has_added_tokens_decoder = true;
      BTL_REQUIRE(it->is_object(), p, ": key 'added_tokens_decoder' must be an object");
      for (const auto& [id_text, tok] : it->items()) {
        int64_t id = -1;
        try {
          size_t used = 0;
          id = std::stoll(id_text, &used);
          if (used != id_text.size()) id = -1;
        } catch (const std::exception&) {
        }
        BTL_REQUIRE(id >= 0, p, ": added_tokens_decoder key '", id_text,
                    "' is not a token id");
        const std::string where = cat("added_tokens_decoder[\"", id_text, "\"]");
        BTL_REQUIRE(tok.is_object(), p, ": ", where, " must be an object");
        cfg.added_tokens[id] = special_token_value(tok, where, p);
      }
    }
  }

  // HF reads special_tokens_map.json only for configs without added_tokens_decoder (legacy
  // format); its values then override those of tokenizer_config.json.
  const std::string map_path = join_path(dir, "special_tokens_map.json");
  if (!has_added_tokens_decoder && file_exists(map_path)) {
    const json j = read_json_object(map_path);
    for (const char* key : kSpecialKeys) {
      if (auto it = j.find(key); it != j.end()) *special_field(&o, key) = special_token_value(*it, key, map_path);
    }
    reject_extra_specials(j, map_path);
  }

  const std::string added_path = join_path(dir, "added_tokens.json");
  if (file_exists(added_path)) {
    const json j = read_json_object(added_path);
    BTL_REQUIRE(j.empty(), added_path,
                ": added tokens are not supported by bertology's tokenizer (", j.size(),
                " entries)");
  }
  return cfg;
}

}  // namespace

TokenizerOptions load_tokenizer_options(const std::string& dir) {
  return read_dir_config(dir).options;
}

BertTokenizer BertTokenizer::from_model_dir(const std::string& dir) {
  const std::string vocab_path = join_path(dir, "vocab.txt");
  BTL_REQUIRE(file_exists(vocab_path), vocab_path,
              ": vocabulary file not found (a BERT model directory needs vocab.txt)");
  DirConfig cfg = read_dir_config(dir);
  BertTokenizer tok(Vocab::load(vocab_path), cfg.options);

  // HF gives an added token the id from added_tokens_decoder, overriding the vocabulary. Accept
  // the entries that agree with the vocabulary (the normal case: the five special tokens at
  // their vocab ids) and reject the rest instead of producing different ids.
  const TokenizerOptions& o = tok.options();
  for (const auto& [id, content] : cfg.added_tokens) {
    const bool special = content == o.unk_token || content == o.sep_token ||
                         content == o.pad_token || content == o.cls_token ||
                         content == o.mask_token;
    BTL_REQUIRE(special, cfg.config_path, ": added token '", content, "' (id ", id,
                ") is not one of the special tokens; added tokens are not supported by "
                "bertology's tokenizer");
    const int32_t vocab_id = tok.vocab().find(content);
    BTL_REQUIRE(vocab_id == id, cfg.config_path, ": added token '", content, "' has id ", id,
                " but line ", vocab_id + 1, " of ", vocab_path, " gives id ", vocab_id);
  }
  return tok;
}

}  // namespace bertology
