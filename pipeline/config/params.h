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

/// Section `clark`: the Clark et al. (2019) stages (docs/clark2019.md).
struct ClarkParams {
  std::string word_from = "mean";            ///< mean | first: attention from a split word
  int64_t min_relation_count = 100;          ///< dependency_heads: relations reported
  std::string test_corpus;                   ///< attention_probe evaluation corpus ("" = last 10%)
  int probe_epochs = 1;                      ///< attention_probe epochs
  double probe_lr = 0.002;                   ///< attention_probe Adam learning rate
  std::string possessive_rule = "paper";     ///< dependency_heads: "paper" | "released"
  std::string root_features = "released";    ///< attention_probe ROOT scores: "released" | "free"
  std::string word_vectors;                  ///< GloVe text file ("" = model input embeddings)
  bool random_init_probe = true;             ///< also probe a random-weights copy of the model
  std::vector<std::string> coref_corpus;     ///< coref_heads inputs ("" list = skip)
  std::string gradient_model;                ///< attention_gradients checkpoint ("" = model.path)
  int64_t gradient_sequences = 200;          ///< attention_gradients: sequences used
  double mask_probability = 0.15;            ///< attention_gradients: pieces masked
};

/// Section `probe`: probing classifiers (docs/probing.md).
struct ProbeParams {
  std::string model = "linear";          ///< linear | dropout_linear | mlp
  int64_t hidden = 256;
  double dropout = 0.1;
  std::string optimizer = "adam";        ///< adam | adamw
  double lr = 0.001;
  double weight_decay = 0.0;
  int64_t batch_size = 64;
  int max_epochs = 20;
  int patience = 3;
  double dev_fraction = 0.1;
  int seeds = 3;
  std::vector<int64_t> layers;           ///< empty = all
  std::string test_corpus;
  std::vector<std::string> tasks = {"upos", "xpos", "deprel", "arc"};
};

/// Section `lin`: Lin et al. (2019) data.
struct LinParams {
  std::string data_dir;
  std::vector<int64_t> nth = {1, 2, 4, 8};
  std::string nth_corpus;                ///< "" = corpus.path
  int64_t max_sentences_per_file = 0;    ///< 0 = all
};

/// Section `mcrc`: Si et al. (2019) multiple-choice fine-tuning, attacks and un-answerable
/// training (docs/si2019.md). Training defaults follow Si's BERT-RACE base recipe where it fits a
/// 2-core machine.
struct McrcParams {
  std::string name;                      ///< dataset label in tables ("" = from the train file name)
  std::string format = "mctest";         ///< mctest | dream | mcscript | race
  std::string train, dev, test;          ///< dataset files (RACE: folders)
  int64_t max_length = 320;              ///< wordpieces per option sequence, specials included
  int64_t epochs = 3;
  int64_t batch_size = 16;               ///< questions per optimiser step (all ranks)
  int64_t micro_batch = 4;               ///< questions per forward on one rank
  double lr = 5e-5;
  double warmup = 0.1;
  double weight_decay = 0.01;
  double adam_eps = 1e-8;
  double max_grad_norm = 1.0;
  double dropout = 0.1;                  ///< fine-tuning dropout; < 0 = the checkpoint's config
  int64_t checkpoint_every = 20;         ///< optimiser steps between resumable checkpoints
  int64_t eval_batch = 8;                ///< questions per evaluation forward
  std::vector<std::string> attacks = {"AddSent2Pas-Shuffle", "AddSent2Opt-Shuffle", "AddAns2Opt-Shuffle",
                                      "Sent2Opt-Shuffle", "Ans2Opt-Shuffle", "AddSent2Opt", "AddAns2Opt"};
  int64_t attack_seed = 2020;
  double min_shuffle_degree = 0.5;
  std::vector<std::string> unanswerable = {"P-Shuffle", "Q-Shuffle", "PQ-Shuffle", "P-Remove", "Q-Remove", "PQ-Remove"};
};

/// Section `structural`: Hewitt & Manning's probe.
struct StructuralParams {
  int64_t rank = 0;  ///< 0 = the hidden size
  int64_t batch_sentences = 20;
  double lr = 0.001;
  double lr_decay = 0.1;
  int64_t max_epochs = 40;
  int64_t patience = 5;
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
  CorpusParams corpus;              ///< section `corpus`
  InputParams input;                ///< section `input`
  ExtractParams extract;            ///< section `extract`
  CacheParams cache;                ///< section `cache`
  SlurmParams slurm;                ///< section `slurm`
  std::vector<std::string> sweep_models;  ///< section `sweep`: models of a sweep ("" = model.path)
  ClarkParams clark;                ///< section `clark`
  ProbeParams probe;                ///< section `probe`
  LinParams lin;                    ///< section `lin`
  McrcParams mcrc;                  ///< section `mcrc`
  StructuralParams structural;      ///< section `structural`
  RuntimeParams runtime;            ///< section `runtime`
  std::vector<std::string> stages;  ///< pipeline stages to run, in order
};

/// Copies the values of `cfg` into Params. Throws InputError (at the value's origin) for an int
/// that does not fit its field.
Params params_from_config(const Config& cfg);

}  // namespace bertology
