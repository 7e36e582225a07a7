// Typed parameters of a run, one struct per core config section, filled from a validated Config;
// the sections of stages and study families travel in Params::sections (config_section.h).
//
// Code below the CLI reads these structs, not the Config, so it neither parses nor validates.
// The in-class defaults mirror the schema defaults (tests/unit/test_config.cpp checks that they
// agree) so that tests and tools can build parameters without a config. Path fields filled from
// a Config are absolute; their existence is not checked here (see Config::check_paths).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/config/config_section.h"

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
  int threads = 2;                 ///< CPU threads for intra-op parallelism, >= 1 (config 0 = this rank's affinity mask, resolved on reading)
};

/// Section `tokenizer`.
struct TokenizerParams {
  bool add_special_tokens = true;  ///< add [CLS] and [SEP] around each input
  int max_length = 512;            ///< longest input in tokens, special tokens included
};

/// Section `corpus`.
struct CorpusParams {
  std::string path;                ///< corpus file (absolute when filled from a Config)
  std::string format = "conllu";   ///< conllu | conllx | open_sesame | text | jsonl
  int64_t max_sentences = 0;       ///< first N sentences only; 0 = all
};

/// Section `input`: how sentences become model inputs (recorded in the cache key).
struct InputParams {
  bool pairs = false;                ///< consecutive sentences as [CLS] A [SEP] B [SEP]
  std::string overlong = "skip";     ///< skip | truncate inputs over tokenizer.max_length
};

/// Section `extract`: what is stored per chunk.
struct ExtractParams {
  std::vector<int64_t> layers;             ///< hidden-state layers (0 = embeddings); empty = all
  std::string word_pooling = "none";       ///< none | mean | first
  bool attention = false;                  ///< store attention probabilities
  std::vector<int64_t> attention_layers;   ///< empty = all
  std::vector<int64_t> attention_heads;    ///< empty = all
  std::string dtype = "float16";           ///< float16 | float32
  int64_t chunk_tokens = 4096;             ///< wordpieces per chunk (small enough to balance ranks)
  int64_t batch_tokens = 4096;             ///< padded wordpieces per batch
  int deflate = 0;                         ///< gzip level, 0 = none
};

/// Section `cache`.
struct CacheParams {
  std::string dir = "cache";       ///< cache root
  bool verify_on_resume = true;    ///< re-hash finished chunks before skipping them
};

/// Section `slurm`: site settings for `bertology slurm` (validated again when rendered).
struct SlurmParams {
  std::string partition, account, qos;      ///< sbatch --partition/--account/--qos ("" = site default)
  std::string time_extract = "04:00:00";    ///< time limit of each extraction task
  std::string time_stages = "02:00:00";     ///< time limit of each analysis-stage task
  int nodes = 1;                            ///< nodes per job
  int ntasks = 1;                           ///< MPI ranks per job
  int cpus_per_task = 2;                    ///< threads per rank
  int gpus_per_task = 0;                    ///< GPUs per rank
  std::string mem;                          ///< memory per node ("" = site default)
  std::vector<std::string> modules;         ///< module load NAME
  std::vector<std::string> env;             ///< NAME=VALUE exported
  std::vector<std::string> source;          ///< files sourced first
  std::vector<std::string> extra_sbatch;    ///< extra --option=value lines
  int signal_seconds = 300;                 ///< USR1 this long before the time limit
  bool requeue = true;                      ///< requeue preempted / timed-out jobs
  std::string binary;                       ///< bertology executable ("" = this one)
};

/// Section `runtime`.
struct RuntimeParams {
  int64_t seed = 1234;             ///< seed of every random number generator, >= 0
  std::string log_level = "info";  ///< "debug", "info", "warn" or "error"
  double memory_gb = 8.0;          ///< per-process memory budget of a stage, GiB (memory_budget.h)
  bool row_scratch = true;         ///< streamed probes may copy a re-read layer to a scratch file (CacheReader)
  std::string scratch_dir;         ///< folder of those files; empty = $TMPDIR, else /tmp
};

/// All parameters of a run.
/// Section `campaign`: several studies as one job (pipeline/campaign/campaign.h).
struct CampaignParams {
  std::string name = "campaign";     ///< recorded in the campaign's outputs
  std::string output_dir;            ///< each study writes to <output_dir>/<study.name>; empty = their own
  std::vector<std::string> studies;  ///< study config files (absolute); empty = not a campaign
};

struct Params {
  StudyParams study;                ///< section `study`
  ModelParams model;                ///< section `model`
  TokenizerParams tokenizer;        ///< section `tokenizer`
  CorpusParams corpus;              ///< section `corpus`
  InputParams input;                ///< section `input`
  ExtractParams extract;            ///< section `extract`
  CacheParams cache;                ///< section `cache`
  SlurmParams slurm;                ///< section `slurm`
  std::vector<std::string> sweep_models;  ///< section `sweep`: models of a sweep ("" = model.path)
  CampaignParams campaign;          ///< section `campaign`
  RuntimeParams runtime;            ///< section `runtime`
  std::vector<std::string> stages;  ///< pipeline stages to run, in order
  /// Values of the sections that stages and study families declare (config_section.h), by section
  /// name; read them with that section's of(params). Empty for Params built in code.
  SectionValues sections;
};

/// Copies the values of `cfg` into Params. Throws InputError (at the value's origin) for an int
/// that does not fit its field.
Params params_from_config(const Config& cfg);

}  // namespace bertology
