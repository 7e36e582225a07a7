// Internal to the multiple-choice readers (mc_readers.cpp, read_mctest.cpp, read_dream.cpp,
// read_mcscript.cpp, read_race.cpp): option counts and the helpers they share. Not part of the
// public API; include mc_readers.h instead.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/io/json_path.h"
#include "pipeline/mcrc/mc_example.h"

namespace bertology {
namespace mc_readers_internal {

// Options per question. Fixed per dataset so the model side can batch options; a question with
// another count is a broken file, not a variant.
constexpr int kMctestOptions = 4;
constexpr int kDreamOptions = 3;
constexpr int kMcscriptOptions = 2;
constexpr int kRaceOptions = 4;

/// Throws the InputError "PATH:LINE: what".
[[noreturn]] void fail_at(const std::string& path, int64_t line, const std::string& what);

/// "A, B, C or D" for n = 4: the answer letters a file may use.
std::string letter_list(int n);

/// "A" -> 0, "B" -> 1, ... for the first n letters; -1 for anything else.
int letter_index(std::string_view s, int n);

/// An empty dataset named "<format>/<stem>": "mctest/mc160.dev", "race/dev" (for a folder, its own
/// name, also when given as "RACE/dev/" or ".").
McDataset start_dataset(const std::string& format, const std::string& path, bool folder);

/// InputError "PATH: no questions found" when `ds` is empty.
void require_questions(const McDataset& ds);

/// The answer options at `key` (DREAM, RACE): a list of exactly `n` strings, else the InputError
/// "PATH: key KEY: expected N options, found M" (or JsonPathReader's for a non-list or non-string).
std::vector<std::string> read_options(const JsonPathReader& r, const nlohmann::json& j,
                                      const std::string& key, int n);

}  // namespace mc_readers_internal
}  // namespace bertology
