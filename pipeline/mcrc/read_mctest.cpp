// The MCTest reader: the .tsv of stories and questions and the .ans beside it. mc_readers.h has
// the format.
#include "pipeline/mcrc/mc_readers.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/mcrc/mc_readers_internal.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/util/text.h"

namespace bertology {

using namespace mc_readers_internal;

namespace {

namespace fs = std::filesystem;

constexpr int kMctestQuestions = 4;
constexpr int kMctestFields = 3 + kMctestQuestions * (1 + kMctestOptions);  // id, properties, story

/// The story with the release's "\newline" and "\tab" escapes turned back into the characters
/// they replaced. The release has no other backslashes; any would stay as they are.
std::string unescape_story(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, 8, "\\newline") == 0) {
      out += '\n';
      i += 8;
    } else if (s.compare(i, 4, "\\tab") == 0) {
      out += '\t';
      i += 4;
    } else {
      out += s[i++];
    }
  }
  return out;
}

/// The question without its "one: " / "multiple: " prefix (how many story sentences its author
/// says the answer needs); false when it has neither.
bool strip_question_kind(std::string_view* question) {
  for (const std::string_view prefix :
       {std::string_view("one: "), std::string_view("multiple: ")}) {
    if (question->substr(0, prefix.size()) == prefix) {
      question->remove_prefix(prefix.size());
      return true;
    }
  }
  return false;
}

/// The four 0-based answers on line `n` of the .ans file.
std::vector<int> parse_mctest_answers(const std::string& path, int64_t n, std::string_view line) {
  const auto letters = split(line, '\t');
  if (is_blank(line) || letters.size() != static_cast<size_t>(kMctestQuestions)) {
    fail_at(path, n,
            cat("expected ", kMctestQuestions, " tab-separated answer letters (",
                letter_list(kMctestOptions), "), found ", is_blank(line) ? 0 : letters.size(),
                is_blank(line) ? " (blank line)" : ""));
  }
  std::vector<int> answers;
  for (size_t q = 0; q < letters.size(); ++q) {
    const int a = letter_index(letters[q], kMctestOptions);
    if (a < 0) {
      fail_at(
          path, n,
          cat("answer ", q + 1, " is '", letters[q], "', expected ", letter_list(kMctestOptions)));
    }
    answers.push_back(a);
  }
  return answers;
}

/// The four questions of TSV line `n`, with the answers from the matching .ans line.
void parse_mctest_story(const std::string& path, int64_t n, std::string_view line,
                        const std::vector<int>& answers, McDataset* ds) {
  const auto fields = split(line, '\t');
  if (fields.size() != static_cast<size_t>(kMctestFields)) {
    fail_at(path, n,
            cat("expected ", kMctestFields, " tab-separated fields (id, properties, ",
                "story, then 4 x question and answers A-D), found ", fields.size(),
                is_blank(line) ? " (blank line)" : ""));
  }
  const std::string story_id(fields[0]);
  if (story_id.empty()) fail_at(path, n, "empty story id (field 1)");
  const std::string passage = unescape_story(fields[2]);
  for (int q = 0; q < kMctestQuestions; ++q) {
    const size_t first = 3 + static_cast<size_t>(q) * (1 + kMctestOptions);
    std::string_view question = fields[first];
    if (!strip_question_kind(&question)) {
      fail_at(path, n,
              cat("question ", q + 1, " (field ", first + 1, ") does not start with ",
                  "\"one: \" or \"multiple: \"; is this an MCTest .tsv file?"));
    }
    McExample ex;
    ex.id = cat(story_id, "-", q);
    ex.origin = cat(path, ":", n);
    ex.passage = passage;
    ex.question.assign(question);
    for (int o = 0; o < kMctestOptions; ++o) ex.options.emplace_back(fields[first + 1 + o]);
    ex.answer = answers[q];
    ds->examples.push_back(std::move(ex));
  }
}

}  // namespace

McDataset read_mctest(const std::string& tsv_path) {
  const fs::path tsv(tsv_path);
  BTL_REQUIRE(tsv.extension() == ".tsv", tsv_path, ": expected an MCTest .tsv file such as ",
              "mc160.dev.tsv (its answers are read from the .ans file beside it)");
  const std::string ans_path = fs::path(tsv).replace_extension(".ans").string();
  const std::string stories_data = read_text_file(tsv_path, "MCTest stories", true);
  const std::string answers_data = read_text_file(
      ans_path, cat("MCTest answers for ", tsv_path, ", looked for beside it with the same stem"),
      true);
  const auto stories = split_lines(stories_data);
  const auto answers = split_lines(answers_data);

  McDataset ds = start_dataset("mctest", tsv_path, false);
  for (size_t i = 0; i < stories.size(); ++i) {
    const auto n = static_cast<int64_t>(i + 1);
    if (i >= answers.size()) {
      fail_at(tsv_path, n,
              cat("story ", n, " has no answer line (", ans_path, " has ", answers.size(), ")"));
    }
    parse_mctest_story(tsv_path, n, stories[i], parse_mctest_answers(ans_path, n, answers[i]), &ds);
  }
  if (answers.size() > stories.size()) {
    fail_at(ans_path, static_cast<int64_t>(stories.size() + 1),
            cat("answer line without a story (", tsv_path, " has ", stories.size(), " lines)"));
  }
  require_questions(ds);
  return ds;
}

}  // namespace bertology
