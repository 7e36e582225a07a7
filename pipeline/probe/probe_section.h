// Config section `probe`: Probing classifiers (docs/probing.md): token_probes, scalar_mix, structural_probe, lin_probes.
// Keys, types, defaults and help are the rows in probe_section.cpp; `bertology config` lists them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/config/config_section.h"

namespace bertology {

/// Values of section `probe`: probing classifiers (docs/probing.md).
struct ProbeParams {
  std::string model;  ///< linear | dropout_linear | mlp
  int64_t hidden{};
  double dropout{};
  std::string optimizer;  ///< adam | adamw
  double lr{};
  double weight_decay{};
  int64_t batch_size{};
  int max_epochs{};
  int patience{};
  double dev_fraction{};
  int seeds{};
  std::vector<int64_t> layers;  ///< empty = all
  std::string test_corpus;
  std::vector<std::string> tasks;
};


/// The section's rows bound to ProbeParams; probe_section().of(params) gives this run's values.
const ConfigSection<ProbeParams>& probe_section();

}  // namespace bertology
