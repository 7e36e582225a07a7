// Filling Params from a Config: one line per field.
#include "pipeline/config/params.h"

#include <limits>

#include "pipeline/config/config.h"
#include "pipeline/util/error.h"

namespace bertology {

namespace {

// Config ints are 64-bit; a schema key without an upper bound can hold more than an int field.
int to_int(const Config& cfg, const std::string& key) {
  int64_t v = cfg.get_int(key);
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
    cfg.fail(key, cat(v, " does not fit a 32-bit int"));
  return static_cast<int>(v);
}

}  // namespace

Params params_from_config(const Config& cfg) {
  Params p;
  p.study.name = cfg.get_string("study.name");
  p.study.output_dir = cfg.get_string("study.output_dir");

  p.model.path = cfg.get_string("model.path");
  p.model.device = cfg.get_string("model.device");
  p.model.dtype = cfg.get_string("model.dtype");
  p.model.threads = to_int(cfg, "model.threads");

  p.tokenizer.add_special_tokens = cfg.get_bool("tokenizer.add_special_tokens");
  p.tokenizer.max_length = to_int(cfg, "tokenizer.max_length");

  p.runtime.seed = cfg.get_int("runtime.seed");
  p.runtime.log_level = cfg.get_string("runtime.log_level");

  p.stages = cfg.get_strings("stages");
  return p;
}

}  // namespace bertology
