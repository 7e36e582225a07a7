#include "pipeline/analysis/clark_section.h"

namespace bertology {

const ConfigSection<ClarkParams>& clark_section() {
  static const ConfigSection<ClarkParams> section("clark", "Clark et al. (2019) stages", {
      field(&ClarkParams::word_from,
           enum_key("word_from", {"mean", "first"}, "mean",
          "Clark stages: attention FROM a split word = mean of its pieces' rows (paper) or first piece (their code).")),
      field(&ClarkParams::min_relation_count,
           int_key("min_relation_count", 100, 1, kUnbounded,
          "dependency_heads: report relations with at least this many occurrences (plus `all`).")),
      field(&ClarkParams::test_corpus,
           path_key("test_corpus", "",
          "attention_probe: evaluation corpus in corpus.format (empty = the last 10% of the corpus; train on the rest).")),
      field(&ClarkParams::probe_epochs,
           int_key("probe_epochs", 1, 1, 1000, "attention_probe: passes over the training sentences (the paper: 1).")),
      field(&ClarkParams::probe_lr,
           float_key("probe_lr", 0.002, 1e-8, 10.0, "attention_probe: Adam learning rate (the paper: 0.002).")),
      field(&ClarkParams::possessive_rule,
           enum_key("possessive_rule", {"paper", "released"}, "paper",
          "dependency_heads: score a possessor before 's by the prediction for 's always (paper) or only "
          "when its own prediction is not the last word (Clark's released notebook).")),
      field(&ClarkParams::root_features,
           enum_key("root_features", {"released", "free"}, "released",
          "attention_probe: ROOT scores as Clark's code (two global scalars times each map's weight, both "
          "directions) or free per-map weights on attention to [CLS]/[SEP].")),
      field(&ClarkParams::word_vectors,
           path_key("word_vectors", "",
          "attention_probe: GloVe-format text file of word vectors (empty = the model's input word embeddings).")),
      field(&ClarkParams::random_init_probe,
           bool_key("random_init_probe", true,
          "attention_probe: also probe a copy of the model with random weights except the embeddings.")),
      field(&ClarkParams::coref_corpus,
           paths_key("coref_corpus", {},
          "coref_heads: GUM-style CoNLL-U (Entity= in MISC) or CoNLL-2012 files (e.g. LitBank); empty = skip the stage.")),
      field(&ClarkParams::gradient_model,
           path_key("gradient_model", "",
          "attention_gradients: checkpoint with a masked-LM head (empty = model.path).")),
      field(&ClarkParams::gradient_sequences,
           int_key("gradient_sequences", 200, 1, kUnbounded,
          "attention_gradients: sequences (corpus order) whose MLM-loss gradients are averaged.")),
      field(&ClarkParams::mask_probability,
           float_key("mask_probability", 0.15, 0.0, 1.0,
          "attention_gradients: fraction of word pieces masked for the MLM loss (at least one per sequence).")),
  });
  return section;
}

}  // namespace bertology
