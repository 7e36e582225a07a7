#include "pipeline/analysis/figures.h"

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "pipeline/util/files.h"
#include "pipeline/util/error.h"

namespace fs = std::filesystem;

namespace bertology {

std::string figure_python() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("BERTOLOGY_PYTHON")) candidates.push_back(env);
  candidates.push_back("/usr/bin/python3");
  candidates.push_back("python3");
  for (const auto& python : candidates)
    if (std::system(cat("'", python, "' -c 'import matplotlib, numpy' > /dev/null 2>&1").c_str()) == 0) return python;
  return "";
}

int run_figure_script(const std::string& script, const std::string& model_dir, const std::string& log) {
  const std::string python = figure_python();
  if (python.empty()) {
    write_file_atomic(log, "no python3 with matplotlib and numpy (apt-get install python3-matplotlib)\n");
    return -1;
  }
  // The script goes to a private temporary file: results/ keeps only results.
  const std::string path = unique_temp_name((fs::temp_directory_path() / "bertology_figures.py").string());
  write_file_atomic(path, script);
  const int status = std::system(cat("'", python, "' '", path, "' '", model_dir, "' > '", log, "' 2>&1").c_str());
  fs::remove(path);
  return status;
}

}  // namespace bertology
