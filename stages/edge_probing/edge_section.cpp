#include "stages/edge_probing/edge_section.h"

namespace bertology {

const ConfigSection<EdgeParams>& edge_section() {
  static const ConfigSection<EdgeParams> section("edge", "Tenney et al.'s edge probing", {
      field(&EdgeParams::tasks,
           strings_key("tasks", {"pos", "deps"},
          "Edge-probing tasks from the run's corpus: pos (XPOS), deps (UD/SD arcs), consts (PTB constituents), "
          "entities (GUM-style Entity= types).")),
      field(&EdgeParams::coref_corpus,
           paths_key("coref_corpus", {},
          "Coreference files or folders (CoNLL-2012 as LitBank, or GUM-style CoNLL-U) for the coref task; empty = none.")),
      field(&EdgeParams::coref_test_fraction,
           float_key("coref_test_fraction", 0.2, 0.01, 0.9, "coref: last fraction of the documents used as the test set.")),
      field(&EdgeParams::jiant_dirs,
           paths_key("jiant_dirs", {},
          "Folders of jiant edge-probing tasks (JSON lines); each holds files whose names contain train, dev "
          "(or development) and test; the folder name is the task name.")),
      field(&EdgeParams::layers,
           ints_key("layers", {}, 0, kUnbounded, "Hidden layers probed one at a time, 0 = embeddings (empty = all stored).")),
      field(&EdgeParams::seeds, int_key("seeds", 3, 1, 1000, "Runs per (task, layer) probe, reported as mean and sd.")),
      field(&EdgeParams::cumulative,
           bool_key("cumulative", true, "Also train the scalar-mix probes over layers 0..l (Tenney's cumulative scoring).")),
      field(&EdgeParams::trainer, &EdgeProbeOptions::pooling,
           enum_key("pooling", {"attn", "mean", "max"}, "attn", "Span pooling: self-attentive (jiant), mean or max.")),
      field(&EdgeParams::trainer, &EdgeProbeOptions::proj_dim,
           int_key("proj_dim", 256, 1, kUnbounded, "Per-token projection size (jiant d_hid: 256).")),
      field(&EdgeParams::trainer, &EdgeProbeOptions::hidden,
           int_key("hidden", 256, 1, kUnbounded, "Hidden units of the MLP classifier (jiant: 256).")),
      field(&EdgeParams::trainer, &EdgeProbeOptions::dropout,
           float_key("dropout", 0.3, 0.0, 0.99, "Dropout of the MLP classifier (jiant: 0.3).")),
      field(&EdgeParams::trainer, &EdgeProbeOptions::input_dropout,
           float_key("input_dropout", 0.2, 0.0, 0.99, "Dropout of the token vectors before the projections (jiant's sentence encoder: 0.2).")),
      field(&EdgeParams::trainer, &EdgeProbeOptions::lr, float_key("lr", 1e-4, 1e-8, 10.0, "Adam learning rate (jiant: 1e-4).")),
      field(&EdgeParams::trainer, &EdgeProbeOptions::lr_decay,
           float_key("lr_decay", 0.5, 0.01, 1.0, "Learning-rate factor after lr_patience epochs without a better dev F1 (jiant: 0.5).")),
      field(&EdgeParams::trainer, &EdgeProbeOptions::lr_patience,
           int_key("lr_patience", 2, 1, 10000, "Epochs without a better dev F1 before the learning rate decays.")),
      field(&EdgeParams::trainer, &EdgeProbeOptions::max_grad_norm,
           float_key("max_grad_norm", 5.0, 1e-6, 1e6, "Gradient norm clipping (jiant: 5).")),
      field(&EdgeParams::trainer, &EdgeProbeOptions::batch_sentences,
           int_key("batch_size", 32, 1, kUnbounded, "Sentences per update, with all their targets (jiant: 32).")),
      field(&EdgeParams::trainer, &EdgeProbeOptions::max_epochs,
           int_key("max_epochs", 20, 1, 10000, "Most passes over the training sentences.")),
      field(&EdgeParams::trainer, &EdgeProbeOptions::patience,
           int_key("patience", 5, 1, 10000, "Stop after this many epochs without a better dev F1.")),
  });
  return section;
}

}  // namespace bertology
