// What the four multiple-choice readers share (mc_readers_internal.h), and read_mc_dataset. The
// readers are read_mctest.cpp, read_dream.cpp, read_mcscript.cpp and read_race.cpp; mc_readers.h
// has the formats and conventions.
#include "pipeline/mcrc/mc_readers.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/io/json_path.h"
#include "pipeline/mcrc/mc_readers_internal.h"
#include "pipeline/util/error.h"

namespace bertology {
namespace mc_readers_internal {

// Documented in mc_readers_internal.h.

namespace fs = std::filesystem;

[[noreturn]] void fail_at(const std::string& path, int64_t line, const std::string& what) {
  throw InputError(cat(path, ":", line, ": ", what));
}

std::string letter_list(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (i > 0) out += i + 1 == n ? " or " : ", ";
    out += static_cast<char>('A' + i);
  }
  return out;
}

int letter_index(std::string_view s, int n) {
  if (s.size() != 1 || s[0] < 'A' || s[0] >= 'A' + n) return -1;
  return s[0] - 'A';
}

McDataset start_dataset(const std::string& format, const std::string& path, bool folder) {
  McDataset ds;
  ds.path = path;
  fs::path p = fs::path(path).lexically_normal();
  if (folder) {
    p = fs::absolute(p).lexically_normal();
    if (!p.has_filename()) p = p.parent_path();
    ds.name = cat(format, "/", p.filename().string());
  } else {
    ds.name = cat(format, "/", p.stem().string());
  }
  return ds;
}

void require_questions(const McDataset& ds) {
  BTL_REQUIRE(!ds.examples.empty(), ds.path, ": no questions found");
}

std::vector<std::string> read_options(const JsonPathReader& r, const nlohmann::json& j,
                                      const std::string& key, int n) {
  r.list(j, key);
  if (j.size() != static_cast<size_t>(n)) {
    r.fail(key, cat("expected ", n, " options, found ", j.size()));
  }
  return r.strings(j, key);
}

}  // namespace mc_readers_internal

McDataset read_mc_dataset(const std::string& path, const std::string& format) {
  if (format == "mctest") return read_mctest(path);
  if (format == "dream") return read_dream(path);
  if (format == "mcscript") return read_mcscript(path);
  if (format == "race") return read_race(path);
  throw InputError(cat(path, ": unknown multiple-choice format '", format,
                       "' (expected mctest, dream, mcscript or race)"));
}

}  // namespace bertology
