#include "pipeline/probe/probe_section.h"

namespace bertology {

const ConfigSection<ProbeParams>& probe_section() {
  static const ConfigSection<ProbeParams> section("probe", "probing classifiers", {
      field(&ProbeParams::trainer, &ProbeOptions::model,
           enum_key("model", {"linear", "dropout_linear", "mlp"}, "linear",
          "Probing classifier: softmax regression, dropout + linear (Lin et al.), or an MLP.")),
      field(&ProbeParams::trainer, &ProbeOptions::hidden,
           int_key("hidden", 256, 1, kUnbounded, "Hidden units of the mlp probe.")),
      field(&ProbeParams::trainer, &ProbeOptions::dropout,
           float_key("dropout", 0.1, 0.0, 0.99, "Dropout of the dropout_linear and mlp probes.")),
      field(&ProbeParams::trainer, &ProbeOptions::optimizer,
           enum_key("optimizer", {"adam", "adamw"}, "adam", "Optimizer of the probes.")),
      field(&ProbeParams::trainer, &ProbeOptions::lr,
           float_key("lr", 0.001, 1e-8, 10.0, "Learning rate of the probes.")),
      field(&ProbeParams::trainer, &ProbeOptions::weight_decay,
           float_key("weight_decay", 0.0, 0.0, 10.0, "Weight decay (decoupled for adamw).")),
      field(&ProbeParams::trainer, &ProbeOptions::batch_size,
           int_key("batch_size", 64, 1, kUnbounded, "Examples (tokens or words) per probe update.")),
      field(&ProbeParams::trainer, &ProbeOptions::max_epochs,
           int_key("max_epochs", 20, 1, 10000, "Most passes over the training examples.")),
      field(&ProbeParams::trainer, &ProbeOptions::patience,
           int_key("patience", 3, 1, 10000, "Stop after this many epochs without a better dev score.")),
      field(&ProbeParams::dev_fraction,
           float_key("dev_fraction", 0.1, 0.0, 0.9, "Last fraction of the training sentences held out for early stopping.")),
      field(&ProbeParams::seeds,
           int_key("seeds", 3, 1, 1000, "Runs per (task, layer), reported as mean and sd.")),
      field(&ProbeParams::layers,
           ints_key("layers", {}, 0, kUnbounded, "Hidden layers probed, 0 = embeddings (empty = all).")),
      field(&ProbeParams::test_corpus,
           path_key("test_corpus", "", "Evaluation corpus of token_probes and structural_probe (corpus.format).")),
      field(&ProbeParams::shuffle,
           enum_key("shuffle", {"full", "blocks"}, "full",
          "Epoch order of every probe trainer: full = the whole training set reshuffled (the papers'); blocks = "
          "consecutive blocks of shuffle_block items shuffled, then the items within each (streamed runs read "
          "linearly; the numbers differ from full: docs/scale.md).")),
      field(&ProbeParams::shuffle_block,
           int_key("shuffle_block", 2048, 1, kUnbounded,
                   "Items per block of shuffle: blocks (rows of token_probes, scalar_mix and lin_probes; sentences of "
                   "structural_probe and edge_probing).")),
      field(&ProbeParams::tasks,
           strings_key("tasks", {"upos", "xpos", "deprel", "arc"}, "token_probes and scalar_mix tasks: upos, xpos, deprel, arc.")),
  });
  return section;
}

}  // namespace bertology
