// Config section `clark`: The Clark et al. (2019) stages (docs/clark2019.md): attention_patterns, dependency_heads, attention_probe,
// coref_heads, attention_gradients, head_clusters, clark_report.
// Keys, types, defaults and help are the rows in clark_section.cpp; `bertology config` lists them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/config/config_section.h"

namespace bertology {

/// Values of section `clark`: the Clark et al. (2019) stages (docs/clark2019.md).
struct ClarkParams {
  std::string word_from;  ///< mean | first: attention from a split word
  int64_t min_relation_count{};  ///< dependency_heads: relations reported
  std::string test_corpus;  ///< attention_probe evaluation corpus ("" = last 10%)
  int probe_epochs{};  ///< attention_probe epochs
  double probe_lr{};  ///< attention_probe Adam learning rate
  std::string possessive_rule;  ///< dependency_heads: "paper" | "released"
  std::string root_features;  ///< attention_probe ROOT scores: "released" | "free"
  std::string word_vectors;  ///< GloVe text file ("" = model input embeddings)
  bool random_init_probe{};  ///< also probe a random-weights copy of the model
  std::vector<std::string> coref_corpus;  ///< coref_heads inputs ("" list = skip)
  std::string gradient_model;  ///< attention_gradients checkpoint ("" = model.path)
  int64_t gradient_sequences{};  ///< attention_gradients: sequences used
  double mask_probability{};  ///< attention_gradients: pieces masked
};


/// The section's rows bound to ClarkParams; clark_section().of(params) gives this run's values.
const ConfigSection<ClarkParams>& clark_section();

}  // namespace bertology
