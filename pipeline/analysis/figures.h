// Figures of the study reports: matplotlib scripts compiled into bertology (so that a report can
// be drawn wherever the binary runs), run with the first Python that has matplotlib and numpy.
#pragma once

#include <string>

namespace bertology {

/// The first Python that imports matplotlib and numpy: $BERTOLOGY_PYTHON, the system's
/// /usr/bin/python3 (Debian's python3-matplotlib), then python3 on the PATH; "" when none does.
std::string figure_python();

/// Writes `script` to a private temporary file, runs it as `python SCRIPT MODEL_DIR` with its
/// output in `log`, removes it. Returns the exit status (-1 when no suitable Python exists).
int run_figure_script(const std::string& script, const std::string& model_dir, const std::string& log);

}  // namespace bertology
