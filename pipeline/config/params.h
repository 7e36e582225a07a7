// Typed parameters of a run, one struct per config section, filled from a validated Config.
//
// Code below the CLI reads these structs, not the Config, so it neither parses nor validates.
// The in-class defaults mirror the schema defaults (tests/unit/test_config.cpp checks that they
// agree) so that tests and tools can build parameters without a config. Path fields filled from
// a Config are absolute; their existence is not checked here (see Config::check_paths).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bertology {

class Config;

/// Section `study`.
struct StudyParams {
  std::string name = "adhoc";           ///< name of the study, recorded in its outputs
  std::string output_dir = "results";   ///< directory that receives the study's outputs
};

/// Section `model`.
struct ModelParams {
  std::string path;                ///< directory of the BERT checkpoint
  std::string device = "cpu";      ///< "cpu" or "cuda"
  std::string dtype = "float32";   ///< "float32", "float16" or "bfloat16"
  int threads = 2;                 ///< CPU threads for intra-op parallelism, >= 1
};

/// Section `tokenizer`.
struct TokenizerParams {
  bool add_special_tokens = true;  ///< add [CLS] and [SEP] around each input
  int max_length = 512;            ///< longest input in tokens, special tokens included
};

/// Section `runtime`.
struct RuntimeParams {
  int64_t seed = 1234;             ///< seed of every random number generator, >= 0
  std::string log_level = "info";  ///< "debug", "info", "warn" or "error"
};

/// All parameters of a run.
struct Params {
  StudyParams study;                ///< section `study`
  ModelParams model;                ///< section `model`
  TokenizerParams tokenizer;        ///< section `tokenizer`
  RuntimeParams runtime;            ///< section `runtime`
  std::vector<std::string> stages;  ///< pipeline stages to run, in order
};

/// Copies the values of `cfg` into Params. Throws InputError (at the value's origin) for an int
/// that does not fit its field.
Params params_from_config(const Config& cfg);

}  // namespace bertology
