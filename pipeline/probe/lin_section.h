// Config section `lin`: Lin et al. (2019) data (docs/probing.md): lin_probes, confusion_score.
// Keys, types, defaults and help are the rows in lin_section.cpp; `bertology config` lists them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/config/config_section.h"

namespace bertology {

/// Values of section `lin`: Lin et al. (2019) data.
struct LinParams {
  std::string data_dir;
  std::vector<int64_t> nth;
  std::string nth_corpus;  ///< "" = corpus.path
  int64_t max_sentences_per_file{};  ///< 0 = all
};


/// The section's rows bound to LinParams; lin_section().of(params) gives this run's values.
const ConfigSection<LinParams>& lin_section();

}  // namespace bertology
