// Config section `structural`: Hewitt & Manning's structural probe (docs/probing.md): structural_probe.
// Keys, types, defaults and help are the rows in structural_section.cpp; `bertology config` lists them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/config/config_section.h"

namespace bertology {

/// Values of section `structural`: Hewitt & Manning's probe.
struct StructuralParams {
  int64_t rank{};  ///< 0 = the hidden size
  int64_t batch_sentences{};
  double lr{};
  double lr_decay{};
  int64_t max_epochs{};
  int64_t patience{};
};

/// The section's rows bound to StructuralParams; structural_section().of(params) gives this run's values.
const ConfigSection<StructuralParams>& structural_section();

}  // namespace bertology
