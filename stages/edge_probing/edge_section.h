// Config section `edge`: Tenney et al.'s edge probing (docs/tenney2019.md). Keys, types, defaults
// and help are the rows in edge_section.cpp; `bertology config` lists them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/config/config_section.h"
#include "pipeline/probe/edge_probe.h"

namespace bertology {

struct EdgeParams {
  /// The trainer's options bound to the rows (pooling, proj_dim, hidden, dropout, lr, lr_decay,
  /// lr_patience, max_grad_norm, batch_size, max_epochs, patience); labels, seed and mix are set
  /// per job by the stage.
  EdgeProbeOptions trainer;
  std::vector<std::string> tasks;        ///< from the run's corpus: pos, deps, consts, entities
  std::vector<std::string> coref_corpus; ///< LitBank / GUM coreference files or folders (empty = no coref task)
  double coref_test_fraction = 0;
  std::vector<std::string> jiant_dirs;   ///< folders of jiant JSON-lines tasks (train/dev/test files)
  std::vector<int64_t> layers;           ///< per-layer probes (empty = all stored)
  int seeds = 0;
  bool cumulative = true;                ///< scalar-mix probes over layers 0..l (Δ, expected layer)
};

const ConfigSection<EdgeParams>& edge_section();

}  // namespace bertology
