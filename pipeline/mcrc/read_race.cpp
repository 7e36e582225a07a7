// The RACE reader: one JSON article per .txt file below a folder. mc_readers.h has the format.
#include "pipeline/mcrc/mc_readers.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "pipeline/io/json_path.h"
#include "pipeline/mcrc/mc_readers_internal.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"

namespace bertology {

using namespace mc_readers_internal;

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

/// The *.txt files below `dir`, sorted by path so that the order does not depend on the file
/// system.
std::vector<fs::path> race_files(const std::string& dir) {
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (status.type() == fs::file_type::not_found) throw InputError(cat(dir, ": no such directory"));
  if (status.type() != fs::file_type::directory) {
    throw InputError(cat(dir, ": not a directory (RACE is read from a folder of .txt files, ",
                         "e.g. RACE/dev)"));
  }
  std::vector<fs::path> files;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".txt") files.push_back(it->path());
  }
  if (ec) throw InputError(cat(dir, ": cannot list (", ec.message(), ")"));
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return a.generic_string() < b.generic_string();
  });
  BTL_REQUIRE(!files.empty(), dir, ": no .txt files below this directory");
  return files;
}

/// The questions of one RACE article file.
void read_race_article(const std::string& path, const std::string& fallback_id, const json& doc,
                       McDataset* ds) {
  const JsonPathReader r(path);
  const std::string passage = r.string(r.member(doc, "", "article"), "article");
  const json& questions = r.list(r.member(doc, "", "questions"), "questions");
  const json& options = r.list(r.member(doc, "", "options"), "options");
  const json& answers = r.list(r.member(doc, "", "answers"), "answers");
  if (options.size() != questions.size()) {
    r.fail("options", cat("has ", options.size(), " entries, questions has ", questions.size()));
  }
  if (answers.size() != questions.size()) {
    r.fail("answers", cat("has ", answers.size(), " entries, questions has ", questions.size()));
  }
  const auto id_it = doc.find("id");
  const std::string id = id_it == doc.end() ? fallback_id : r.string(*id_it, "id");

  for (size_t q = 0; q < questions.size(); ++q) {
    McExample ex;
    ex.id = cat(id, "-", q);
    ex.origin = cat(path, ":", json_key_index("questions", q));
    ex.passage = passage;
    ex.question = r.string(questions[q], json_key_index("questions", q));
    ex.options = read_options(r, options[q], json_key_index("options", q), kRaceOptions);
    const std::string letter = r.string(answers[q], json_key_index("answers", q));
    ex.answer = letter_index(letter, kRaceOptions);
    if (ex.answer < 0) {
      r.fail(json_key_index("answers", q),
             cat("\"", letter, "\", expected ", letter_list(kRaceOptions)));
    }
    ds->examples.push_back(std::move(ex));
  }
}

}  // namespace

McDataset read_race(const std::string& dir) {
  McDataset ds = start_dataset("race", dir, true);
  for (const fs::path& file : race_files(dir)) {
    const std::string path = file.string();
    const std::string data = read_text_file(path, "RACE article", true);
    const json doc = parse_json_file(path, data);
    read_race_article(path, file.lexically_relative(dir).generic_string(), doc, &ds);
  }
  require_questions(ds);
  return ds;
}

}  // namespace bertology
