// The table of the core keys, and the schema of this binary: the core keys plus the sections of
// the registered stages (config_section.h).
#include "pipeline/config/config_section.h"
#include "pipeline/config/schema.h"

namespace bertology {

// ---------------------------------------------------------------------------------------------
// The core schema. One row per key, in the order `--dump-config` prints them; keep the rows of a
// section together. Sections that belong to a stage or a study family are declared next to their
// code (config_section.h) and join the schema when a registered stage names them; they come after
// the core rows, before `stages`. To add a core key, add one row with a builder from schema.h:
//   string_key, path_key (may not exist), file_key / dir_key (must exist when a command asks),
//   int_key / float_key (with min and max, or kUnbounded), bool_key, enum_key, strings_key,
//   ints_key; pass kRequired instead of a default for keys without one.
// If code reads the key through Params, also add a field to params.h and a line to params.cpp.
// ---------------------------------------------------------------------------------------------
namespace {

bool built = false;

std::vector<KeySpec> core_rows() {
  return {
      string_key("study.name", "adhoc", "Name of the study, recorded in its outputs."),
      path_key("study.output_dir", "results", "Directory that receives the study's outputs."),

      dir_key("model.path", "models/all-MiniLM-L6-v2",
              "Directory of the BERT checkpoint (config, weights, vocabulary)."),
      enum_key("model.device", {"cpu", "cuda", "cuda:N"}, "cpu",
               "Device that runs the model; cuda = GPU (local rank mod visible GPUs), cuda:N = that GPU."),
      enum_key("model.dtype", {"float32", "float16", "bfloat16"}, "float32",
               "Floating-point type of weights and activations."),
      int_key("model.threads", 2, 0, kUnbounded,
              "CPU threads for intra-op parallelism; 0 = the physical cores this rank is bound to."),

      bool_key("tokenizer.add_special_tokens", true, "Add [CLS] and [SEP] around each input."),
      int_key("tokenizer.max_length", 512, 2, 100000,
              "Longest input in tokens, special tokens included."),

      path_key("corpus.path", "", "Corpus to extract (required by extract and run); for ptb also a folder or a glob."),
      enum_key("corpus.format", {"conllu", "conllx", "open_sesame", "text", "jsonl", "ptb"}, "conllu",
               "Corpus format: CoNLL-U, CoNLL-X, Open Sesame TSV, plain text (a line each), JSON lines, Penn Treebank trees."),
      int_key("corpus.max_sentences", 0, 0, kUnbounded, "Use only the first N sentences (0 = all)."),

      bool_key("input.pairs", false,
               "Feed consecutive sentences as [CLS] A [SEP] B [SEP] (Clark et al.'s surface-pattern setup)."),
      enum_key("input.overlong", {"skip", "truncate"}, "skip",
               "Inputs over tokenizer.max_length: skip them (Clark) or truncate (longest first); counted."),

      ints_key("extract.layers", {}, 0, kUnbounded,
               "Hidden-state layers to store, 0 = embedding output (empty = all L+1)."),
      enum_key("extract.word_pooling", {"none", "mean", "first"}, "none",
               "Also store word-level hidden states: mean or first of each word's pieces."),
      bool_key("extract.attention", false, "Store attention probabilities (T^2 per head: size first)."),
      ints_key("extract.attention_layers", {}, 0, kUnbounded, "Layers (0-based) whose attention is stored (empty = all)."),
      ints_key("extract.attention_heads", {}, 0, kUnbounded, "Heads (0-based) whose attention is stored (empty = all)."),
      enum_key("extract.dtype", {"float16", "float32"}, "float16", "Stored precision of hidden states and attention."),
      int_key("extract.chunk_tokens", 4096, 16, kUnbounded,
              "Work unit: wordpieces per chunk file (chunks are cut in corpus order, independent of ranks)."),
      int_key("extract.batch_tokens", 4096, 16, kUnbounded, "Padded wordpieces per forward batch (batch x longest)."),
      int_key("extract.deflate", 0, 0, 9, "gzip level of the stored tensors (0 = none: fastest)."),

      path_key("cache.dir", "cache", "Root of the activation cache (shared storage on clusters)."),
      bool_key("cache.verify_on_resume", true, "Check the sha256 of finished chunks before skipping them."),

      string_key("slurm.partition", "", "Partition(s) to submit to (sbatch --partition); empty = the site default."),
      string_key("slurm.account", "", "Account to charge (sbatch --account)."),
      string_key("slurm.qos", "", "Quality of service (sbatch --qos)."),
      string_key("slurm.time_extract", "04:00:00", "Time limit of each extraction task, [D-]HH:MM:SS."),
      string_key("slurm.time_stages", "02:00:00", "Time limit of each analysis-stage task, [D-]HH:MM:SS."),
      int_key("slurm.nodes", 1, 1, kUnbounded, "Nodes per job."),
      int_key("slurm.ntasks", 1, 1, kUnbounded, "MPI ranks per job, launched with srun --mpi=pmix."),
      int_key("slurm.cpus_per_task", 2, 1, kUnbounded, "CPU threads per rank (sets model.threads)."),
      int_key("slurm.gpus_per_task", 0, 0, kUnbounded, "GPUs per rank; > 0 also sets model.device: cuda."),
      string_key("slurm.mem", "", "Memory per node, e.g. 32G (sbatch --mem); empty = site default."),
      strings_key("slurm.modules", {}, "Environment modules loaded in every job (module load NAME)."),
      strings_key("slurm.env", {}, "NAME=VALUE variables exported in every job (values are quoted, never run)."),
      paths_key("slurm.source", {}, "Files sourced in every job before running (e.g. a site's conda/venv activation)."),
      strings_key("slurm.extra_sbatch", {}, "Extra sbatch options, one --option=value each (e.g. --constraint=a100)."),
      int_key("slurm.signal_seconds", 300, 10, kUnbounded,
              "Preemption: USR1 this many seconds before the time limit; the job flushes, requeues, resumes."),
      bool_key("slurm.requeue", true, "Requeue a job that was preempted or ran out of time (it resumes from the cache)."),
      path_key("slurm.binary", "", "bertology executable the jobs run (empty = the one rendering the jobs)."),
      paths_key("sweep.models", {}, "Model folders to run the study on, one array task each (empty = model.path)."),
      string_key("campaign.name", "campaign", "Name of the campaign (several studies run as one job)."),
      path_key("campaign.output_dir", "",
               "Campaign outputs: each study writes to <output_dir>/<study.name> (empty = the studies' own folders)."),
      paths_key("campaign.studies", {},
                "Study configs run as one campaign: one extraction per model x corpus serves them all (empty = no campaign)."),






      int_key("runtime.seed", 1234, 0, kUnbounded, "Seed of every random number generator."),
      float_key("runtime.memory_gb", 8.0, 0.0625, kUnbounded,
                "Memory (GiB) a stage may use per process: stages that hold features hold what fits and re-read "
                "the cache for the rest (results do not change); a stage that needs more whatever the corpus "
                "size stops before it starts. docs/scale.md has each stage's formula."),
      bool_key("runtime.row_scratch", true,
               "Let probes that stream their features (runtime.memory_gb) copy a layer they read many times over "
               "into an unlinked scratch file, once, and read each window's rows from it (same values; the disk "
               "space is freed when the stage ends). docs/scale.md."),
      path_key("runtime.scratch_dir", "",
               "Folder of the row-scratch files: node-local disk on a cluster (empty = $TMPDIR, else /tmp)."),
      enum_key("runtime.log_level", {"debug", "info", "warn", "error"}, "info",
               "Least severe log message that is printed."),

  };
}

}  // namespace

bool schema_is_built() { return built; }

const Schema& default_schema() {
  static const Schema schema = [] {
    std::vector<KeySpec> rows = core_rows();
    for (const ConfigSectionBase* section : registered_sections())
      rows.insert(rows.end(), section->rows().begin(), section->rows().end());
    rows.push_back(strings_key("stages", {}, "Pipeline stages to run, in order."));
    built = true;
    return Schema(std::move(rows));
  }();
  return schema;
}

std::string describe_schema() { return default_schema().describe(); }

}  // namespace bertology
