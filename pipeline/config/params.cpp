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

  p.clark.word_from = cfg.get_string("clark.word_from");
  p.clark.min_relation_count = cfg.get_int("clark.min_relation_count");
  p.clark.test_corpus = cfg.get_string("clark.test_corpus");
  p.clark.probe_epochs = to_int(cfg, "clark.probe_epochs");
  p.clark.probe_lr = cfg.get_float("clark.probe_lr");
  p.clark.possessive_rule = cfg.get_string("clark.possessive_rule");
  p.clark.root_features = cfg.get_string("clark.root_features");
  p.clark.word_vectors = cfg.get_string("clark.word_vectors");
  p.clark.random_init_probe = cfg.get_bool("clark.random_init_probe");
  p.clark.coref_corpus = cfg.get_strings("clark.coref_corpus");
  p.clark.gradient_model = cfg.get_string("clark.gradient_model");
  p.clark.gradient_sequences = cfg.get_int("clark.gradient_sequences");
  p.clark.mask_probability = cfg.get_float("clark.mask_probability");

  p.probe.model = cfg.get_string("probe.model");
  p.probe.hidden = cfg.get_int("probe.hidden");
  p.probe.dropout = cfg.get_float("probe.dropout");
  p.probe.optimizer = cfg.get_string("probe.optimizer");
  p.probe.lr = cfg.get_float("probe.lr");
  p.probe.weight_decay = cfg.get_float("probe.weight_decay");
  p.probe.batch_size = cfg.get_int("probe.batch_size");
  p.probe.max_epochs = to_int(cfg, "probe.max_epochs");
  p.probe.patience = to_int(cfg, "probe.patience");
  p.probe.dev_fraction = cfg.get_float("probe.dev_fraction");
  p.probe.seeds = to_int(cfg, "probe.seeds");
  p.probe.layers = cfg.get_ints("probe.layers");
  p.probe.test_corpus = cfg.get_string("probe.test_corpus");
  p.probe.tasks = cfg.get_strings("probe.tasks");
  p.lin.data_dir = cfg.get_string("lin.data_dir");
  p.lin.nth = cfg.get_ints("lin.nth");
  p.lin.nth_corpus = cfg.get_string("lin.nth_corpus");
  p.lin.max_sentences_per_file = cfg.get_int("lin.max_sentences_per_file");
  p.mcrc.name = cfg.get_string("mcrc.name");
  p.mcrc.format = cfg.get_string("mcrc.format");
  p.mcrc.train = cfg.get_string("mcrc.train");
  p.mcrc.dev = cfg.get_string("mcrc.dev");
  p.mcrc.test = cfg.get_string("mcrc.test");
  p.mcrc.max_length = cfg.get_int("mcrc.max_length");
  p.mcrc.epochs = cfg.get_int("mcrc.epochs");
  p.mcrc.batch_size = cfg.get_int("mcrc.batch_size");
  p.mcrc.micro_batch = cfg.get_int("mcrc.micro_batch");
  p.mcrc.lr = cfg.get_float("mcrc.lr");
  p.mcrc.warmup = cfg.get_float("mcrc.warmup");
  p.mcrc.weight_decay = cfg.get_float("mcrc.weight_decay");
  p.mcrc.adam_eps = cfg.get_float("mcrc.adam_eps");
  p.mcrc.max_grad_norm = cfg.get_float("mcrc.max_grad_norm");
  p.mcrc.dropout = cfg.get_float("mcrc.dropout");
  p.mcrc.checkpoint_every = cfg.get_int("mcrc.checkpoint_every");
  p.mcrc.eval_batch = cfg.get_int("mcrc.eval_batch");
  p.mcrc.attacks = cfg.get_strings("mcrc.attacks");
  p.mcrc.attack_seed = cfg.get_int("mcrc.attack_seed");
  p.mcrc.min_shuffle_degree = cfg.get_float("mcrc.min_shuffle_degree");
  p.mcrc.unanswerable = cfg.get_strings("mcrc.unanswerable");
  p.structural.rank = cfg.get_int("structural.rank");
  p.structural.batch_sentences = cfg.get_int("structural.batch_sentences");
  p.structural.lr = cfg.get_float("structural.lr");
  p.structural.lr_decay = cfg.get_float("structural.lr_decay");
  p.structural.max_epochs = cfg.get_int("structural.max_epochs");
  p.structural.patience = cfg.get_int("structural.patience");

  p.runtime.seed = cfg.get_int("runtime.seed");
  p.runtime.log_level = cfg.get_string("runtime.log_level");

  p.stages = cfg.get_strings("stages");
  return p;
}

}  // namespace bertology
