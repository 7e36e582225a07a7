// Config section `probe`: Probing classifiers (docs/probing.md): token_probes, scalar_mix, structural_probe, lin_probes.
// Keys, types, defaults and help are the rows in probe_section.cpp; `bertology config` lists them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/config/config_section.h"
#include "pipeline/probe/probe_trainer.h"

namespace bertology {

/// Values of section `probe`: probing classifiers (docs/probing.md).
struct ProbeParams {
  /// The trainer's options (model, hidden, dropout, optimizer, lr, weight_decay, batch_size,
  /// max_epochs, patience) bound to the rows directly; num_classes, seed and the task flags are
  /// set per training by the stage.
  ProbeOptions trainer;
  double dev_fraction{};
  int seeds{};
  std::vector<int64_t> layers;  ///< empty = all
  std::string test_corpus;
  std::vector<std::string> tasks;
  std::string shuffle;    ///< EpochShuffle::mode of every probe trainer
  int64_t shuffle_block{};  ///< EpochShuffle::block
  /// EpochShuffle of probe.shuffle / probe.shuffle_block.
  EpochShuffle epoch_shuffle() const { return {shuffle, shuffle_block}; }
};


/// The section's rows bound to ProbeParams; probe_section().of(params) gives this run's values.
const ConfigSection<ProbeParams>& probe_section();

}  // namespace bertology
