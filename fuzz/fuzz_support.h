// What every fuzz target shares: the input as a file (the readers take paths, as the pipeline
// calls them), and the property all parsers owe their callers.
//
// Property. A reader either returns (the target then checks the object it returned) or throws
// bertology::InputError whose message is one non-empty line. Any other exception (InternalError,
// std::out_of_range, a JSON library's parse error, std::bad_alloc from a size read off the file),
// a crash, a sanitizer report, a hang (libFuzzer -timeout) or an allocation over libFuzzer's
// -malloc_limit_mb is a finding: the harness aborts so libFuzzer saves the input.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <typeinfo>

#include "pipeline/util/error.h"

namespace bertology::fuzz {

/// A scratch folder of this process, created once (removed by the OS's tmp cleaning; fuzzing
/// runs write one small file per input into it).
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("bertology_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

/// Writes `bytes` to <scratch>/<name> and returns the path.
inline std::string write_file(const std::string& name, std::string_view bytes) {
  const auto path = (scratch_dir() / name).string();
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

[[noreturn]] inline void finding(const char* what, const std::string& detail) {
  std::fprintf(stderr, "bertology fuzz finding: %s: %s\n", what, detail.c_str());
  std::abort();
}

/// Runs `parse`; enforces the property of the file comment.
template <typename F>
void expect_clean(F&& parse) {
  try {
    parse();
  } catch (const InputError& e) {
    const std::string message = e.what();
    if (message.empty()) finding("InputError", "empty message");
    if (message.find('\n') != std::string::npos) finding("InputError over several lines", message);
  } catch (const std::exception& e) {
    finding(typeid(e).name(), e.what());
  } catch (...) {
    finding("non-standard exception", "");
  }
}

/// Splits `data` at the first occurrence of `separator` (several files in one input).
inline std::pair<std::string_view, std::string_view> split_at(std::string_view data, std::string_view separator) {
  const size_t at = data.find(separator);
  if (at == std::string_view::npos) return {data, {}};
  return {data.substr(0, at), data.substr(at + separator.size())};
}

/// A check on a returned object that failed: a finding.
#define FUZZ_REQUIRE(cond, detail)                                  \
  do {                                                              \
    if (!(cond)) ::bertology::fuzz::finding("property " #cond, (detail)); \
  } while (0)

}  // namespace bertology::fuzz
