// Scratch folders of a test process: all under <tmp>/bertology_test_<pid>, which
// tests/support/scratch_cleanup.cpp (linked into every test executable) removes when the
// process exits. Set BERTOLOGY_KEEP_TEST_DIRS=1 to keep it for a look after a failure.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace bertology::test {

/// <tmp>/bertology_test_<pid>: the parent of every scratch folder of this process.
inline std::filesystem::path process_scratch_root() {
  return std::filesystem::temp_directory_path() / ("bertology_test_" + std::to_string(::getpid()));
}

/// A fresh, empty <root>/NAME (emptied when it exists).
inline std::filesystem::path scratch(const std::string& name) {
  const auto d = process_scratch_root() / name;
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace bertology::test
