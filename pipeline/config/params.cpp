// Filling Params from a Config: one line per field.
#include "pipeline/config/params.h"

#include <limits>

#include "pipeline/config/config.h"
#include "pipeline/util/cpu_affinity.h"
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
  if (p.model.threads == 0) p.model.threads = affinity_cpus();  // "auto": what this rank is bound to

  p.tokenizer.add_special_tokens = cfg.get_bool("tokenizer.add_special_tokens");
  p.tokenizer.max_length = to_int(cfg, "tokenizer.max_length");

  p.corpus.path = cfg.get_string("corpus.path");
  p.corpus.format = cfg.get_string("corpus.format");
  p.corpus.max_sentences = cfg.get_int("corpus.max_sentences");

  p.input.pairs = cfg.get_bool("input.pairs");
  p.input.overlong = cfg.get_string("input.overlong");

  p.extract.layers = cfg.get_ints("extract.layers");
  p.extract.word_pooling = cfg.get_string("extract.word_pooling");
  p.extract.attention = cfg.get_bool("extract.attention");
  p.extract.attention_layers = cfg.get_ints("extract.attention_layers");
  p.extract.attention_heads = cfg.get_ints("extract.attention_heads");
  p.extract.dtype = cfg.get_string("extract.dtype");
  p.extract.chunk_tokens = cfg.get_int("extract.chunk_tokens");
  p.extract.batch_tokens = cfg.get_int("extract.batch_tokens");
  p.extract.deflate = to_int(cfg, "extract.deflate");

  p.cache.dir = cfg.get_string("cache.dir");
  p.cache.verify_on_resume = cfg.get_bool("cache.verify_on_resume");

  p.slurm.partition = cfg.get_string("slurm.partition");
  p.slurm.account = cfg.get_string("slurm.account");
  p.slurm.qos = cfg.get_string("slurm.qos");
  p.slurm.time_extract = cfg.get_string("slurm.time_extract");
  p.slurm.time_stages = cfg.get_string("slurm.time_stages");
  p.slurm.nodes = to_int(cfg, "slurm.nodes");
  p.slurm.ntasks = to_int(cfg, "slurm.ntasks");
  p.slurm.cpus_per_task = to_int(cfg, "slurm.cpus_per_task");
  p.slurm.gpus_per_task = to_int(cfg, "slurm.gpus_per_task");
  p.slurm.mem = cfg.get_string("slurm.mem");
  p.slurm.modules = cfg.get_strings("slurm.modules");
  p.slurm.env = cfg.get_strings("slurm.env");
  p.slurm.source = cfg.get_strings("slurm.source");
  p.slurm.extra_sbatch = cfg.get_strings("slurm.extra_sbatch");
  p.slurm.signal_seconds = to_int(cfg, "slurm.signal_seconds");
  p.slurm.requeue = cfg.get_bool("slurm.requeue");
  p.slurm.binary = cfg.get_string("slurm.binary");
  p.sweep_models = cfg.get_strings("sweep.models");
  p.campaign.name = cfg.get_string("campaign.name");
  p.campaign.studies = cfg.get_strings("campaign.studies");
  p.campaign.output_dir = cfg.get_string("campaign.output_dir");


  p.runtime.seed = cfg.get_int("runtime.seed");
  p.runtime.log_level = cfg.get_string("runtime.log_level");
  p.runtime.memory_gb = cfg.get_float("runtime.memory_gb");
  p.runtime.row_scratch = cfg.get_bool("runtime.row_scratch");
  p.runtime.scratch_dir = cfg.get_string("runtime.scratch_dir");

  p.stages = cfg.get_strings("stages");
  for (const ConfigSectionBase* section : registered_sections())
    p.sections[section->name()] = std::make_shared<const std::any>(section->fill(cfg));
  return p;
}

}  // namespace bertology
