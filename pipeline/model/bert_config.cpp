#include "pipeline/model/bert_config.h"

#include <type_traits>

#include <nlohmann/json.hpp>

#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/util/json_number.h"

namespace bertology {
namespace {

using nlohmann::json;

// Reads `key` into `out` when present; a present key of the wrong type is an error, and so is a
// number that `out` cannot hold (json_number: 199e9 for an int would be undefined behaviour).
template <typename T>
void read_optional(const json& j, const std::string& path, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  if constexpr (std::is_arithmetic_v<T>) {
    out = json_number<T>(*it, path, key);
  } else {
    try {
      out = it->get<T>();
    } catch (const json::exception&) {
      throw InputError(cat(path, ": key '", key, "' has the wrong type (", it->type_name(), ")"));
    }
  }
}

template <typename T>
void read_required(const json& j, const std::string& path, const char* key, T& out) {
  BTL_REQUIRE(j.contains(key), path, ": missing required key '", key, "'");
  read_optional(j, path, key, out);
}

}  // namespace

BertConfig BertConfig::from_json_file(const std::string& path) {
  // "PATH: no such file (a Hugging Face checkpoint folder needs config.json)" when missing.
  const std::string text = read_file_bytes(path, "a Hugging Face checkpoint folder needs config.json", true);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(cat(path, ": malformed JSON at byte ", e.byte, ": ", e.what()));
  } catch (const json::exception& e) {  // e.g. out_of_range.406: a number too large for a double
    throw InputError(cat(path, ": malformed JSON: ", e.what()));
  }
  BTL_REQUIRE(j.is_object(), path, ": expected a JSON object");

  BertConfig c;
  read_required(j, path, "hidden_size", c.hidden_size);
  read_required(j, path, "num_hidden_layers", c.num_hidden_layers);
  read_required(j, path, "num_attention_heads", c.num_attention_heads);
  read_required(j, path, "vocab_size", c.vocab_size);
  read_optional(j, path, "intermediate_size", c.intermediate_size);
  read_optional(j, path, "max_position_embeddings", c.max_position_embeddings);
  read_optional(j, path, "type_vocab_size", c.type_vocab_size);
  read_optional(j, path, "layer_norm_eps", c.layer_norm_eps);
  read_optional(j, path, "hidden_act", c.hidden_act);
  read_optional(j, path, "hidden_dropout_prob", c.hidden_dropout_prob);
  read_optional(j, path, "attention_probs_dropout_prob", c.attention_probs_dropout_prob);
  read_optional(j, path, "initializer_range", c.initializer_range);
  read_optional(j, path, "pad_token_id", c.pad_token_id);
  read_optional(j, path, "position_embedding_type", c.position_embedding_type);

  BTL_REQUIRE(c.hidden_size > 0 && c.num_hidden_layers > 0 && c.num_attention_heads > 0 &&
                  c.vocab_size > 0 && c.intermediate_size > 0 && c.max_position_embeddings > 0 &&
                  c.type_vocab_size > 0,
              path, ": sizes must be positive");
  BTL_REQUIRE(c.hidden_size % c.num_attention_heads == 0, path, ": hidden_size ", c.hidden_size,
              " is not divisible by num_attention_heads ", c.num_attention_heads);
  BTL_REQUIRE(c.layer_norm_eps > 0, path, ": layer_norm_eps must be positive");
  BTL_REQUIRE(c.hidden_act == "gelu" || c.hidden_act == "gelu_new" ||
                  c.hidden_act == "gelu_pytorch_tanh" || c.hidden_act == "relu",
              path, ": hidden_act '", c.hidden_act,
              "' is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)");
  BTL_REQUIRE(c.position_embedding_type == "absolute", path, ": position_embedding_type '",
              c.position_embedding_type, "' is not supported (only absolute)");
  return c;
}

}  // namespace bertology
